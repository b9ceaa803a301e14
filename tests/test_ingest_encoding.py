"""Encodings, binary and empty files, YAML front matter and Markdown markup through the text reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.ingest import IngestError, SourceFile, read_documents
from search.ingest.encoding import decode

FIX = Path(__file__).parent / "fixtures" / "ingest"


def _read(name: str):
    return read_documents(SourceFile(FIX / name, name))


@pytest.mark.parametrize("name", ["utf8.txt", "bom.txt", "gbk.txt"])
def test_encodings_decode_to_the_same_text(name: str) -> None:
    (doc,) = _read(name)
    assert body(doc)[0].text == "各位代表："
    assert body(doc)[1].text.startswith("现在，我代表县人民政府")
    assert doc.level == "县" and doc.year == 2024


def test_gb18030_and_charset_normalizer_fallback() -> None:
    assert decode("政府工作报告".encode("gb18030")) == "政府工作报告"
    assert decode("\ufeff政府".encode("utf-8")) == "政府"
    assert decode("各位代表".encode("utf-16")) == "各位代表"


@pytest.mark.parametrize(
    "name, reason", [("binary.txt", "不是文本文件（含二进制内容）"), ("empty.txt", "文件为空")]
)
def test_unreadable_files_raise_ingest_error(name: str, reason: str) -> None:
    with pytest.raises(IngestError) as info:
        _read(name)
    assert info.value.reason == reason


def test_undecodable_bytes_raise_ingest_error() -> None:
    with pytest.raises(IngestError):
        decode(bytes(range(128, 256)) * 20 + b"\x00")


def test_front_matter_and_markdown() -> None:
    (doc,) = _read("front.md")
    assert doc.title == "2023年测试市政府工作报告"
    assert doc.url == "https://example.org/r.html"
    assert doc.date == "2023-01-10" and doc.year == 2023
    assert doc.speaker == "市长 盛蕾"
    texts = [p.text for p in body(doc)]
    assert "过去一年，我们坚持稳中求进。" in texts  # bold markup removed
    assert not any("**" in t or t.startswith("#") for t in texts)
    assert [(h.text, h.level) for h in headings(doc)] == [("一、2022年工作回顾", 1), ("（一）着力扩大内需", 2)]
    # a heading marker followed by a sentence is body text, under the bold heading of the same words
    para = next(p for p in body(doc) if p.text.startswith("（一）着力扩大内需。"))
    assert para.section == ("一、2022年工作回顾", "（一）着力扩大内需")
    # the date and speaker lines are metadata, not body
    assert not any("会议上" in t or "盛蕾" in t for t in texts)


def test_repeated_paragraph_ids_are_distinct_and_stable() -> None:
    (doc,) = _read("front.md")
    ids = [p.id for p in doc.paragraphs]
    assert len(set(ids)) == len(ids)
    same = [p.id for p in doc.paragraphs if p.text == "同一段。"]
    assert same[1] == same[0] + "-2"
    assert [p.ordinal for p in doc.paragraphs] == list(range(len(doc.paragraphs)))
    (again,) = _read("front.md")
    assert [p.id for p in again.paragraphs] == ids and again.doc_id == doc.doc_id


def test_broken_front_matter_is_not_fatal() -> None:
    (doc,) = _read("broken_front.md")
    assert [p.text for p in body(doc)] == ["正文第一段。"]


def test_a_date_written_with_full_width_digits_comes_out_ascii(tmp_path) -> None:
    # As in lawtext's 福州市/2014.md: "——201４年1月5日在…会议上".
    path = tmp_path / "2014.md"
    path.write_text("---\ntitle: 政府工作报告（2014年）\n---\n\n——201４年1月5日在福州市第十四届人民代表大会第三次会议上\n\n"
                    "各位代表：\n\n现在，我代表市人民政府向大会报告工作。\n", encoding="utf-8")
    (doc,) = read_documents(SourceFile(path, path.name))
    assert doc.date == "2014-01-05" and doc.year == 2014


def body(doc):
    """The body paragraphs of a document (its units of kind "paragraph"), in reading order."""
    return [p for p in doc.paragraphs if p.kind == "paragraph"]


def headings(doc):
    """The heading units of a document."""
    return [p for p in doc.paragraphs if p.kind == "heading"]
