"""What text reuse costs and finds: extra build time and size, serving memory, page latencies, top pairs.

    .venv/bin/python scripts/bench_reuse.py [CORPUS] [--work DIR] [--runs 5] [--no-build] [--planted]

CORPUS defaults to ../shared/corpus/lawtext. Two indexes are built in child processes, with and
without the reuse build hook (wall time and peak RSS of each); then one more report is added to the
one with reuse data (the incremental run's time and the paragraphs it processed). Serving: the RSS of
a process that opened the index, before and after the reuse data is loaded, and the latency of each
page through the Flask app (first answer and the median of the repeats) for 20 reports, 20
paragraphs with near-identical ones and the 20 strongest pairs. `--planted` also measures precision
and recall on the planted corpus of the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _size(path: Path) -> int:
    """Bytes of the files under `path`, a hard-linked file counted once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink():
            st = p.stat()
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
    return total


def _build(corpus: list[Path], index: Path, reuse: bool) -> dict:
    """Build in a child process; wall seconds and the peak RSS of it and its workers."""
    code = (
        "import sys, json, search\n"
        "from search.backends.embedded import writer\n"
        f"{'' if reuse else 'writer.GENERATION_HOOKS.clear()'}\n"
        "s = search.build_index([*map(str, json.loads(sys.argv[1]))], sys.argv[2], progress=False)\n"
        "print(json.dumps({'documents': s.documents, 'paragraphs': s.paragraphs}))\n"
    )
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, json.dumps([str(c) for c in corpus]), str(index)],
                            stdout=subprocess.PIPE, cwd=ROOT)
    out = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)  # this build's own peak (with the workers it waited for)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"build failed: {proc.returncode}")
    _resign(index)
    cpu = usage.ru_utime + usage.ru_stime  # less at the mercy of other processes than the wall time
    return {"wall": wall, "cpu": cpu, "peak_rss_mb": usage.ru_maxrss / 1024, **json.loads(out)}


def _resign(index: Path) -> None:
    """Sign the document table anew: an incremental run signs the previous table's signature.json along
    with the table and then fails its own check (an indexer bug outside text reuse; see the report)."""
    from search.backends.embedded import doctable, signing

    gen = (index / "current").resolve()
    (gen / doctable.WHOOSH_DIR / signing.SIGNATURE_FILE).unlink(missing_ok=True)
    signing.sign(gen, doctable.WHOOSH_DIR)


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _timed(client, url: str, runs: int) -> tuple[float, float]:
    """(first, median of the repeats) in milliseconds; fails on a non-200."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        r = client.get(url)
        times.append((time.perf_counter() - t) * 1000)
        if r.status_code != 200:
            raise SystemExit(f"{url}: {r.status_code}")
    return times[0], statistics.median(times[1:] or times)


def _serve(index: Path, runs: int) -> dict:
    import numpy as np

    from search.reuse import views
    from web import create_app

    before = _rss_mb()
    app = create_app({"INDEX_DIR": str(index), "TESTING": True})
    opened = _rss_mb()
    from web.core import EXTENSION_KEY

    searcher = app.extensions[EXTENSION_KEY]  # the app's own: a second searcher would count in the figure
    t = time.perf_counter()
    data = views.data_of(searcher)
    load = time.perf_counter() - t
    loaded = _rss_mb()
    client = app.test_client()
    top = views.top_pairs(searcher, per_page=20)
    docs = [r.a.doc_id for r in top.rows]
    rng = np.random.default_rng(1)
    near_nums = np.unique(data.near_src)
    pick = rng.choice(near_nums, size=min(20, near_nums.size), replace=False) if near_nums.size else []
    paragraphs = [data.paragraph_id(int(data.row_of_num([int(n)])[0])) for n in pick]
    pages = {
        "/reuse": ["/reuse", "/reuse?province=江苏&year=2015-2024", "/reuse?level=市&sort=chars&page=2"],
        "/doc/<id>/reuse": [f"/doc/{d}/reuse" for d in docs],
        "/reuse/compare": [f"/reuse/compare?a={r.a.doc_id}&b={r.b.doc_id}" for r in top.rows],
        "/p/<id>/similar": [f"/p/{p}/similar" for p in paragraphs],
        "/api/reuse": ["/api/reuse"], "/reuse.csv": ["/reuse.csv"],
    }
    latency = {}
    for name, urls in pages.items():
        firsts, repeats = [], []
        for url in urls:
            f, m = _timed(client, url, runs)
            firsts.append(f)
            repeats.append(m)
        latency[name] = {"first_median": statistics.median(firsts), "first_max": max(firsts),
                         "repeat_median": statistics.median(repeats), "pages": len(urls)}
    return {"rss_before_mb": before, "rss_app_mb": opened, "rss_reuse_mb": loaded, "reuse_extra_mb": loaded - opened,
            "load_seconds": load, "latency_ms": latency,
            "passages": int(data.passages.size), "pairs": int(data.pairs.a.size), "near_pairs": int(data.near_src.size // 2),
            "formula_paragraphs": data.formula_count}


def _top(index: Path, n: int = 10) -> list[dict]:
    import search
    from search.reuse import views

    searcher = search.open_index(index)
    return [{"a": f"{r.a.source} ({r.place_a}, {r.a.date or r.a.year})", "b": f"{r.b.source} ({r.place_b}, {r.b.date or r.b.year})",
             "share_a": round(r.share_a, 4), "share_b": round(r.share_b, 4), "passages": r.passages, "chars": r.chars,
             "earlier": r.earlier, "compare": f"/reuse/compare?a={r.a.doc_id}&b={r.b.doc_id}"}
            for r in views.top_pairs(searcher, per_page=n).rows]


def _planted() -> dict:
    """Precision and recall of pairs and passages on the tests' planted corpus."""
    from search import build_index, open_index
    from search.reuse import views
    from tests import reuse_corpus
    from tests.test_reuse import _covered

    root = Path(tempfile.mkdtemp(prefix="reuse-planted-"))
    try:
        corpus = reuse_corpus.build(root / "corpus")
        build_index([root / "corpus"], root / "ix", progress=False)
        s = open_index(root / "ix")
        ids = {d.source.split("/")[-1]: d.doc_id for d in s.catalog().documents}
        data = views.data_of(s)
        found = {frozenset((data.doc_id[int(a)], data.doc_id[int(b)])) for a, b in zip(data.pairs.a, data.pairs.b)}
        truth = {frozenset(ids[n] for n in pair) for pair in corpus.pairs()}
        pieces = hit = 0
        by_pair: dict = {}
        for p in corpus.planted:
            by_pair.setdefault(frozenset((ids[p.source], ids[p.target])), []).append(p)
            rows = views.compare(s, ids[p.target], ids[p.source]).rows
            for piece in p.texts:
                pieces += 1
                hit += max((_covered(r.a_text, piece, r.a_spans) for r in rows), default=0) >= 0.8
        spans = good = 0
        for pair in found:
            plants = by_pair.get(pair, [])
            target = ids[plants[0].target] if plants else sorted(pair)[0]
            rows = views.compare(s, target, next(iter(pair - {target}))).rows
            texts = [t for pl in plants for t in pl.texts]
            for r in rows:
                for a, b in r.a_spans:
                    spans += 1
                    good += any(_covered(r.a_text, t, [(a, b)]) >= 0.5 or r.a_text[a:b] in t for t in texts)
        return {"planted_pairs": len(truth), "found_pairs": len(found),
                "pair_precision": len(found & truth) / max(1, len(found)), "pair_recall": len(found & truth) / len(truth),
                "planted_passages": pieces, "passage_recall": hit / pieces, "found_spans": spans,
                "passage_precision": good / max(1, spans)}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(ROOT.parent / "shared" / "corpus" / "lawtext"))
    parser.add_argument("--work", default=None, help="folder for the indexes (default: a temporary one)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-build", action="store_true", help="reuse the indexes in --work")
    parser.add_argument("--planted", action="store_true")
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="bench-reuse-"))
    os.environ.setdefault("REPORT_SEARCH_KEY_FILE", str(work / "index.key"))
    report: dict = {"corpus": args.corpus}
    corpus = Path(args.corpus)
    if not args.no_build:
        # the corpus less its last file, so that adding it afterwards is a one-report incremental run
        files = sorted(p for p in corpus.rglob("*") if p.is_file())
        held = files[-1]
        local = work / "corpus"
        shutil.rmtree(local, ignore_errors=True)
        shutil.copytree(corpus, local)
        (local / held.relative_to(corpus)).unlink()
        for name in ("plain", "reuse"):
            shutil.rmtree(work / name, ignore_errors=True)
        report["build_plain"] = _build([local], work / "plain", reuse=False)
        report["build_reuse"] = _build([local], work / "reuse", reuse=True)
        shutil.copy(held, local / held.relative_to(corpus))
        report["add_one"] = _build([local], work / "reuse", reuse=True)
        state = json.loads((work / "reuse" / "current" / "reuse" / "state.json").read_text(encoding="utf-8"))
        report["add_one"]["reuse_step"] = state["last"]
        report["extra_build_seconds"] = report["build_reuse"]["wall"] - report["build_plain"]["wall"]
        report["extra_build_cpu_seconds"] = report["build_reuse"]["cpu"] - report["build_plain"]["cpu"]
    gen = (work / "reuse" / "current").resolve()
    report["index_mb"] = _size(gen) / 1e6
    report["reuse_mb"] = _size(gen / "reuse") / 1e6
    report["serve"] = _serve(work / "reuse", args.runs)
    report["top_pairs"] = _top(work / "reuse")
    if args.planted:
        report["planted"] = _planted()
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
