"""Repair of PDF-extracted text: wraps, page numbers, spacing, footnote marks."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.ingest.repair import fix_spacing, is_page_number, looks_pdf_extracted, repair


def test_spacing_rules() -> None:
    assert fix_spacing("政 府 工 作 报 告") == "政府工作报告"
    assert fix_spacing("——2024年 1月 4日在溧阳市") == "——2024年1月4日在溧阳市"
    assert fix_spacing("实现地区生产总值 1550亿元") == "实现地区生产总值1550亿元"
    assert fix_spacing("Real Estate Investment Trusts 2024") == "Real Estate Investment Trusts 2024"
    assert fix_spacing("市长 周永强") == "市长 周永强"


def test_page_numbers() -> None:
    for line in ("65", "— 9 —", "— 9—", "-12-", " 3 "):
        assert is_page_number(line)
    assert not is_page_number("19.农业生产")


WRAPPED = """ 政 府 工 作 报 告
——2024年 1月 4日在某某市第十七届

人民代表大会第三次会议上

市长 张三

各位代表：

一、2023年工作回顾

过去一年，面对复杂严峻的外部环境和艰巨繁重的改革发展

稳定任务，市政府在中共某某市委的坚强领导下，坚持以习近

平新时代中国特色社会主义思想为指导，江苏时代成为首家

— 9—

“灯塔工厂”［2］，实现总值 1550亿元，增长 9%。

第二段很短。

第三段开头的一行文字宽度和整行相同所以应当继续下去到

下一行为止，然后结束。
"""


def test_pdf_text_is_unwrapped() -> None:
    out = repair(WRAPPED, "pdf")
    assert out[:4] == ["政府工作报告", "——2024年1月4日在某某市第十七届人民代表大会第三次会议上", "市长 张三", "各位代表："]
    assert out[4] == "一、2023年工作回顾"
    assert out[5].startswith("过去一年") and "坚持以习近平新时代" in out[5]
    assert "首家“灯塔工厂”，实现总值1550亿元，增长9%。" in out[5]  # across the page number
    assert out[6] == "第二段很短。"
    assert out[7].endswith("到下一行为止，然后结束。")


def test_seed_layouts_are_told_apart() -> None:
    seeds = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "seeds"
    if not seeds.exists():
        pytest.skip("shared seeds not available")
    for name, pdf in (("000", True), ("001", False), ("002", False), ("003", True), ("004", False)):
        (path,) = seeds.glob(f"{name}_*.txt")
        assert looks_pdf_extracted(path.read_text(encoding="utf-8").split("\n")) is pdf, name


def test_clean_text_is_left_one_paragraph_per_line() -> None:
    text = "各位代表：\n现在，我代表常州市人民政府向大会报告工作。\n一、2023年工作回顾\n2023年是开局之年。\n"
    assert not looks_pdf_extracted(text.split("\n"))
    assert repair(text) == [line for line in text.split("\n") if line]


def test_a_report_on_one_line_is_cut_into_paragraphs_at_sentence_ends():
    from search.ingest.structure import LONG_PARAGRAPH, split_long

    sentence = "我们坚持稳中求进工作总基调，推动经济社会高质量发展。"
    text = sentence * (LONG_PARAGRAPH // len(sentence) + 5)
    pieces = split_long(text)
    assert len(pieces) > 1 and "".join(pieces) == text
    assert all(p.endswith("。") for p in pieces)
    assert split_long(sentence) == [sentence]
