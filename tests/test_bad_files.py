"""Bad files never stop a run: each is reported with its path and reason, the others are indexed."""

from __future__ import annotations

import shutil
from pathlib import Path

from search import SearchRequest, build_index, open_index
from search.ingest.pipeline import MAX_FILE_BYTES

from .conftest import ROOT

FORMATS = ROOT / "tests" / "fixtures" / "formats"
GOOD = "2024年巴中市政府工作报告\n\n各位代表：\n\n我们建设秦巴山区生态屏障，推进川陕革命老区振兴。\n"


def _corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(GOOD, encoding="utf-8")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "blank.md").write_text("\n\n   \n", encoding="utf-8")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 64)
    (corpus / "truncated.pdf").write_bytes((FORMATS / "nanping_report.pdf").read_bytes()[:700])
    (corpus / "truncated.docx").write_bytes((FORMATS / "tianshui_report.docx").read_bytes()[:900])
    (corpus / "junk.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (corpus / "scan.pdf").write_bytes((FORMATS / "scan_no_text.pdf").read_bytes())
    # Labelled UTF-8, written in GBK: the bytes win, the label does not produce mojibake.
    (corpus / "mislabelled.html").write_bytes(
        '<html><head><meta charset="utf-8"><title>2024年泸州市政府工作报告</title></head><body>'
        "<p>各位代表：</p><p>酒城泸州加快建设区域中心城市。</p></body></html>".encode("gbk"))
    (corpus / "deep.html").write_text(
        "<html><body>" + "<div>" * 30_000 + "<p>深层嵌套的段落里写着川南渝西融合发展。</p>" + "</div>" * 30_000 + "</body></html>",
        encoding="utf-8")
    (corpus / "huge.html").write_text(
        "<html><body>" + "<p>巨型网页中的一段话，内容重复出现。</p>" * 60_000 + "</body></html>", encoding="utf-8")
    (corpus / "no-text-column.csv").write_text("标题,年份\n某报告,2024\n", encoding="utf-8-sig")
    with open(corpus / "too-big.txt", "wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    return corpus


def test_each_bad_file_is_reported_and_the_rest_indexed(tmp_path):
    corpus = _corpus(tmp_path)
    summary = build_index([corpus], tmp_path / "ix", progress=False)
    reasons = {s.path: s.reason for s in summary.skipped}
    for name in ("empty.txt", "blank.md", "binary.txt", "truncated.pdf", "truncated.docx", "junk.docx",
                 "scan.pdf", "no-text-column.csv", "too-big.txt"):
        assert reasons.get(name), (name, reasons)
    assert "扫描" in reasons["scan.pdf"] and "过大" in reasons["too-big.txt"]
    searcher = open_index(tmp_path / "ix")
    assert searcher.search(SearchRequest(q='"秦巴山区生态屏障"')).total == 1
    assert searcher.search(SearchRequest(q='"酒城泸州"')).total == 1
    assert searcher.search(SearchRequest(q='"川南渝西融合发展"')).documents == 1
    assert searcher.search(SearchRequest(q='"巨型网页中的一段话"')).total >= 1


def test_a_file_that_disappears_during_the_run(tmp_path, monkeypatch):
    import search.ingest as ingest

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (corpus / name).write_text(GOOD.replace("秦巴山区", f"秦巴山区{name[0]}"), encoding="utf-8")
    real = ingest.read_documents

    def read_then_delete_the_next(src, *args, **kwargs):
        # Real files, really deleted: the patch only picks the moment, after discovery and hashing.
        (corpus / "c.txt").unlink(missing_ok=True)
        return real(src, *args, **kwargs)

    monkeypatch.setattr(ingest, "read_documents", read_then_delete_the_next)
    summary = build_index([corpus], tmp_path / "ix", progress=False)
    assert [s.path for s in summary.skipped] == ["c.txt"]
    assert "无法读取" in summary.skipped[0].reason
    assert summary.documents == 2


def test_dataset_columns_named_on_the_command_line(tmp_path):
    import json
    import subprocess
    import sys

    corpus = tmp_path / "data"
    corpus.mkdir()
    (corpus / "reports.csv").write_text(
        "报告全文,地名,发布\n\"各位代表：\n我们推进赣南苏区振兴发展。\",2024年赣州市政府工作报告,2024\n",
        encoding="utf-8-sig")
    index = tmp_path / "ix"
    done = subprocess.run(
        [sys.executable, "-m", "search", "index", str(corpus), "--index", str(index), "--quiet",
         "--text-column", "报告全文", "--column", "title=地名", "--column", "year=发布"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "跳过" not in done.stdout, done.stdout
    out = subprocess.run([sys.executable, "-m", "search", "query", '"赣南苏区"', "--index", str(index), "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    doc = json.loads(out.stdout)["hits"][0]["document"]
    assert (doc["title"], doc["province"], doc["year"]) == ("2024年赣州市政府工作报告", "江西省", 2024)


def test_page_clutter_in_a_text_file_is_cleaned(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "saved-page.txt").write_text(
        "首页 > 政务公开 > 政府工作报告\n【字号：大 中 小】 打印 关闭\n" + GOOD + "\n分享到：\n扫一扫在手机打开当前页\n",
        encoding="utf-8")
    build_index([corpus], tmp_path / "ix", progress=False)
    doc_id = open_index(tmp_path / "ix").search(SearchRequest(q='"秦巴山区"')).hits[0].doc_id
    texts = " ".join(p.text for p in open_index(tmp_path / "ix").document(doc_id).document.paragraphs)
    for clutter in ("字号", "打印", "关闭", "分享到", "扫一扫"):
        assert clutter not in texts


def test_mixed_formats_in_one_folder(tmp_path):
    corpus = tmp_path / "mixed"
    shutil.copytree(FORMATS, corpus, ignore=shutil.ignore_patterns("*.py", "encrypted.pdf", "scan_no_text.pdf"))
    summary = build_index([corpus], tmp_path / "ix", progress=False)
    assert not summary.skipped, summary.skipped
    provinces = {f.value for f in open_index(tmp_path / "ix").search(SearchRequest(q="")).facets["province"]}
    assert {"四川省", "湖南省", "贵州省", "江西省", "福建省", "甘肃省"} <= provinces
