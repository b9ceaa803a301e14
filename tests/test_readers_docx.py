"""DOCX reader: paragraphs as they are, headings from styles and outline levels, core-properties title."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.ingest.raw import IngestError, SourceFile
from search.ingest.readers import docx as docx_reader
from search.ingest.readers import reader_for

FORMATS = Path(__file__).parent / "fixtures" / "formats"
REPORT = FORMATS / "tianshui_report.docx"


def test_registry_knows_docx():
    assert reader_for(Path("a.docx")) is docx_reader.read


def test_paragraphs_and_headings():
    (doc,) = docx_reader.read(REPORT)
    assert doc.meta == {"title": "2024年天水市政府工作报告"}
    assert doc.layout == "markdown"
    lines = doc.text.split("\n")
    assert lines[0] == "# 2024年天水市政府工作报告"  # Title style
    assert lines[1] == "——2024年1月10日在天水市第五届人民代表大会第四次会议上"
    assert "# 一、2023年工作回顾" in lines  # Heading 1
    assert "## （一）产业发展提速" in lines  # a style named "标题 2"
    assert "### 附件：名词解释" in lines  # a custom style with outline level 2 (0-based)
    assert "" not in lines and not any(not s.strip() for s in lines)  # empty paragraphs dropped
    assert "各位代表，让我们团结奋斗、真抓实干，为建设更加美好的天水市而努力奋斗！" in lines


def test_broken_inputs(tmp_path: Path):
    f = tmp_path / "empty.docx"
    f.write_bytes(b"")
    with pytest.raises(IngestError, match="为空"):
        docx_reader.read(f)
    f = tmp_path / "junk.docx"
    f.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(IngestError, match="DOCX"):
        docx_reader.read(f)
    # a ZIP that is not a Word document
    import zipfile

    f = tmp_path / "zip.docx"
    with zipfile.ZipFile(f, "w") as z:
        z.writestr("hello.txt", "你好")
    with pytest.raises(IngestError, match="DOCX"):
        docx_reader.read(f)
    # a Word document cut short
    f = tmp_path / "truncated.docx"
    data = REPORT.read_bytes()
    f.write_bytes(data[: len(data) // 2])
    with pytest.raises(IngestError):
        docx_reader.read(f)


def test_empty_document_is_an_error(tmp_path: Path):
    import docx

    d = docx.Document()
    d.add_paragraph("")
    f = tmp_path / "blank.docx"
    d.save(str(f))
    with pytest.raises(IngestError, match="没有文字"):
        docx_reader.read(f)


def test_end_to_end_document():
    from search.ingest import read_documents

    (doc,) = read_documents(SourceFile(REPORT, "tianshui_report.docx"))
    assert (doc.title, doc.year, doc.province, doc.city) == ("2024年天水市政府工作报告", 2024, "甘肃省", "天水市")
    assert doc.speaker == "市长 王军"
    texts = [p.text for p in body(doc)]
    assert texts[:2] == ["各位代表：", "现在，我代表天水市人民政府，向大会报告工作，请予审议，并请市政协委员和其他列席人员提出意见。"]
    assert [h.text for h in headings(doc)][:3] == ["一、2023年工作回顾", "（一）产业发展提速", "二、2024年主要目标任务"]


def body(doc):
    """The body paragraphs of a document (its units of kind "paragraph"), in reading order."""
    return [p for p in doc.paragraphs if p.kind == "paragraph"]


def headings(doc):
    """The heading units of a document."""
    return [p for p in doc.paragraphs if p.kind == "heading"]
