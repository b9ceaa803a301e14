"""Index runs: incremental updates, copies kept once, atomic swaps while serving, killed runs, bounds."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from search import IndexUnavailable, SearchRequest, build_index, open_index
from search.backends.embedded.generation import current_generation, read_meta

from .conftest import LAWTEXT, ROOT, SAMPLE

REPORT = "{year}年{place}政府工作报告\n\n各位代表：\n\n{body}\n\n一、工作回顾\n\n{more}\n"


def _write(folder: Path, name: str, place: str, body: str, more: str = "全年经济运行稳中向好。") -> Path:
    path = folder / name
    path.write_text(REPORT.format(year=2024, place=place, body=body, more=more), encoding="utf-8")
    return path


def _ids(searcher, q: str) -> set[str]:
    return {h.id for h in searcher.iter_hits(SearchRequest(q=q))}


def _cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "search", *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_incremental_update_adds_updates_removes_and_keeps(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "a.txt", "巴中市", "我们推进巴中特色产业甲项目。")
    _write(corpus, "b.txt", "绵阳市", "我们推进绵阳科技城乙项目。")
    _write(corpus, "c.txt", "泸州市", "我们推进泸州白酒丙项目。")
    index = tmp_path / "ix"
    first = build_index([corpus], index, progress=False)
    assert (first.added, first.documents) == (3, 3)
    kept_id = next(iter(_ids(open_index(index), '"绵阳科技城乙项目"')))

    _write(corpus, "a.txt", "巴中市", "我们推进巴中特色产业丁项目。")  # changed
    (corpus / "c.txt").unlink()  # removed
    _write(corpus, "d.txt", "广元市", "我们推进广元文旅戊项目。")  # new
    second = build_index([corpus], index, progress=False)
    assert (second.added, second.updated, second.removed, second.unchanged) == (1, 1, 1, 1)
    assert second.characters < first.characters  # the unchanged file was not read again
    searcher = open_index(index)
    assert searcher.search(SearchRequest(q='"甲项目"')).total == 0
    assert searcher.search(SearchRequest(q='"丁项目"')).total == 1
    assert searcher.search(SearchRequest(q='"丙项目"')).total == 0
    assert searcher.search(SearchRequest(q='"戊项目"')).total == 1
    assert _ids(searcher, '"绵阳科技城乙项目"') == {kept_id}  # unchanged: same paragraph, same id
    assert searcher.stats()["documents"] == 3
    # a third run with nothing changed reads nothing
    third = build_index([corpus], index, progress=False)
    assert (third.added, third.updated, third.removed, third.unchanged, third.characters) == (0, 0, 0, 3, 0)


def test_many_small_updates_are_compacted_into_one_segment(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    index = tmp_path / "ix"
    for i in range(9):
        _write(corpus, f"r{i}.txt", "巴中市", f"第{i}次追加的报告内容，编号{i}号。")
        summary = build_index([corpus], index, progress=False)
    assert summary.segments <= 6
    searcher = open_index(index)
    for i in range(9):
        assert searcher.search(SearchRequest(q=f'"编号{i}号"')).total == 1


def test_the_same_report_twice_is_indexed_once_and_listed(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "a.txt", "巴中市", "这是同一份报告。")
    _write(corpus, "copy-of-a.txt", "巴中市", "这是同一份报告。")
    summary = build_index([corpus], tmp_path / "ix", progress=False)
    assert summary.documents == 1
    assert [(d.dropped, d.kept) for d in summary.duplicates] == [("copy-of-a.txt", "a.txt")]
    assert open_index(tmp_path / "ix").search(SearchRequest(q='"同一份报告"')).total == 1
    both = build_index([corpus], tmp_path / "ix2", progress=False, keep_duplicates=True)
    assert both.documents == 2 and not both.duplicates


def test_bad_files_are_reported_and_the_rest_indexed(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "good.txt", "巴中市", "正常的报告内容。")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    (corpus / "fake.pdf").write_bytes(b"not a pdf at all")
    summary = build_index([corpus], tmp_path / "ix", progress=False)
    assert summary.documents == 1
    assert {s.path for s in summary.skipped} == {"empty.txt", "binary.txt", "fake.pdf"}
    assert all(s.reason for s in summary.skipped)


def _slow_reader(path):  # runs in a build worker
    time.sleep(60)


def _greedy_reader(path):  # runs in a build worker
    hog = bytearray(8 << 30)  # far more than a worker may take
    return [hog]


@pytest.mark.parametrize("reader,reason", [(_slow_reader, "超时"), (_greedy_reader, "内存")])
def test_one_bad_file_costs_bounded_time_and_memory_and_never_stops_the_run(tmp_path, monkeypatch, reader, reason):
    from search.backends.embedded import writer
    from search.ingest import pipeline, readers

    monkeypatch.setattr(writer, "FILE_TIMEOUT", 2.0)
    monkeypatch.setattr(writer, "WORKER_MEMORY", 1 << 30)
    monkeypatch.setitem(readers._MODULES, ".bad", "text")  # a format discover() accepts …
    original = pipeline.reader_for
    monkeypatch.setattr(pipeline, "reader_for", lambda p: reader if p.suffix == ".bad" else original(p))  # … read badly
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(5):
        _write(corpus, f"r{i}.txt", "巴中市", f"第{i}份正常的报告。")
    (corpus / "r2-hostile.bad").write_text("x", encoding="utf-8")
    started = time.monotonic()
    summary = build_index([corpus], tmp_path / "ix", progress=False)
    assert time.monotonic() - started < 30
    assert summary.documents == 5
    assert [s.path for s in summary.skipped] == ["r2-hostile.bad"] and reason in summary.skipped[0].reason


def test_searches_keep_working_during_a_rebuild_and_switch_after(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "a.txt", "巴中市", "旧版本的段落内容。")
    index = tmp_path / "ix"
    build_index([corpus], index, progress=False)
    searcher = open_index(index)
    assert searcher.search(SearchRequest(q='"旧版本"')).total == 1
    _write(corpus, "a.txt", "巴中市", "新版本的段落内容。")
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
        assert searcher.search(SearchRequest(q="段落", page=1 + answered % 3)).total >= 1
        answered += 1
    thread.join()
    assert not errors and answered > 0
    assert searcher.search(SearchRequest(q='"新版本"')).total == 1
    assert searcher.search(SearchRequest(q='"旧版本"')).total == 0


def test_a_request_answers_from_one_generation_even_if_a_swap_comes_halfway(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "a.txt", "巴中市", "旧版本的段落内容。")
    index = tmp_path / "ix"
    build_index([corpus], index, progress=False)
    searcher = open_index(index)
    backend = searcher.backend
    with backend.pin():
        before = backend.generation()
        rows = backend.page(None, None, "document", 0, 100)
        # A rebuild with more paragraphs swaps `current` while the request is still using its rows.
        _write(corpus, "a.txt", "巴中市", "新版本的段落内容。", more="另一段。\n\n再一段新增的内容。")
        build_index([corpus], index, progress=False, rebuild=True)
        assert backend.generation() == before
        assert [u.text for u in backend.fetch(rows)] == [u.text for u in backend.fetch(rows)]
        assert any("旧版本" in u.text for u in backend.fetch(rows))
        assert searcher.search(SearchRequest(q='"旧版本"')).total == 1  # nested: the same generation
    assert backend.generation() != before
    assert searcher.search(SearchRequest(q='"新版本"')).total == 1
    assert searcher.search(SearchRequest(q='"旧版本"')).total == 0


@pytest.mark.skipif(not LAWTEXT.exists(), reason="lawtext corpus not available")
def test_a_killed_rebuild_costs_nothing_and_the_next_run_cleans_up(tmp_path):
    """kill -9 during `index --rebuild`, then a normal `index`: the live generation stays, leftovers go."""
    corpus = LAWTEXT / "政府工作报告-国务院"
    index = tmp_path / "ix"
    assert _cli("index", str(corpus), "--index", str(index), "--quiet").wait(300) == 0
    good = current_generation(index)
    rng = random.Random(13)
    leftovers: set[str] = set()
    for _ in range(2):
        proc = _cli("index", str(LAWTEXT / "政府工作报告-省自治区"), str(corpus), "--index", str(index), "--rebuild", "--quiet")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(list(index.glob("gen-*"))) < 2:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.5, 2.0))  # inside the build: reading and writing runs takes several seconds
        assert proc.poll() is None, "the rebuild ended before it could be killed; the test proves nothing"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert current_generation(index) == good
        leftovers |= {p.name for p in index.glob("gen-*")} - {good.name}
        assert open_index(index).search(SearchRequest(q='"政府工作报告"')).total > 0
    assert leftovers
    # a normal run: builds on the current generation, keeps it as "previous", removes the killed runs' folders
    assert _cli("index", str(corpus), "--index", str(index), "--quiet").wait(300) == 0
    now = current_generation(index)
    remaining = {p.name for p in index.glob("gen-*")}
    assert remaining == {now.name, good.name} and read_meta(now)["previous"] == good.name
    assert not (leftovers & remaining)


def test_cleanup_keeps_the_current_and_previous_generations_whatever_their_age(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "a.txt", "巴中市", "第一版。")
    index = tmp_path / "ix"
    build_index([corpus], index, progress=False)
    first = current_generation(index)
    _write(corpus, "a.txt", "巴中市", "第二版。")
    build_index([corpus], index, progress=False)
    second = current_generation(index)
    stray = index / "gen-99999999-999999-1-0"  # a killed run's folder, newer than everything
    stray.mkdir()
    (stray / "junk").write_bytes(b"x" * 1000)
    os.utime(first, (1, 1))  # the previous generation is the oldest on disk
    _write(corpus, "a.txt", "巴中市", "第三版。")
    build_index([corpus], index, progress=False)
    third = current_generation(index)
    assert {p.name for p in index.glob("gen-*")} == {third.name, second.name}


def test_a_killed_run_leaves_no_worker_processes_behind(tmp_path):
    proc = _cli("index", str(SAMPLE), "--index", str(tmp_path / "ix"), "--rebuild", "--quiet")
    children: set[int] = set()
    deadline = time.monotonic() + 60
    while not children and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(stat[1]) == proc.pid:
                    children.add(int(entry.name))
    if proc.poll() is not None:
        pytest.skip("the run ended before its worker processes could be seen")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(1)
    alive = [pid for pid in children if Path(f"/proc/{pid}").exists()
             and "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]]
    assert alive == []


def test_a_second_run_on_the_same_folder_is_refused_clearly(tmp_path):
    index = tmp_path / "ix"
    corpus = LAWTEXT / "政府工作报告-省自治区" if LAWTEXT.exists() else SAMPLE
    first = _cli("index", str(corpus), "--index", str(index), "--quiet")
    try:
        deadline = time.monotonic() + 30
        while not list(index.glob("gen-*")) and time.monotonic() < deadline:  # the first run holds the lock
            time.sleep(0.02)
        second = subprocess.run(
            [sys.executable, "-m", "search", "index", str(SAMPLE), "--index", str(index), "--quiet"],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )
        if first.poll() is not None:
            pytest.skip("the first run ended before the second started")
        assert second.returncode == 2 and "另一个索引任务" in second.stderr and "Traceback" not in second.stderr
    finally:
        assert first.wait(300) == 0


@pytest.mark.parametrize("state", ["missing", "empty", "old-schema", "garbage", "tampered", "unsigned"])
def test_opening_a_bad_index_gives_a_clear_message(tmp_path, state):
    index = tmp_path / "ix"
    if state != "missing":
        index.mkdir()
    if state not in ("missing", "empty"):
        corpus = tmp_path / "corpus"
        corpus.mkdir()
        _write(corpus, "a.txt", "巴中市", "内容。")
        build_index([corpus], index, progress=False)
        generation = current_generation(index)
        meta = generation / "meta.json"
        if state == "old-schema":
            meta.write_text('{"schema_version": 0}', encoding="utf-8")
        elif state == "garbage":
            meta.write_text("not json", encoding="utf-8")
        elif state == "tampered":  # a pickle slipped into the document table must never be unpickled
            seg = next((generation / "documents").glob("*.seg"))
            seg.write_bytes(seg.read_bytes() + b"cos\nsystem\n(S'touch /tmp/pwned'\ntR.")
        else:
            (generation / "documents" / "signature.json").unlink()
    with pytest.raises(IndexUnavailable) as info:
        open_index(index)
    assert "索引" in str(info.value)


def test_a_trusted_index_can_be_signed_again(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "a.txt", "巴中市", "内容。")
    build_index([corpus], tmp_path / "ix", progress=False)
    (current_generation(tmp_path / "ix") / "documents" / "signature.json").unlink()
    with pytest.raises(IndexUnavailable):
        open_index(tmp_path / "ix")
    done = subprocess.run([sys.executable, "-m", "search", "sign", "--index", str(tmp_path / "ix")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert open_index(tmp_path / "ix").search(SearchRequest(q="内容")).total == 1


def test_the_summary_lists_duplicates_conflicts_and_short_paragraphs_in_the_index(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "a.txt", "巴中市", "这是同一份报告。\n\n位代表！")
    _write(corpus, "b.txt", "巴中市", "这是同一份报告。\n\n位代表！")
    summary = build_index([corpus], tmp_path / "ix", progress=False)
    assert summary.short_paragraphs == 2 and ("位代表！（称呼，来源缺字）", 1) in summary.short_examples
    stored = json.loads((current_generation(tmp_path / "ix") / "meta.json").read_text(encoding="utf-8"))["summary"]
    assert stored["duplicates"][0]["dropped"] == "b.txt" and stored["short_paragraphs"] == summary.short_paragraphs
