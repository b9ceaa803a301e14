"""Manifest loading and lookup, and file discovery."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search.ingest import IngestError, SourceFile, discover, load_manifest, read_documents

REPORT = "各位代表：\n现在，我代表市人民政府向大会报告工作。\n一、过去一年工作回顾\n过去一年是开局之年。\n"


def test_csv_with_bom_and_lookup(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes("\ufefffile,title,year,type\nsub/a.txt,甲报告,2021,新闻\nb.txt,乙,,\n".encode("utf-8"))
    m = load_manifest(path)
    assert m.lookup("sub/a.txt") == {"title": "甲报告", "year": 2021, "type": "新闻"}
    assert m.lookup("sub/a.txt#2")["title"] == "甲报告"
    assert m.lookup("other/b.txt") == {"title": "乙"}  # by file name alone
    assert m.lookup("missing.txt") == {}


@pytest.mark.parametrize(
    "data",
    [{"a.txt": {"title": "甲", "year": "2020", "province": "江苏省"}}, [{"file": "a.txt", "title": "甲", "year": 2020, "province": "江苏省"}]],
)
def test_json_forms(tmp_path: Path, data) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert load_manifest(path).lookup("a.txt") == {"title": "甲", "year": 2020, "province": "江苏省"}


@pytest.mark.parametrize(
    "name, content",
    [
        ("bad.json", "{not json"),
        ("bad.csv", "name,title\na.txt,x\n"),
        ("bad2.csv", "file,colour\na.txt,red\n"),
        ("bad3.csv", "file,year\na.txt,twenty\n"),
        ("bad4.json", "[1, 2]"),
    ],
)
def test_bad_manifest_raises_ingest_error(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(IngestError) as info:
        load_manifest(path)
    assert info.value.reason
    with pytest.raises(IngestError):
        load_manifest(tmp_path / "absent.csv")


def test_manifest_overrides_inference(tmp_path: Path) -> None:
    src = tmp_path / "2024年常州市政府工作报告.txt"
    src.write_text(REPORT, encoding="utf-8")
    (doc,) = read_documents(SourceFile(src, src.name))
    assert (doc.city, doc.province, doc.year, doc.title) == ("常州市", "江苏省", 2024, "2024年常州市政府工作报告")
    m = tmp_path / "m.csv"
    m.write_text(f"file,title,county,type\n{src.name},另一个标题,溧阳市,评论\n", encoding="utf-8")
    (doc,) = read_documents(SourceFile(src, src.name), load_manifest(m))
    assert (doc.title, doc.county, doc.city, doc.type, doc.tier) == ("另一个标题", "溧阳市", "常州市", "评论", "县级")


def test_place_from_folders(tmp_path: Path) -> None:
    folder = tmp_path / "政府工作报告-主要城市" / "北京市"
    folder.mkdir(parents=True)
    (folder / "2020.md").write_text("---\ntitle: 政府工作报告\n---\n" + REPORT, encoding="utf-8")
    nat = tmp_path / "政府工作报告-国务院"
    nat.mkdir()
    (nat / "2024.md").write_text(REPORT.replace("市人民政府", "国务院"), encoding="utf-8")
    prov = tmp_path / "x" / "广西壮族自治区"
    prov.mkdir(parents=True)
    (prov / "2019.md").write_text(REPORT, encoding="utf-8")
    files, skipped = discover([tmp_path])
    docs = {f.rel: read_documents(f)[0] for f in files}
    bj = docs["政府工作报告-主要城市/北京市/2020.md"]
    assert (bj.province, bj.level, bj.tier, bj.year, bj.city) == ("北京市", "直辖市", "省级", 2020, "")
    gov = docs["政府工作报告-国务院/2024.md"]
    assert (gov.province, gov.level, gov.tier, gov.year) == ("", "国务院", "国家", 2024)
    gx = docs["x/广西壮族自治区/2019.md"]
    assert (gx.province, gx.level, gx.tier, gx.year) == ("广西壮族自治区", "自治区", "省级", 2019)


def test_discover(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.md").write_text(REPORT, encoding="utf-8")
    (tmp_path / "a.txt").write_text(REPORT, encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "h.txt").write_text(REPORT, encoding="utf-8")
    (tmp_path / ".h.txt").write_text(REPORT, encoding="utf-8")
    (tmp_path / "manifest.csv").write_text("file,title\n", encoding="utf-8")
    files, skipped = discover([tmp_path, tmp_path / "a.txt", tmp_path / "nope"])
    assert [f.rel for f in files] == ["a.txt", "b/z.md"]  # the same file named twice is read once
    assert [s.path for s in skipped] == [str(tmp_path / "nope")] and skipped[0].reason


def test_no_other_exception_for_bad_content(tmp_path: Path) -> None:
    cases = {
        "weird.txt": "\n\n---\n---\n\n#\n**\n**\n— 9 —\n",
        "only_title.txt": "2024年XX区政府工作报告\n",
        "random.md": "---\n: : :\n---\n" + "、" * 5000,
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        try:
            read_documents(SourceFile(path, name))
        except IngestError as exc:
            assert exc.reason
