"""The command line end to end: index the sample corpus, query it, in a temporary folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from .conftest import ROOT, SAMPLE


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "search", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})},
    )


def test_index_then_query(tmp_path):
    index = tmp_path / "ix"
    broken = tmp_path / "corpus"
    broken.mkdir()
    (broken / "ok.txt").write_text("2024年巴中市政府工作报告\n\n各位代表：\n\n我们坚持高质量发展，建设15分钟养老服务圈。\n", encoding="utf-8")
    (broken / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    done = _run("index", str(SAMPLE), str(broken), "--index", str(index), "--quiet")
    assert done.returncode == 0, done.stderr
    assert "文档" in done.stdout and "段落" in done.stdout
    assert "binary.txt" in done.stdout  # reported with its reason; the rest is indexed

    out = _run("query", '"15分钟养老服务圈"', "--index", str(index), "--json", "--per-page", "5")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["total"] >= 2 and len(data["hits"]) <= 5 and data["documents"] >= 2
    for hit in data["hits"]:
        marked = [hit["text"][a:b].replace(" ", "") for a, b in hit["spans"]]
        assert marked == ["15分钟养老服务圈"] * len(marked) and marked
    assert set(data["facets"]) == {"province", "city", "level", "tier", "year", "type"}

    reports = _run("query", "养老", "--index", str(index), "--reports", "--json")
    assert reports.returncode == 0 and json.loads(reports.stdout)["total"] >= 2

    text = _run("query", "养老", "--index", str(index), "--province", "四川省", "--year", "2024")
    assert text.returncode == 0, text.stderr
    assert "巴中" in text.stdout

    env_query = _run("query", "发展", env={"REPORT_SEARCH_INDEX": str(index)})
    assert env_query.returncode == 0 and "共" in env_query.stdout


def test_clear_errors(tmp_path):
    missing = _run("query", "发展", "--index", str(tmp_path / "nothing"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr and "索引" in missing.stderr
    bad_page = _run("query", "发展", "--index", str(tmp_path), "--page", "0")
    assert bad_page.returncode == 2 and "Traceback" not in bad_page.stderr


def test_serve_explains_a_missing_empty_or_old_index(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for folder in (tmp_path / "missing", empty):
        done = _run("serve", "--index", str(folder), "--port", "1")
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr and "report-search index" in done.stderr
    old = tmp_path / "old"
    assert _run("index", str(SAMPLE), "--index", str(old), "--quiet").returncode == 0
    meta = next(old.glob("gen-*")) / "meta.json"
    meta.write_text(meta.read_text(encoding="utf-8").replace('"schema_version": ', '"schema_version": 1000'), encoding="utf-8")
    done = _run("serve", "--index", str(old), "--port", "1")
    assert done.returncode == 2 and "Traceback" not in done.stderr and "--rebuild" in done.stderr


def test_serve_refuses_all_interfaces_without_the_flag(tmp_path):
    done = _run("serve", "--index", str(tmp_path), "--host", "0.0.0.0")
    assert done.returncode == 2 and "--allow-remote" in done.stderr


def test_a_write_lock_left_in_the_index_does_not_stop_serving(tmp_path):
    import socket
    import time
    import urllib.request

    index = tmp_path / "ix"
    assert _run("index", str(SAMPLE), "--index", str(index), "--quiet").returncode == 0
    (next(index.glob("gen-*")) / "documents" / "MAIN_WRITELOCK").write_text("")  # as a killed writer leaves it
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "search", "serve", "--index", str(index), "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q=%E5%8F%91%E5%B1%95", timeout=5) as r:
                    assert r.status == 200 and json.loads(r.read())["total"] > 0
                    break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()
                time.sleep(0.1)
        else:
            raise AssertionError("serve did not answer")
    finally:
        proc.terminate()
        proc.wait(10)


def test_terminal_output_strips_control_characters(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    # A dataset row can carry what a text file cannot (a file with raw controls is refused as binary).
    row = {"title": "2024年巴中市政府工作报告", "province": "四川省", "year": 2024,
           "content": "各位代表：\n恶意\x1b]0;pwned\x07文本\x1b[31m清屏\u202e反转\x9b的段落。"}
    (corpus / "esc.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    index = tmp_path / "ix"
    assert _run("index", str(corpus), "--index", str(index), "--quiet").returncode == 0
    out = _run("query", "恶意", "--index", str(index))
    assert out.returncode == 0 and "共 1 段" in out.stdout and "文本" in out.stdout
    assert not any(c in out.stdout for c in "\x1b\x07\u202e")
    marked = _run("query", "清屏", "--index", str(index)).stdout
    assert "【清屏】" in marked  # the marks still stand around the match once the controls are gone
    raw = _run("query", "恶意", "--index", str(index), "--json").stdout
    assert not any(c in raw for c in "\x1b\x07\u202e") and "\\u202e" in raw
    assert "恶意" in json.loads(raw)["hits"][0]["text"]
