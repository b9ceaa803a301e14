"""PDF reader: text layer with page breaks, running header and page numbers dropped, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.ingest.raw import IngestError, SourceFile
from search.ingest.readers import pdf, reader_for

FORMATS = Path(__file__).parent / "fixtures" / "formats"
REPORT = FORMATS / "nanping_report.pdf"


@pytest.fixture(scope="module")
def raw():
    (doc,) = pdf.read(REPORT)
    return doc


def test_registry_knows_pdf():
    assert reader_for(Path("a.PDF")) is pdf.read


def test_text_layer_with_pages_and_no_running_lines(raw):
    assert raw.layout == "pdf"
    assert raw.meta == {"title": "2024年南平市政府工作报告"}
    assert raw.text.count("\f") >= 2  # three pages
    assert "南平市人民政府公报" not in raw.text  # running header on every page
    lines = [s.strip() for s in raw.text.split("\n")]
    assert not any(s.startswith("—") and s.endswith("—") for s in lines)  # "— 2 —" page numbers
    assert lines[0] == "2024年南平市政府工作报告"
    assert "一、2023年工作回顾" in lines
    assert "我代表南平市人民政府" in raw.text.replace("\n", "")


def test_running_line_detection_keeps_body_lines():
    pages = [
        [("某市人民政府公报", 0.95), ("第一页正文", 0.5), ("1", 0.03)],
        [("某市人民政府公报", 0.95), ("第二页正文", 0.5), ("— 2 —", 0.03)],
        [("某市人民政府公报", 0.95), ("某市人民政府公报", 0.5), ("3", 0.03)],
    ]
    assert pdf.drop_running_lines(pages) == [["第一页正文"], ["第二页正文"], ["某市人民政府公报"]]
    # a single page has no "running" lines, only its page number goes
    assert pdf.drop_running_lines([[("标题", 0.95), ("5", 0.02)]]) == [["标题"]]


def test_meaningful_title():
    assert pdf.meaningful_title("Microsoft Word - 2024年政府工作报告.docx") == "2024年政府工作报告"
    assert pdf.meaningful_title("untitled") == ""
    assert pdf.meaningful_title("新建 Microsoft Word 文档") == ""
    assert pdf.meaningful_title("ABC") == ""


def test_scan_without_text_layer_is_an_error():
    with pytest.raises(IngestError, match="没有文字层"):
        pdf.read(FORMATS / "scan_no_text.pdf")


def test_encrypted_pdf_is_an_error():
    with pytest.raises(IngestError, match="加密"):
        pdf.read(FORMATS / "encrypted.pdf")


def test_broken_inputs(tmp_path: Path):
    f = tmp_path / "empty.pdf"
    f.write_bytes(b"")
    with pytest.raises(IngestError, match="为空"):
        pdf.read(f)
    f = tmp_path / "junk.pdf"
    f.write_bytes(b"PK\x03\x04 not a pdf at all" * 50)
    with pytest.raises(IngestError, match="不是 PDF"):
        pdf.read(f)
    f = tmp_path / "truncated.pdf"
    data = REPORT.read_bytes()
    f.write_bytes(data[: len(data) // 3])
    with pytest.raises(IngestError) as info:
        pdf.read(f)
    assert info.value.reason


def test_end_to_end_document():
    from search.ingest import read_documents

    (doc,) = read_documents(SourceFile(REPORT, "nanping_report.pdf"))
    assert (doc.title, doc.year, doc.province, doc.city) == ("2024年南平市政府工作报告", 2024, "福建省", "南平市")
    assert doc.date == "2024-01-16"
    texts = [p.text for p in body(doc)]
    # wraps joined across the page break, header and page numbers gone
    assert texts[1] == "现在，我代表南平市人民政府，向大会报告工作，请予审议，并请市政协委员和其他列席人员提出意见。"
    assert "过去一年，全市地区生产总值增长6.5%，规模以上工业增加值增长8.1%，城乡居民人均可支配收入分别增长5.2%和7.3%。" in texts
    assert not any("公报" in t for t in texts)
    assert [h.text for h in headings(doc)] == ["一、2023年工作回顾", "（一）产业发展提速", "二、2024年主要目标任务"]


def body(doc):
    """The body paragraphs of a document (its units of kind "paragraph"), in reading order."""
    return [p for p in doc.paragraphs if p.kind == "paragraph"]


def headings(doc):
    """The heading units of a document."""
    return [p for p in doc.paragraphs if p.kind == "heading"]
