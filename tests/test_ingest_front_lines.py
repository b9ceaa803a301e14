"""The lines under a report's title: delivery date in the shapes real sources use, and Markdown comments."""

from __future__ import annotations

import pytest

from search.ingest import SourceFile, read_documents


def _read(tmp_path, text: str, name: str = "2024.md"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    (doc,) = read_documents(SourceFile(path, name))
    return doc


BODY = "各位代表：\n\n现在，我代表市人民政府向大会报告工作，请予审议。\n\n一、过去一年工作回顾\n\n我们推进高质量发展。\n"


@pytest.mark.parametrize("line, date", [
    ("——2024年1月22日在常州市第十七届人民代表大会第三次会议上", "2024-01-22"),
    ("**――2012年1月5日在厦门市第十四届人民代表大会第一次会议上**", "2012-01-05"),
    ("2016年1月11日在新疆维吾尔自治区第十二届人民代表大会第四次会议上", "2016-01-11"),
    ("（2005年1月19日）", "2005-01-19"),
    ("（2010年1月22日 秦光荣）", "2010-01-22"),
    ("——2010年1月16日沈阳市第十四届人民代表大会第三次会议通过", "2010-01-16"),
    ("——2008年1月20日在甘肃省第十一届人民代表大会", "2008-01-20"),
    ("——2021年2月6日在大连市第十六届人民代表大会第四次会议上市长 陈绍旺", "2021-02-06"),
    ("在四川省第十一届人民代表大会第三次会议上（2010年1月26日）", "2010-01-26"),
])
def test_delivery_date_lines(tmp_path, line: str, date: str) -> None:
    doc = _read(tmp_path, f"**政府工作报告**\n\n{line}\n\n{BODY}")
    assert doc.date == date
    assert all(date[:4] + "年" not in p.text[:6] for p in body(doc))  # the line is not body text
    assert body(doc)[0].text == "各位代表："


def test_a_dated_sentence_in_the_body_is_not_a_date_line(tmp_path) -> None:
    doc = _read(tmp_path, "**政府工作报告**\n\n各位代表：\n\n2023年1月10日，市第十七届人民代表大会第二次会议召开。\n\n我们推进高质量发展。\n")
    assert not doc.date
    assert any(p.text.startswith("2023年1月10日") for p in body(doc))


def test_a_date_in_the_title_line(tmp_path) -> None:
    doc = _read(tmp_path, f"云南省政府工作报告 （2014年1月20日 李纪恒）\n\n{BODY}", name="2014.md")
    assert doc.date == "2014-01-20" and doc.year == 2014


def test_markdown_comments_are_neither_title_nor_paragraph(tmp_path) -> None:
    # As in lawtext's 国务院/2011.md: a wire dateline and a photo caption kept in HTML comments.
    doc = _read(tmp_path, "<!-- 新华社北京3月15日电 -->\n\n**政府工作报告**\n\n"
                          "——2011年3月5日在第十一届全国人民代表大会第四次会议上\n\n"
                          "<!-- 温家宝作政府工作报告。（记者 摄） -->\n\n" + BODY, name="2011.md")
    # the bare title names no place: the State Council's report is named as such (the line stays a unit)
    assert doc.title == "2011年国务院政府工作报告" and doc.date == "2011-03-05"
    assert [p.text for p in doc.paragraphs[:3]] == [
        "2011年国务院政府工作报告", "——2011年3月5日在第十一届全国人民代表大会第四次会议上", "各位代表："]
    assert not any("<!--" in p.text or "新华社" in p.text or "摄" in p.text for p in doc.paragraphs)


def test_an_original_title_line_is_front_matter(tmp_path) -> None:
    doc = _read(tmp_path, "原标题：政府工作报告——\n\n2025年1月14日在北京市第十六届人民代表大会第三次会议上\n\n"
                          "北京市市长 殷勇\n\n" + BODY, name="2025.md")
    assert doc.date == "2025-01-14" and doc.speaker
    assert not any(p.text.startswith("原标题") for p in body(doc))


def body(doc):
    """The body paragraphs of a document (its units of kind "paragraph"), in reading order."""
    return [p for p in doc.paragraphs if p.kind == "paragraph"]


def headings(doc):
    """The heading units of a document."""
    return [p for p in doc.paragraphs if p.kind == "heading"]
