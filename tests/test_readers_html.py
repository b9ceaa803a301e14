"""HTML reader: main text by density, furniture dropped, charsets honoured or corrected, page metadata."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.ingest.raw import IngestError, SourceFile
from search.ingest.readers import html, reader_for

FORMATS = Path(__file__).parent / "fixtures" / "formats"
FURNITURE = ("打印", "关闭", "字号", "上一篇", "下一篇", "版权所有", "ICP", "首页", "分享", "浏览次数", "无障碍", "统计代码", "政务公开", "扫一扫")


def _read(name: str):
    docs = html.read(FORMATS / name)
    assert len(docs) == 1
    return docs[0]


def _assert_clean(text: str) -> None:
    for word in FURNITURE:
        assert word not in text, word


def test_registry_knows_html_suffixes():
    for suffix in (".html", ".htm", ".shtml", ".HTML"):
        assert reader_for(Path("page" + suffix)) is html.read


def test_gb2312_page_main_text_and_meta():
    doc = _read("bazhong_gb2312.html")
    assert doc.meta["title"] == "2024年巴中市政府工作报告"  # ArticleTitle, not "<title>…_巴中市人民政府"
    assert doc.meta["date"] == "2024-01-15"
    assert doc.meta["source"] == "巴中市人民政府办公室"
    assert doc.layout == "markdown"
    lines = doc.text.split("\n")
    assert lines[0] == "——2024年1月10日在巴中市第五届人民代表大会第四次会议上"
    assert "各位代表：" in lines
    # <p><strong>一、…</strong></p> is a heading
    assert "# 一、2023年工作回顾" in lines
    assert "# （一）产业发展提速" in lines
    assert lines[-1] == "各位代表，让我们团结奋斗、真抓实干，为建设更加美好的巴中市而努力奋斗！"
    _assert_clean(doc.text)
    assert "\ufffd" not in doc.text


def test_declared_gb2312_but_utf8_has_no_mojibake():
    doc = _read("zunyi_declared_gb2312_is_utf8.html")
    assert doc.meta["title"] == "2024年遵义市政府工作报告"  # " - 遵义市人民政府门户网站" stripped
    assert "## 一、2023年工作回顾" in doc.text.split("\n")
    assert "我代表遵义市人民政府" in doc.text
    _assert_clean(doc.text)


def test_utf8_page_meta_tags_and_br_paragraphs():
    doc = _read("changde_utf8_meta.html")
    assert doc.meta["title"] == "2024年常德市政府工作报告"
    assert doc.meta["date"] == "2024-01-12"
    assert doc.meta["url"] == "https://www.changde.gov.cn/zwgk/gzbg/2024/content_0001.html"
    lines = doc.text.split("\n")
    # paragraphs separated by <br> inside one <div> stay separate; <b> lines are headings
    assert "# 二、2024年主要目标任务" in lines
    assert "今年经济社会发展的主要预期目标是：地区生产总值增长6.5%左右，城镇新增就业2.5万人。" in lines
    _assert_clean(doc.text)


def test_gbk_page_declared_utf8_is_detected(tmp_path: Path):
    page = "<html><head><meta charset='utf-8'><title>测试</title></head><body><p>各位代表：现在，我代表市人民政府向大会报告工作。</p></body></html>"
    f = tmp_path / "p.htm"
    f.write_bytes(page.encode("gbk"))
    assert "我代表市人民政府向大会报告工作" in html.read(f)[0].text


def test_declared_charset_gbk_decoded_as_gb18030(tmp_path: Path):
    # "镕" and "堃" are outside GB2312 and even rarer names are only in GB18030
    page = "<html><head><meta http-equiv='Content-Type' content='text/html; charset=GB2312'></head><body><p>朱镕基同志、王堃同志出席会议并讲话，会议听取了政府工作报告。</p></body></html>"
    f = tmp_path / "p.html"
    f.write_bytes(page.encode("gb18030"))
    assert "朱镕基同志、王堃同志" in html.read(f)[0].text


def test_title_from_title_tag_without_site_suffix(tmp_path: Path):
    page = "<html><head><title>2023年某县政府工作报告_某某县人民政府门户网站</title></head><body><div><p>各位代表：现在我代表县人民政府向大会报告工作，请予审议。</p></div></body></html>"
    f = tmp_path / "p.html"
    f.write_text(page, encoding="utf-8")
    assert html.read(f)[0].meta["title"] == "2023年某县政府工作报告"


def test_empty_and_textless_pages(tmp_path: Path):
    f = tmp_path / "empty.html"
    f.write_bytes(b"")
    with pytest.raises(IngestError, match="为空"):
        html.read(f)
    f.write_text("<html><body><script>var a=1;</script><div class='nav'>Home</div></body></html>", encoding="utf-8")
    with pytest.raises(IngestError):
        html.read(f)


def test_deeply_nested_and_large_pages_do_not_crash(tmp_path: Path):
    depth = 5000
    page = "<html><body>" + "<div>" * depth + "<p>各位代表：这是嵌套很深的页面中的正文段落。</p>" + "</div>" * depth + "</body></html>"
    f = tmp_path / "deep.html"
    f.write_text(page, encoding="utf-8")
    docs = html.read(f)  # must not raise RecursionError; text may be cut where the parser gives up
    assert docs
    big = "<html><body><div id='zoom'>" + "".join(f"<p>第{i}段：全市经济运行稳中向好，发展质量稳步提升。</p>" for i in range(20000)) + "</div></body></html>"
    f = tmp_path / "big.html"
    f.write_text(big, encoding="utf-8")
    text = html.read(f)[0].text
    assert text.count("\n") == 19999


def test_end_to_end_document():
    from search.ingest import read_documents

    (doc,) = read_documents(SourceFile(FORMATS / "bazhong_gb2312.html", "bazhong_gb2312.html"))
    assert doc.title == "2024年巴中市政府工作报告"
    assert doc.year == 2024
    assert doc.province == "四川省" and doc.city == "巴中市"
    assert doc.speaker == "市长 李明华"
    assert doc.date == "2024-01-10"  # the day it was delivered, not the page's publication date
    assert [h.text for h in headings(doc)][:2] == ["一、2023年工作回顾", "（一）产业发展提速"]
    texts = [p.text for p in body(doc)]
    assert texts[0] == "各位代表："
    assert all(not any(w in t for w in FURNITURE) for t in texts)

    (doc,) = read_documents(SourceFile(FORMATS / "changde_utf8_meta.html", "changde.html"))
    assert (doc.title, doc.year, doc.province, doc.city) == ("2024年常德市政府工作报告", 2024, "湖南省", "常德市")
    assert doc.url.startswith("https://www.changde.gov.cn/")

    (doc,) = read_documents(SourceFile(FORMATS / "zunyi_declared_gb2312_is_utf8.html", "zunyi.html"))
    assert (doc.title, doc.year, doc.province) == ("2024年遵义市政府工作报告", 2024, "贵州省")


def test_binary_junk_named_html(tmp_path: Path):
    f = tmp_path / "junk.html"
    f.write_bytes(bytes(range(256)) * 80)
    with pytest.raises(IngestError):
        html.read(f)


def body(doc):
    """The body paragraphs of a document (its units of kind "paragraph"), in reading order."""
    return [p for p in doc.paragraphs if p.kind == "paragraph"]


def headings(doc):
    """The heading units of a document."""
    return [p for p in doc.paragraphs if p.kind == "heading"]
