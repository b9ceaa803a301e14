"""Index runs: incremental updates, copies skipped, atomic swaps while serving, killed runs."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from search import SearchRequest, build_index, open_index
from search.indexer import current_generation

from .conftest import ROOT, SAMPLE

REPORT = "{year}年{place}政府工作报告\n\n各位代表：\n\n{body}\n\n一、工作回顾\n\n{more}\n"


def _write(folder: Path, name: str, place: str, body: str, more: str = "全年经济运行稳中向好。") -> Path:
    path = folder / name
    path.write_text(REPORT.format(year=2024, place=place, body=body, more=more), encoding="utf-8")
    return path


def _ids(searcher, q: str) -> set[str]:
    return {h.id for h in searcher.iter_hits(SearchRequest(q=q))}


def test_incremental_update_adds_updates_removes_and_keeps(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "a.txt", "巴中市", "我们推进巴中特色产业甲项目。")
    _write(corpus, "b.txt", "绵阳市", "我们推进绵阳科技城乙项目。")
    _write(corpus, "c.txt", "泸州市", "我们推进泸州白酒丙项目。")
    index = tmp_path / "ix"
    first = build_index([corpus], index, progress=False)
    assert (first.added, first.updated, first.removed, first.unchanged) == (3, 0, 0, 0)
    kept_ids = _ids(open_index(index), '"泸州白酒丙项目"')

    again = build_index([corpus], index, progress=False)
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 3)

    _write(corpus, "a.txt", "巴中市", "我们推进巴中特色产业丁项目。")  # changed
    (corpus / "b.txt").unlink()  # removed
    _write(corpus, "d.txt", "德阳市", "我们推进德阳装备戊项目。")  # new
    third = build_index([corpus], index, progress=False)
    assert (third.added, third.updated, third.removed, third.unchanged) == (1, 1, 1, 1)
    searcher = open_index(index)
    assert not _ids(searcher, '"甲项目"') and _ids(searcher, '"丁项目"')
    assert not _ids(searcher, '"乙项目"') and _ids(searcher, '"戊项目"')
    assert _ids(searcher, '"泸州白酒丙项目"') == kept_ids
    assert searcher.stats()["documents"] == 3

    rebuilt = build_index([corpus], index, progress=False, rebuild=True)
    assert rebuilt.added == 3 and _ids(open_index(index), '"泸州白酒丙项目"') == kept_ids


def test_same_report_twice_is_indexed_once(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "report.txt", "巴中市", "我们建设秦巴山区生态屏障。")
    (corpus / "copy").mkdir()
    _write(corpus / "copy", "report-saved-again.txt", "巴中市", "我们建设秦巴山区生态屏障。")
    summary = build_index([corpus], tmp_path / "ix", progress=False)
    assert summary.documents == 1
    assert len(summary.duplicates) == 1
    assert summary.duplicates[0].path in {"copy/report-saved-again.txt", "report.txt"}
    assert "内容相同" in summary.duplicates[0].reason
    assert len(_ids(open_index(tmp_path / "ix"), '"秦巴山区生态屏障"')) == 1


def test_bad_files_are_reported_and_the_rest_indexed(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "good.txt", "巴中市", "我们建设秦巴山区生态屏障。")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.md").write_bytes(bytes(range(256)) * 50)
    (corpus / "gbk.txt").write_bytes("2024年泸州市政府工作报告\n\n各位代表：\n\n酒城泸州加快发展。\n".encode("gbk"))
    summary = build_index([corpus, tmp_path / "does-not-exist"], tmp_path / "ix", progress=False)
    reasons = {s.path.split("/")[-1]: s.reason for s in summary.skipped}
    assert set(reasons) >= {"empty.txt", "binary.md", "does-not-exist"}
    assert all(reasons.values())
    searcher = open_index(tmp_path / "ix")
    assert _ids(searcher, '"秦巴山区生态屏障"') and _ids(searcher, '"酒城泸州"')


def test_searches_keep_working_during_a_rebuild_and_switch_after(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "a.txt", "巴中市", "旧版本的段落内容。")
    index = tmp_path / "ix"
    build_index([corpus], index, progress=False)
    searcher = open_index(index)
    assert searcher.search(SearchRequest(q='"旧版本"')).total == 1
    _write(corpus, "a.txt", "巴中市", "新版本的段落内容。")
    for i in range(30):
        _write(corpus, f"more-{i}.txt", "绵阳市", f"补充材料第{i}号，推进科技创新。")
    errors: list[BaseException] = []
    done = threading.Event()

    def rebuild() -> None:
        try:
            build_index([SAMPLE, corpus], index, progress=False, rebuild=True)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=rebuild)
    thread.start()
    answered = 0
    while not done.is_set():
        result = searcher.search(SearchRequest(q="段落"))
        assert result.total >= 1
        answered += 1
    thread.join()
    assert not errors and answered > 0
    assert searcher.search(SearchRequest(q='"新版本"')).total == 1
    assert searcher.search(SearchRequest(q='"旧版本"')).total == 0


def test_a_killed_run_leaves_the_previous_index(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "a.txt", "巴中市", "被中断之前的索引内容。")
    index = tmp_path / "ix"
    build_index([corpus], index, progress=False)
    before = current_generation(index)
    rng = random.Random()
    for attempt in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-m", "search", "index", str(SAMPLE), str(corpus), "--index", str(index), "--rebuild", "--quiet"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.2, 2.0))  # a sample build takes about 2 s
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        searcher = open_index(index)
        assert searcher.search(SearchRequest(q='"被中断之前"')).total == 1
        now = current_generation(index)
        if now != before:
            # Only a finished build may be swapped in (a kill can land between the swap and the exit).
            assert searcher.stats()["documents"] == 31
            before = now
    # The next run cleans up and works.
    build_index([corpus], index, progress=False, rebuild=True)
    assert open_index(index).search(SearchRequest(q='"被中断之前"')).total == 1
    assert len(list(index.glob("gen-*"))) <= 2


@pytest.mark.parametrize("state", ["missing", "empty", "old-schema", "garbage"])
def test_opening_a_bad_index_gives_a_clear_message(tmp_path, state):
    from search import IndexUnavailable

    index = tmp_path / "ix"
    if state != "missing":
        index.mkdir()
    if state in ("old-schema", "garbage"):
        corpus = tmp_path / "corpus"
        corpus.mkdir()
        _write(corpus, "a.txt", "巴中市", "内容。")
        build_index([corpus], index, progress=False)
        meta = current_generation(index) / "meta.json"
        meta.write_text('{"schema_version": 0}' if state == "old-schema" else "not json", encoding="utf-8")
    with pytest.raises(IndexUnavailable) as info:
        open_index(index)
    assert str(index) in str(info.value) or "索引" in str(info.value)


def test_a_killed_run_leaves_no_writer_processes_behind(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "search", "index", str(SAMPLE), "--index", str(tmp_path / "ix"), "--rebuild", "--quiet"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    children: set[int] = set()
    deadline = time.monotonic() + 60
    while not children and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(stat[1]) == proc.pid:
                    children.add(int(entry.name))
    if proc.poll() is not None:
        pytest.skip("the run ended before its writer processes could be seen")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(1)
    alive = [pid for pid in children if Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]]
    assert alive == []


def test_a_second_run_on_the_same_folder_is_refused_clearly(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "a.txt", "巴中市", "第一次运行的内容。")
    index = tmp_path / "ix"
    first = subprocess.Popen(
        [sys.executable, "-m", "search", "index", str(SAMPLE), str(corpus), "--index", str(index), "--quiet"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not list(index.glob("gen-*")) and time.monotonic() < deadline:  # the first run holds the lock
            time.sleep(0.02)
        second = subprocess.run(
            [sys.executable, "-m", "search", "index", str(corpus), "--index", str(index), "--quiet"],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )
        assert first.poll() is None, "the first run ended before the second started; the test proves nothing"
        assert second.returncode == 2 and "另一个索引任务" in second.stderr and "Traceback" not in second.stderr
    finally:
        assert first.wait(60) == 0
    # The lock goes with the run that held it, even a killed one.
    killed = subprocess.Popen(
        [sys.executable, "-m", "search", "index", str(SAMPLE), "--index", str(index), "--rebuild", "--quiet"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    killed.kill()
    killed.wait()
    assert build_index([corpus], index, progress=False).added == 0
    assert open_index(index).search(SearchRequest(q='"第一次运行"')).total == 1
