"""What text reuse costs and finds: extra build time and size, serving memory, page latencies, top pairs.

    .venv/bin/python scripts/bench_reuse.py [CORPUS] [--work DIR] [--runs 5] [--no-build] [--planted]
    .venv/bin/python scripts/bench_reuse.py [CORPUS] --scales 1,3,10 [--repeat 3] [--work DIR]

CORPUS defaults to ../shared/corpus/lawtext. Two indexes are built by `report-search index` in child
processes, with and without the reuse data (`--no-reuse`): wall time, CPU time and the peak resident
memory of the whole process tree (sampled every 50 ms: the indexer, its readers and the reuse
workers); then one more report is added to the one with reuse data (the incremental run's time and
the paragraphs it processed). Serving: the RSS of a process that opened the index, before and after
the reuse data is loaded, and the latency of each page through the Flask app (first answer and the
median of the repeats) for 20 reports, 20 paragraphs with near-identical ones and the 20 strongest
pairs. `--planted` also measures precision and recall on the planted corpus of the tests.

`--scales` builds k times the corpus (scripts/bench.py's scaled_corpus: every extra copy with its
body lines reordered and a marker added, indexed with --keep-duplicates), with and without the
reuse data, `--repeat` times each (medians), and prints a table: build time with and without, the
ratio, the tree's peak memory, the reuse folder's size and what the reuse step did.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


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


def _build(corpus: list[Path], index: Path, reuse: bool, rebuild: bool = True, keep_duplicates: bool = False) -> dict:
    """`report-search index` in a child process: wall and CPU seconds, the peak memory of its process tree."""
    from bench import TreeMemory, folder_mb

    args = [sys.executable, "-m", "search", "index", *map(str, corpus), "--index", str(index), "--quiet"]
    args += ["--rebuild"] * rebuild + ["--keep-duplicates"] * keep_duplicates + ["--no-reuse"] * (not reuse)
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    memory = TreeMemory(proc.pid)
    _out, err = proc.communicate()
    wall = time.perf_counter() - started
    memory.stop()
    if proc.returncode:
        raise SystemExit(f"build failed: {proc.returncode}\n{err.decode(errors='replace')[-2000:]}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # cumulative: the caller takes differences
    _resign(index)
    gen = (index / "current").resolve()
    meta = json.loads((gen / "meta.json").read_text(encoding="utf-8"))
    out = {"wall": round(wall, 2), "cpu_total": usage.ru_utime + usage.ru_stime, "peak_tree_mb": memory.peak_sum,
           "peak_one_mb": memory.peak_one, "documents": meta["documents"], "paragraphs": meta["paragraphs"],
           "index_mb": round(folder_mb(gen), 1)}
    if (gen / "reuse").is_dir():
        out["reuse_mb"] = round(_size(gen / "reuse") / 1e6, 1)
        out["reuse_step"] = json.loads((gen / "reuse" / "state.json").read_text(encoding="utf-8"))["last"]
    return out


def _timed_build(*args, **kwargs) -> dict:
    """_build with its own CPU seconds (children's usage is cumulative)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = _build(*args, **kwargs)
    out["cpu"] = round(out.pop("cpu_total") - before.ru_utime - before.ru_stime, 2)
    return out


def _scales(corpus: Path, work: Path, scales: list[int], repeat: int) -> dict:
    """Build k times the corpus with and without the reuse data, `repeat` times each: medians and a table."""
    from bench import scaled_corpus

    rows = {}
    for k in scales:
        source = scaled_corpus(corpus, k, work / f"corpus-{k}x")
        runs: dict[str, list[dict]] = {"plain": [], "reuse": []}
        for _ in range(repeat):  # alternately, so that a busy spell of the machine hits both
            for name in ("plain", "reuse"):
                index = work / f"index-{k}x-{name}"
                shutil.rmtree(index, ignore_errors=True)
                runs[name].append(_timed_build([source], index, reuse=name == "reuse", keep_duplicates=k > 1))
        plain = statistics.median(r["wall"] for r in runs["plain"])
        reuse = statistics.median(r["wall"] for r in runs["reuse"])
        ratios = [r["wall"] / p["wall"] for p, r in zip(runs["plain"], runs["reuse"])]
        rows[k] = {"plain_s": plain, "reuse_s": reuse, "ratio": round(statistics.median(ratios), 3),
                   "plain_peak_tree_mb": max(r["peak_tree_mb"] for r in runs["plain"]),
                   "reuse_peak_tree_mb": max(r["peak_tree_mb"] for r in runs["reuse"]),
                   "reuse_mb": runs["reuse"][-1]["reuse_mb"], "runs": runs}
    return rows


def _table(rows: dict) -> str:
    lines = ["| scale | reports | build without | with reuse | ratio | peak RSS (tree) without / with | reuse data | reuse step |",
             "|---|---|---|---|---|---|---|---|"]
    for k, r in rows.items():
        last = r["runs"]["reuse"][-1]
        step = last["reuse_step"]
        lines.append(f"| {k}× | {last['documents']:,} | {r['plain_s']:.1f} s | {r['reuse_s']:.1f} s | {r['ratio']:.2f} | "
                     f"{r['plain_peak_tree_mb']} / {r['reuse_peak_tree_mb']} MB | {r['reuse_mb']:.0f} MB | "
                     f"{step['seconds']:.1f} s from its start, {step.get('t_waited', 0):.1f} s waited; "
                     f"{step['seeds']:,} seeds, {step['passages']:,} passages |")
    return "\n".join(lines)


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
    parser.add_argument("--scales", default=None, help="e.g. 1,3,10: build times, memory and size at each scale")
    parser.add_argument("--repeat", type=int, default=1, help="builds of each kind at each scale (medians)")
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="bench-reuse-"))
    os.environ.setdefault("REPORT_SEARCH_KEY_FILE", str(work / "index.key"))
    report: dict = {"corpus": args.corpus}
    corpus = Path(args.corpus)
    if args.scales:
        rows = _scales(corpus, work, [int(k) for k in args.scales.split(",")], args.repeat)
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        print(_table(rows))
        return
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
        report["build_plain"] = _timed_build([local], work / "plain", reuse=False)
        report["build_reuse"] = _timed_build([local], work / "reuse", reuse=True)
        shutil.copy(held, local / held.relative_to(corpus))
        report["add_one"] = _timed_build([local], work / "reuse", reuse=True, rebuild=False)
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
