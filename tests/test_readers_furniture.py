"""Page furniture cleaning shared by the web and dataset readers."""

from __future__ import annotations

from search.ingest.furniture import clean_furniture, is_furniture_line, page_meta

PAGE = """首页 > 信息公开 > 政府工作报告
【字号：大 中 小】 【打印】 【关闭】
来源：巴中市人民政府办公室  发布时间：2024-01-10 09:30  浏览次数：1234
2024年巴中市政府工作报告
各位代表：现在，我代表市人民政府向大会报告工作。

全年关闭 3 家小煤矿，淘汰落后产能，关闭退出高耗能企业12家。
上一篇：关于某某的通知
下一篇：无
版权所有：巴中市人民政府 主办：巴中市人民政府办公室
蜀ICP备12345678号 川公网安备 51190202000123号
扫一扫在手机打开当前页"""


def test_lines_of_furniture_dropped_text_kept():
    assert clean_furniture(PAGE).split("\n") == [
        "2024年巴中市政府工作报告",
        "各位代表：现在，我代表市人民政府向大会报告工作。",
        "",
        "全年关闭 3 家小煤矿，淘汰落后产能，关闭退出高耗能企业12家。",
    ]


def test_fragments_in_a_one_line_cell():
    cell = "下载 打印 【字号：大 中 小】 来源:巴中市人民政府 2024年巴中市政府工作报告 各位代表：现在我代表市人民政府。 分享到 关闭窗口 扫一扫在手机打开当前页"
    assert clean_furniture(cell) == "2024年巴中市政府工作报告 各位代表：现在我代表市人民政府。"


def test_report_words_inside_sentences_survive():
    for line in (
        "推进“放管服”改革，群众可在手机下载办事指南。",
        "附件：名词解释",
        "打印机、复印机等办公设备集中采购。",
        "来源于群众、服务于群众。",
        "版权保护和知识产权运用水平不断提高，版权所有人合法权益得到保障，全市著作权登记量增长35%，新建知识产权保护工作站12个。",
    ):
        assert clean_furniture(line) == line, line


def test_is_furniture_line():
    assert is_furniture_line("【打印本页】【关闭窗口】")
    assert is_furniture_line("分享到：微信 微博 QQ空间")
    assert is_furniture_line("责任编辑：张三")
    assert is_furniture_line("Copyright © 2024 某市人民政府 All Rights Reserved")
    assert not is_furniture_line("各位代表：")
    assert not is_furniture_line("")


def test_page_meta():
    assert page_meta(PAGE) == {"date": "2024-01-10", "source": "巴中市人民政府办公室"}
    assert page_meta("发布日期：2023年12月5日") == {"date": "2023-12-05"}
    assert page_meta("各位代表") == {}
