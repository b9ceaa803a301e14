"""CSV and JSONL datasets: one document per record, columns by common names or given, furniture cleaned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search.ingest.raw import IngestError, SourceFile
from search.ingest.readers import dataset, reader_for

FORMATS = Path(__file__).parent / "fixtures" / "formats"
FURNITURE = ("下载", "打印", "字号", "来源", "分享到", "关闭窗口", "扫一扫")


def test_registry_knows_dataset_suffixes():
    for name in ("a.csv", "a.jsonl", "a.ndjson"):
        assert reader_for(Path(name)) is dataset.read


def test_csv_with_bom_three_rows():
    docs = dataset.read(FORMATS / "sichuan_reports_bom.csv")
    assert [d.part for d in docs] == [1, 2, 3]
    assert [d.meta["title"] for d in docs] == ["2024年巴中市政府工作报告", "2024年达州市政府工作报告", "2024年广元市政府工作报告"]
    first = docs[0].meta
    assert first == {
        "title": "2024年巴中市政府工作报告", "province": "四川省", "city": "巴中市", "year": 2024,
        "date": "2024-01-15", "url": "http://www.cnbz.gov.cn/zwgk/2024/0115.html",
    }
    assert "url" not in docs[2].meta  # empty cell
    assert docs[0].layout == "plain"
    # the furniture-laden cell of row 2 is clean, its newlines are paragraph breaks
    lines = docs[1].text.split("\n")
    assert lines[0] == "——2024年1月10日在达州市第五届人民代表大会第四次会议上"
    assert lines[-1] == "各位代表，让我们团结奋斗、真抓实干，为建设更加美好的达州市而努力奋斗！"
    assert not any(w in docs[1].text for w in FURNITURE)


def test_gbk_csv_english_headers_and_empty_row_skipped():
    docs = dataset.read(FORMATS / "ganzhou_gbk.csv")
    assert len(docs) == 1  # the row with an empty Content cell is skipped
    (doc,) = docs
    assert doc.part == 1
    assert doc.meta == {"title": "2024年赣州市政府工作报告", "province": "江西省", "year": 2024}
    assert "我代表赣州市人民政府" in doc.text


def test_jsonl_two_records():
    docs = dataset.read(FORMATS / "reports.jsonl")
    assert [(d.part, d.meta["title"], d.meta["year"], d.meta["type"]) for d in docs] == [
        (1, "2024年宜宾市政府工作报告", 2024, "政府工作报告"),
        (2, "2024年绵阳市政府工作报告", 2024, "政府工作报告"),
    ]
    assert docs[1].meta["url"] == "https://www.my.gov.cn/2024/gzbg.html"


def test_explicit_columns(tmp_path: Path):
    # "report" is not a known text name: an error naming the columns, then an explicit mapping
    g = tmp_path / "y.csv"
    g.write_text("name,report,prov\nA,各位代表：今年的工作很多。,湖南省\n", encoding="utf-8")
    with pytest.raises(IngestError, match="正文列.*name、report、prov"):
        dataset.read(g)
    (doc,) = dataset.read(g, columns={"text": "Report", "province": "prov"})
    assert doc.text == "各位代表：今年的工作很多。"
    assert doc.meta == {"title": "A", "province": "湖南省"}
    with pytest.raises(IngestError, match="找不到列：正文"):
        dataset.read(g, columns={"text": "正文"})
    with pytest.raises(IngestError, match="未知字段"):
        dataset.read(g, columns={"body": "report"})


def test_long_cells_tabs_quotes_and_escaped_newlines(tmp_path: Path):
    long_text = "各位代表：" + "全市经济运行稳中向好，发展质量稳步提升。" * 20000  # ~400k characters, over csv's default limit
    f = tmp_path / "long.tsv.csv"
    f.write_text("标题\t正文\n长报告\t\"" + long_text + "\n第二段，含\"\"引号\"\"。\"\n", encoding="utf-8")
    (doc,) = dataset.read(f)
    assert doc.text.split("\n") == [long_text, '第二段，含"引号"。']
    g = tmp_path / "esc.jsonl"
    g.write_text(json.dumps({"text": "第一段。\\n第二段。"}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert dataset.read(g)[0].text == "第一段。\n第二段。"
    h = tmp_path / "list.jsonl"
    h.write_text(json.dumps({"paragraphs": 1, "content": ["第一段。", "第二段。"]}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert dataset.read(h)[0].text == "第一段。\n第二段。"


def test_broken_inputs(tmp_path: Path):
    f = tmp_path / "empty.csv"
    f.write_bytes(b"")
    with pytest.raises(IngestError, match="为空"):
        dataset.read(f)
    f = tmp_path / "notext.csv"
    f.write_text("标题,省份\n某报告,四川省\n", encoding="utf-8")
    with pytest.raises(IngestError, match="没有可识别的正文列（现有列：标题、省份）"):
        dataset.read(f)
    f = tmp_path / "blank.csv"
    f.write_text("标题,正文\n某报告,\n另一个,  \n", encoding="utf-8")
    with pytest.raises(IngestError, match="没有含正文的记录"):
        dataset.read(f)
    g = tmp_path / "bad.jsonl"
    g.write_text("{not json\n[1, 2]\n", encoding="utf-8")
    with pytest.raises(IngestError, match="JSONL"):
        dataset.read(g)
    # one broken line costs only its record
    g.write_text('{"text": "第一条。"}\n{broken\n{"text": "第三条。"}\n', encoding="utf-8")
    assert [(d.part, d.text) for d in dataset.read(g)] == [(1, "第一条。"), (2, "第三条。")]


def test_end_to_end_documents():
    from search.ingest import read_documents

    docs = read_documents(SourceFile(FORMATS / "sichuan_reports_bom.csv", "sichuan.csv"))
    assert [d.source for d in docs] == ["sichuan.csv#1", "sichuan.csv#2", "sichuan.csv#3"]
    assert [(d.title, d.year, d.province, d.city) for d in docs] == [
        ("2024年巴中市政府工作报告", 2024, "四川省", "巴中市"),
        ("2024年达州市政府工作报告", 2024, "四川省", "达州市"),
        ("2024年广元市政府工作报告", 2024, "四川省", "广元市"),
    ]
    texts = [p.text for p in body(docs[1])]
    assert texts[0] == "各位代表："
    assert not any(w in t for t in texts for w in FURNITURE)

    docs = read_documents(SourceFile(FORMATS / "reports.jsonl", "reports.jsonl"))
    assert [(d.source, d.title, d.year, d.province, d.city, d.level) for d in docs] == [
        ("reports.jsonl#1", "2024年宜宾市政府工作报告", 2024, "四川省", "宜宾市", "市"),
        ("reports.jsonl#2", "2024年绵阳市政府工作报告", 2024, "四川省", "绵阳市", "市"),
    ]
    (doc,) = read_documents(SourceFile(FORMATS / "ganzhou_gbk.csv", "ganzhou.csv"))
    # Only the province is in the row; the title names the city, which is the more precise place.
    assert (doc.title, doc.year, doc.province, doc.city, doc.tier) == ("2024年赣州市政府工作报告", 2024, "江西省", "赣州市", "地级")
    assert "我代表赣州市人民政府" in body(doc)[1].text


def body(doc):
    """The body paragraphs of a document (its units of kind "paragraph"), in reading order."""
    return [p for p in doc.paragraphs if p.kind == "paragraph"]


def headings(doc):
    """The heading units of a document."""
    return [p for p in doc.paragraphs if p.kind == "heading"]
