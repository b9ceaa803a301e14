#!/usr/bin/env python3
"""Benchmark: build an index of a corpus, answer a fixed query mix in-process, over HTTP and by brute force.

Usage:
    python scripts/bench.py [CORPUS] [--index DIR] [--runs 5] [--no-build] [--no-http] [--queries FILE]
    python scripts/bench.py [CORPUS] --make-queries   # (re)sample the committed query mix from the corpus

CORPUS defaults to ../shared/corpus/lawtext. Everything runs on this machine in one go, so the
ratios (project / brute force) are comparable even on a noisy shared machine. Standard library and
the project only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search import SearchRequest, open_index  # noqa: E402
from search.analysis import segment  # noqa: E402
from search.models import FACETS  # noqa: E402
from search.query import And, Filter, Not, Or, Term, parse_query  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "lawtext"
DEFAULT_QUERIES = ROOT / "scripts" / "bench_queries.json"
KINDS = ("phrase-rare", "phrase-frequent", "word", "and", "or-not")


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process (this one by default) in MB, from /proc."""
    with open(f"/proc/{pid or 'self'}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def folder_mb(path: Path) -> float:
    """Size of the files under a folder in MB."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def build(corpus: Path, index: Path) -> dict:
    """Build the index in a child process: wall time, peak RSS, size."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "search", "index", str(corpus), "--index", str(index), "--rebuild", "--quiet"],
        cwd=ROOT, capture_output=True, text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"index failed:\n{done.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    generation = index / os.readlink(index / "current")
    meta = json.loads((generation / "meta.json").read_text(encoding="utf-8"))
    chars = sum(len(t) for t in (generation / "texts.txt").read_text(encoding="utf-8").split("\n"))
    return {
        "seconds": seconds,
        "documents": meta["documents"],
        "paragraphs": meta["paragraphs"],
        "characters": chars,
        "chars_per_s": chars / seconds,
        "peak_rss_mb": peak,
        "index_mb": folder_mb(generation),
        "summary": done.stdout.strip().splitlines()[-3:],
    }


# -- the query mix ------------------------------------------------------------------------------------
def make_queries(searcher, seed: int = 20261122) -> list[dict]:
    """Sample the query mix from the indexed paragraphs (run once; the result is committed)."""
    gen = searcher._generation()
    texts = gen.substrings.texts
    rng = random.Random(seed)
    provinces = [v for v in searcher.facet_values("province")]
    out: list[dict] = []

    def count(s: str) -> int:
        return gen.substrings.find(s).size

    def pick_phrase(rare: bool) -> str:
        while True:
            t = texts[rng.randrange(len(texts))]
            if len(t) < 12:
                continue
            n = rng.randint(2, 12) if rare else rng.randint(2, 6)
            i = rng.randrange(len(t) - n)
            s = t[i : i + n]
            if any(c in s for c in '"“” ') or not all(c.isalnum() for c in s):
                continue
            c = count(s)
            if (rare and 1 <= c <= 20) or (not rare and c >= 2000):
                return s

    def pick_word() -> str:
        while True:
            t = texts[rng.randrange(len(texts))]
            words = [w for w in segment(t) if len(w) >= 2 and not w.isascii()]
            if words:
                return rng.choice(words)

    for _ in range(8):
        out.append({"kind": "phrase-rare", "q": f'"{pick_phrase(True)}"'})
    for _ in range(8):
        out.append({"kind": "phrase-frequent", "q": f'"{pick_phrase(False)}"'})
    out.append({"kind": "phrase-frequent", "q": '"高质量发展"'})
    out.append({"kind": "phrase-frequent", "q": '"新质生产力"'})
    for _ in range(8):
        out.append({"kind": "word", "q": pick_word()})
    for _ in range(8):
        out.append({"kind": "and", "q": f"{pick_word()} {pick_word()}"})
    for i in range(8):
        op = "OR" if i % 2 == 0 else "NOT"
        out.append({"kind": "or-not", "q": f"{pick_word()} {op} {pick_word()}"})
    with_filter = [dict(q, province=rng.choice(provinces)) for q in out if provinces]
    return out + with_filter


# -- brute force --------------------------------------------------------------------------------------
class BruteForce:
    """The same answers by scanning normalized paragraphs held in memory: count, facets, first 20."""

    def __init__(self, searcher):
        gen = searcher._generation()
        self.texts = list(gen.substrings.texts)
        self.live = gen.live.tolist()
        docs = gen.docs
        self.row_doc = [docs[d] for d in gen.para_doc.tolist()]
        self.doc_order = gen.rank["document"].tolist()

    def _match(self, node, text: str, doc: dict) -> bool:
        if node is None:
            return True
        if isinstance(node, Term):
            if node.exact or not node.words:
                return node.text in text
            return all(w in text for w in node.words)
        if isinstance(node, Filter):
            return node.value in str(doc.get(node.field) or "")
        if isinstance(node, Not):
            return not self._match(node.child, text, doc)
        if isinstance(node, And):
            return all(self._match(c, text, doc) for c in node.children)
        if isinstance(node, Or):
            return any(self._match(c, text, doc) for c in node.children)
        return False

    def answer(self, q: str, province: str | None) -> tuple[int, dict, list[int]]:
        """What the UI shows: total, facet counts under the other filters, first 20 in document order.

        With a province chosen the scan still reads every paragraph: the province facet counts the
        query in every province (so that another can be added), as the UI's does.
        """
        root = parse_query(q).root
        candidates = (i for i, ok in enumerate(self.live) if ok)
        texts = self.texts
        if isinstance(root, Term) and (root.exact or not root.words):
            needle = root.text  # the plain scan: a substring test per paragraph
            matched = [i for i in candidates if needle in texts[i]]
        elif isinstance(root, Term):
            words = root.words
            matched = [i for i in candidates if all(w in texts[i] for w in words)]
        else:
            matched = [i for i in candidates if self._match(root, texts[i], self.row_doc[i])]
        rows = matched if province is None else [i for i in matched if self.row_doc[i].get("province") == province]
        facets = {
            name: Counter(str(self.row_doc[i].get(name) or "") for i in (matched if name == "province" else rows))
            for name in FACETS
        }
        first = sorted(rows, key=self.doc_order.__getitem__)[:20]
        return len(rows), facets, first


# -- HTTP ---------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(index: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "search", "serve", "--index", str(index), "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/api/search?q=", timeout=2).read()
            return proc, base
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"serve exited: {proc.stderr.read().decode()}") from None
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("serve did not come up")


def http_query(base: str, q: dict) -> float:
    params = [("q", q["q"]), ("per_page", "20")]
    if q.get("province"):
        params.append(("province", q["province"]))
    url = base + "/api/search?" + urllib.parse.urlencode(params)
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as resp:
        resp.read()
        if resp.status != 200:
            raise SystemExit(f"HTTP {resp.status} for {url}")
    return (time.perf_counter() - started) * 1000


# -- report -------------------------------------------------------------------------------------------
def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def kind_of(q: dict) -> str:
    return q["kind"] + (" +province" if q.get("province") else "")


def table(rows: dict[str, dict[str, list[float]]], columns: list[str]) -> str:
    head = f"{'kind':26}" + "".join(f"{c:>34}" for c in columns) + "\n" + " " * 26 + "".join(
        f"{'median       p95       max   ':>34}" for _ in columns)
    lines = [head, "-" * (26 + 34 * len(columns))]
    for kind, cols in rows.items():
        cells = []
        for c in columns:
            v = cols.get(c)
            cells.append(f"{'':>34}" if not v else
                         f"{statistics.median(v):9.1f} {pct(v, 95):9.1f} {max(v):9.1f} ms ")
        lines.append(f"{kind:26}" + "".join(cells))
    return "\n".join(lines)


def main() -> int:
    """Run the benchmark and print its report."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--index", type=Path, default=None, help="index folder (default: a temporary one)")
    ap.add_argument("--runs", type=int, default=5, help="times each query is answered (median taken)")
    ap.add_argument("--no-build", action="store_true", help="reuse the index in --index")
    ap.add_argument("--no-http", action="store_true")
    ap.add_argument("--no-brute", action="store_true")
    ap.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    ap.add_argument("--make-queries", action="store_true")
    args = ap.parse_args()

    temp = None
    index = args.index
    if index is None:
        temp = Path(tempfile.mkdtemp(prefix="bench-index-"))
        index = temp
    try:
        print(f"corpus: {args.corpus}")
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
        if not args.no_build:
            b = build(args.corpus, index)
            print(f"build: {b['seconds']:.1f} s wall, {b['documents']} documents, {b['paragraphs']} paragraphs, "
                  f"{b['characters'] / 1e6:.1f} M characters, {b['chars_per_s'] / 1e3:.0f} k chars/s, "
                  f"peak RSS {b['peak_rss_mb']:.0f} MB, index {b['index_mb']:.0f} MB")
        started = time.perf_counter()
        searcher = open_index(index)
        print(f"open: {time.perf_counter() - started:.2f} s, RSS {rss_mb():.0f} MB")
        if args.make_queries:
            queries = make_queries(searcher)
            args.queries.write_text(json.dumps(queries, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            print(f"wrote {len(queries)} queries to {args.queries}")
            return 0
        queries = json.loads(args.queries.read_text(encoding="utf-8"))
        results: dict[str, dict[str, list[float]]] = {}
        slowest = (0.0, "")
        generation = searcher._generation()
        brute = None if args.no_brute else BruteForce(searcher)
        disagreements: list[str] = []
        # Each query's brute-force scan runs right after its indexed answers, so that both meet the
        # same machine: on a shared machine, minutes apart, their ratio drifted by half.
        for q in queries:
            request = SearchRequest(q=q["q"], filters={"province": (q["province"],)} if q.get("province") else {},
                                    per_page=20)
            times = []
            for run in range(args.runs):
                if run == 0:  # the first answer is cold: no cached term lookups, no cached answer
                    generation._cache.clear()
                    generation.results.clear()
                t = time.perf_counter()
                answer = searcher.search(request)
                times.append((time.perf_counter() - t) * 1000)
            row = results.setdefault(kind_of(q), {})
            row.setdefault("in-process, first", []).append(times[0])
            row.setdefault("in-process, repeated", []).append(statistics.median(times[1:] or times))
            slowest = max(slowest, (max(times), q["q"] + (f" [{q['province']}]" if q.get("province") else "")))
            if brute is not None:
                scans = []
                for _ in range(max(1, args.runs // 2)):
                    t = time.perf_counter()
                    total, facets, _ = brute.answer(q["q"], q.get("province"))
                    scans.append((time.perf_counter() - t) * 1000)
                row.setdefault("brute force", []).append(statistics.median(scans))
                ours = {f.value: f.count for f in answer.facets["province"] if f.count}  # a chosen value shows at 0
                if total != answer.total or ours != {k: v for k, v in facets["province"].items() if k}:
                    disagreements.append(q["q"])
        print(f"serving RSS after the mix (in-process): {rss_mb():.0f} MB")
        if not args.no_http:
            proc, base = start_server(index)
            try:
                for q in queries:
                    # The first request of a query is computed; the repeats come from the answer cache.
                    times = [http_query(base, q) for _ in range(args.runs)]
                    results[kind_of(q)].setdefault("HTTP, first", []).append(times[0])
                    results[kind_of(q)].setdefault("HTTP, repeated", []).append(statistics.median(times[1:] or times))
                print(f"serving RSS after the mix (report-search serve): {rss_mb(proc.pid):.0f} MB")
            finally:
                proc.terminate()
                proc.wait(10)
        print(f"\nqueries: {len(queries)} ({args.queries.name}); per query the first (cold) answer and the median "
              f"of {args.runs - 1} repeats (answer cache), in-process and over HTTP, and the brute-force median; "
              "cells: median p95 max over the queries of a kind")
        print(table(results, ["in-process, first", "in-process, repeated", "brute force", "HTTP, first", "HTTP, repeated"]))
        if not args.no_brute:
            print(f"\nanswers that differ from the brute-force scan (total, province counts): "
                  f"{len(disagreements)} of {len(queries)} {disagreements[:5] or ''}")
            print("\nratio project (first, cold answer)/brute force, median and p95 per kind:")
            for kind, cols in results.items():
                mine, theirs = cols["in-process, first"], cols["brute force"]
                print(f"  {kind:26} {statistics.median(mine) / statistics.median(theirs):6.3f} "
                      f"{pct(mine, 95) / pct(theirs, 95):6.3f}")
        print(f"\nslowest single query in-process: {slowest[0]:.0f} ms  {slowest[1]}")
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
