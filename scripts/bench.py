#!/usr/bin/env python3
"""Benchmark: build, size, memory and query latency of the embedded index — against a brute-force scan,
against the code of an earlier commit, against tantivy, and at 1×, 3× and 10× the collection — in one run.

Usage:
    python scripts/bench.py [CORPUS] [--runs 5] [--scales 1,3,10] [--baseline 0ab9d9c] [--tantivy]
                            [--no-http] [--json results.json] [--work DIR]

CORPUS defaults to ../shared/corpus/lawtext. Everything runs on this machine in one go, so ratios
(new/old, index/brute force, embedded/tantivy) are comparable even on a noisy shared machine.
- Scaled collections: k× is the corpus written k times, every extra copy with its body lines
  reordered and a marker line added (so no two are the same text), indexed with --keep-duplicates.
- Build: `report-search index` in a child process; wall time, the peak resident memory of the whole
  process tree (the sum over the parent and its workers, and the largest single process), index size.
- Queries: the committed mix (scripts/bench_queries.json: quoted phrases rare and frequent, words,
  AND, OR/NOT, each also with a province), answered as the page does it (first 20 hits with their
  ranges, totals, every facet): the first (cold) answer and the median of the repeats, in-process
  and over HTTP; a brute-force scan over the same normalized texts held in memory gives the same
  answer (total and province counts are compared) right after each query.
- Serving memory: RSS, anonymous and proportional (PSS) of `report-search serve` after the mix, and of
  a second `serve` on the same index (the mapped pages are shared).
- Baseline: the same build and the same mix with the code of `--baseline` (a temporary git worktree).
- tantivy (optional, `pip install tantivy`): one token per character, the same exact-substring promise.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "lawtext"
DEFAULT_QUERIES = ROOT / "scripts" / "bench_queries.json"
KINDS = ("phrase-rare", "phrase-frequent", "word", "and", "or-not")


# -- memory ---------------------------------------------------------------------------------------------
def _status(pid: int) -> dict[str, int]:
    out = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                    out[key] = int(value.split()[0]) // 1024
    except OSError:
        pass
    return out


def _rollup(pid: int) -> dict[str, int]:
    out = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("Rss", "Pss", "Anonymous", "Shared_Clean", "Private_Clean", "Private_Dirty"):
                    out[key] = int(value.split()[0]) // 1024
    except OSError:
        pass
    return out


def _children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                kids.append(int(entry.name))
    return kids


class TreeMemory:
    """Samples the resident memory of a process and its children every 50 ms: peak sum and peak single."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak_sum = self.peak_one = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        kids: list[int] = []
        tick = 0
        while not self._stop.is_set():
            if tick % 10 == 0:
                kids = _children(self.pid)
            sizes = [_status(p).get("VmRSS", 0) for p in [self.pid, *kids]]
            self.peak_sum = max(self.peak_sum, sum(sizes))
            self.peak_one = max(self.peak_one, max(sizes, default=0))
            tick += 1
            time.sleep(0.05)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def folder_mb(path: Path) -> float:
    """Size of the files under a folder in MB (hard links counted once)."""
    seen, total = set(), 0
    for f in path.rglob("*"):
        if f.is_file():
            st = f.stat()
            if st.st_ino not in seen:
                seen.add(st.st_ino)
                total += st.st_size
    return total / 1e6


# -- corpora --------------------------------------------------------------------------------------------
def scaled_corpus(corpus: Path, k: int, dest: Path) -> Path:
    """The corpus and k-1 more copies of every file: body lines reordered, a marker added (seeded)."""
    if k == 1:
        return corpus
    if dest.exists():
        return dest
    rng = random.Random(k)
    for path in sorted(p for p in corpus.rglob("*") if p.is_file()):
        rel = path.relative_to(corpus)
        if path.suffix not in (".md", ".txt"):
            for copy in range(k):  # other formats are copied as they are (indexed with --keep-duplicates)
                target = dest / f"copy{copy}" / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
            continue
        text = path.read_text(encoding="utf-8")
        head, body = "", text
        if text.startswith("---\n") and "\n---\n" in text[4:]:
            end = text.index("\n---\n", 4) + 5
            head, body = text[:end], text[end:]
        lines = body.split("\n")
        for copy in range(k):
            target = dest / f"copy{copy}" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if copy == 0:
                target.write_text(text, encoding="utf-8")
                continue
            title, rest = lines[:3], lines[3:]  # title and front lines stay on top
            rng.shuffle(rest)
            target.write_text(head + "\n".join(title + [f"（基准测试副本 {copy}）"] + rest), encoding="utf-8")
    return dest


# -- builds ---------------------------------------------------------------------------------------------
def build(code: Path, corpus: Path, index: Path, keep_duplicates: bool, reuse: bool = True) -> dict:
    """`report-search index` from the code in `code`, in a child process, with its tree's memory sampled."""
    args = [sys.executable, "-m", "search", "index", str(corpus), "--index", str(index), "--rebuild", "--quiet"]
    if keep_duplicates:
        args.append("--keep-duplicates")
    if not reuse:
        args.append("--no-reuse")
    env = {**os.environ, "PYTHONPATH": str(code)}
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=code, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    memory = TreeMemory(proc.pid)
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    memory.stop()
    if proc.returncode != 0:
        raise SystemExit(f"index failed:\n{err[-3000:]}")
    generation = index / os.readlink(index / "current")
    meta = json.loads((generation / "meta.json").read_text(encoding="utf-8"))
    chars = next((int(w) for line in out.splitlines() for w in [line.split("读入 ")[-1].split(" 字")[0]] if "读入" in line), 0)
    return {
        "seconds": round(seconds, 2), "documents": meta["documents"], "paragraphs": meta["paragraphs"],
        "characters": chars, "peak_rss_mb": memory.peak_sum, "peak_rss_one_mb": memory.peak_one,
        "index_mb": round(folder_mb(generation), 1),
    }


# -- the query mix, run in a child process with the code under test ---------------------------------------
RUNNER = r'''
import json, statistics, sys, time, os, resource
sys.path.insert(0, sys.argv[1])
from search import SearchRequest, open_index
index, queries, runs = sys.argv[2], json.load(open(sys.argv[3], encoding="utf-8")), int(sys.argv[4])
started = time.perf_counter()
searcher = open_index(index)
opened = time.perf_counter() - started
new_api = hasattr(SearchRequest, "make")
def request(q):
    filters = {"province": (q["province"],)} if q.get("province") else {}
    return SearchRequest.make(q=q["q"], filters=filters, per_page=20) if new_api else SearchRequest(q=q["q"], filters=filters, per_page=20)
def clear():
    if new_api:
        searcher.clear_caches()
    else:
        g = searcher._generation(); g._cache.clear(); g.results.clear()
out = []
for q in queries:
    times = []
    for run in range(runs):
        if run == 0:
            clear()
        t = time.perf_counter()
        try:
            answer = searcher.search(request(q))
        except ValueError:  # the old code refused a province its index does not have
            answer = None
        times.append((time.perf_counter() - t) * 1000)
    provinces = {f.value: f.count for f in answer.facets["province"] if f.count} if answer else {}
    out.append({"q": q["q"], "province": q.get("province"), "times": times, "total": answer.total if answer else 0, "provinces": provinces})
def rss():
    d = {}
    for line in open("/proc/self/status"):
        k, _, v = line.partition(":")
        if k in ("VmRSS", "RssAnon", "RssFile"): d[k] = int(v.split()[0]) // 1024
    return d
print(json.dumps({"open_s": opened, "answers": out, "rss": rss()}, ensure_ascii=False))
'''


SWAPS = r'''
import gc, json, re, subprocess, sys
sys.path.insert(0, sys.argv[1])
import search
index, corpus, swaps = sys.argv[2], sys.argv[3], int(sys.argv[4])
def mem():
    s = open("/proc/self/status").read()
    return {k: int(re.search(rf"{k}:\s+(\d+)", s).group(1)) // 1024 for k in ("VmRSS", "RssAnon", "RssFile")}
searcher = search.open_index(index)
def work():
    for q in ("发展", "新质生产力", '"高质量发展"', "养老 OR 托育"):
        searcher.search(search.SearchRequest(q=q))
    gc.collect()
work()
out = [mem()]
for _ in range(swaps):
    subprocess.run([sys.executable, "-m", "search", "index", corpus, "--index", index, "--rebuild", "--quiet", "--no-reuse"],
                   check=True, capture_output=True, cwd=sys.argv[1])
    work()
    out.append(mem())
print(json.dumps(out))
'''


def swap_memory(index: Path, corpus: Path, swaps: int = 3) -> list[dict]:
    """A searcher's memory after each of `swaps` rebuilds it switches to (anonymous vs file-backed)."""
    done = subprocess.run([sys.executable, "-c", SWAPS, str(ROOT), str(index), str(corpus), str(swaps)],
                          cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"swap measurement failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_queries(code: Path, index: Path, queries: Path, runs: int) -> dict:
    """Answer the mix in a child process with the code in `code` (an index built by that code)."""
    done = subprocess.run([sys.executable, "-c", RUNNER, str(code), str(index), str(queries), str(runs)],
                          cwd=code, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(code)})
    if done.returncode != 0:
        raise SystemExit(f"query runner failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- brute force ----------------------------------------------------------------------------------------
class BruteForce:
    """The same answers by scanning normalized paragraphs held in memory."""

    def __init__(self, index: Path):
        sys.path.insert(0, str(ROOT))
        from search import open_index

        searcher = open_index(index)
        backend = searcher.backend
        gen = backend._current()
        self.texts: list[str] = []
        self.province: list[str] = []
        documents = gen.documents
        for base, seg in zip(gen.bases.tolist(), gen.segments):
            for local in range(seg.rows):
                code = int(gen.row_doc[base + local])
                if code < 0:
                    continue
                self.texts.append(seg.norm_text(local))
                self.province.append(documents[code].province)

    def answer(self, q: str, province: str | None) -> tuple[int, dict]:
        from search.query import And, Not, Term, parse_query

        root = parse_query(q).root
        texts = self.texts

        def match(node, text: str) -> bool:
            if isinstance(node, Term):
                return node.text in text
            if isinstance(node, Not):
                return not match(node.child, text)
            if isinstance(node, And):
                return all(match(c, text) for c in node.children)
            return any(match(c, text) for c in node.children)

        if isinstance(root, Term):
            needle = root.text
            matched = [i for i, t in enumerate(texts) if needle in t]
        else:
            matched = [i for i, t in enumerate(texts) if match(root, t)]
        counts = Counter(self.province[i] for i in matched if self.province[i])
        total = len(matched) if province is None else counts.get(province, 0)
        return total, dict(counts)


# -- HTTP -----------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(code: Path, index: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "search", "serve", "--index", str(index), "--port", str(port)],
                            cwd=code, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(code)})
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/api/search?q=", timeout=2).read()
            return proc, base
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"serve exited: {proc.stderr.read().decode()[-2000:]}") from None
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("serve did not come up")


def http_times(base: str, queries: list[dict], runs: int) -> list[list[float]]:
    out = []
    for q in queries:
        params = [("q", q["q"]), ("per_page", "20")] + ([("province", q["province"])] if q.get("province") else [])
        url = base + "/api/search?" + urllib.parse.urlencode(params)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            with urllib.request.urlopen(url, timeout=60) as resp:
                resp.read()
            times.append((time.perf_counter() - started) * 1000)
        out.append(times)
    return out


# -- tantivy --------------------------------------------------------------------------------------------
TANTIVY = r'''
import json, sys, time, os, statistics
sys.path.insert(0, sys.argv[1])
import tantivy
from tantivy import Document, Index, Query, SchemaBuilder, TextAnalyzerBuilder, Tokenizer
mode, embedded, folder = sys.argv[2], sys.argv[3], sys.argv[4]
sb = SchemaBuilder()
sb.add_text_field("text", stored=False, tokenizer_name="char", index_option="position")
sb.add_text_field("province", stored=False, tokenizer_name="raw", fast=True)
sb.add_integer_field("row", stored=True, fast=True, indexed=False)
schema = sb.build()
def rss():
    d = {}
    for line in open("/proc/self/status"):
        k, _, v = line.partition(":")
        if k in ("VmRSS", "RssAnon", "RssFile", "VmHWM"): d[k] = int(v.split()[0]) // 1024
    return d
if mode == "build":
    from search import open_index
    gen = open_index(embedded).backend._current()
    started = time.perf_counter()
    os.makedirs(folder, exist_ok=True)
    ix = Index(schema, path=folder)
    ix.register_tokenizer("char", TextAnalyzerBuilder(Tokenizer.regex(r"(?s).")).build())
    w = ix.writer(heap_size=200_000_000, num_threads=2)
    row = 0
    for base, seg in zip(gen.bases.tolist(), gen.segments):
        for local in range(seg.rows):
            code = int(gen.row_doc[base + local])
            if code >= 0:
                w.add_document(Document(text=seg.norm_text(local), province=gen.documents[code].province or "-", row=row))
                row += 1
    w.commit(); w.wait_merging_threads()
    print(json.dumps({"seconds": time.perf_counter() - started, "rss": rss()}))
else:
    from search.query import parse_query, Term, And, Or, Not
    ix = Index.open(folder)
    ix.register_tokenizer("char", TextAnalyzerBuilder(Tokenizer.regex(r"(?s).")).build())
    searcher = ix.searcher()
    queries, runs = json.load(open(sys.argv[5], encoding="utf-8")), int(sys.argv[6])
    def convert(node):
        if isinstance(node, Term):
            chars = list(node.text)
            return Query.term_query(schema, "text", chars[0]) if len(chars) == 1 else Query.phrase_query(schema, "text", chars)
        if isinstance(node, Not):
            return Query.boolean_query([(tantivy.Occur.Must, Query.all_query()), (tantivy.Occur.MustNot, convert(node.child))])
        occur = tantivy.Occur.Must if isinstance(node, And) else tantivy.Occur.Should
        return Query.boolean_query([(occur, convert(c)) for c in node.children])
    agg = {"p": {"terms": {"field": "province", "size": 100}}}
    out = []
    for q in queries:
        query = convert(parse_query(q["q"]).root)
        if q.get("province"):
            query = Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.Must, Query.term_query(schema, "province", q["province"]))])
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            result = searcher.search(query, 20, count=True, order_by_field="row")
            hits = [searcher.doc(a)["row"] for _, a in result.hits]
            counts = searcher.aggregate(convert(parse_query(q["q"]).root), agg)
            times.append((time.perf_counter() - t) * 1000)
        out.append({"q": q["q"], "province": q.get("province"), "times": times, "total": result.count})
    print(json.dumps({"answers": out, "rss": rss()}, ensure_ascii=False))
'''


def tantivy_build(embedded: Path, folder: Path) -> dict:
    args = [sys.executable, "-c", TANTIVY, str(ROOT), "build", str(embedded), str(folder)]
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    memory = TreeMemory(proc.pid)
    out, err = proc.communicate()
    memory.stop()
    if proc.returncode != 0:
        raise SystemExit(f"tantivy build failed:\n{err[-3000:]}")
    data = json.loads(out.strip().splitlines()[-1])
    return {"seconds": round(time.perf_counter() - started, 2), "index_seconds": round(data["seconds"], 2),
            "peak_rss_mb": memory.peak_sum, "index_mb": round(folder_mb(folder), 1)}


def tantivy_queries(embedded: Path, folder: Path, queries: Path, runs: int) -> dict:
    done = subprocess.run([sys.executable, "-c", TANTIVY, str(ROOT), "query", str(embedded), str(folder), str(queries), str(runs)],
                          cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"tantivy queries failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- reporting ------------------------------------------------------------------------------------------
def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def kind_of(q: dict) -> str:
    return q["kind"] + (" +province" if q.get("province") else "")


def by_kind(queries: list[dict], values: list[float]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for q, v in zip(queries, values):
        out.setdefault(kind_of(q), []).append(v)
    return out


def fmt(values: list[float] | None) -> str:
    return "—" if not values else f"{statistics.median(values):.1f} / {pct(values, 95):.1f}"


def main() -> int:
    """Run the benchmark and print its report (markdown tables)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--runs", type=int, default=5, help="answers per query (the first cold; the median of the rest)")
    ap.add_argument("--scales", default="1,3,10", help="collection sizes to build, in multiples of the corpus")
    ap.add_argument("--baseline", default="0ab9d9c", help="an earlier commit to build and query in the same run ('' to skip)")
    ap.add_argument("--tantivy", action="store_true", help="also tantivy, one token per character (pip install tantivy)")
    ap.add_argument("--sphinx", action="store_true", help="also a two-shard Sphinx cluster exported from the 1× index")
    ap.add_argument("--views", action="store_true", help="also the research views (scripts/bench_views.py) on the 1× index")
    ap.add_argument("--no-http", action="store_true")
    ap.add_argument("--reuse-scales", default="1", help="sizes also built with the text-reuse data (the others: search index only)")
    ap.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    ap.add_argument("--work", type=Path, default=None, help="folder for corpora and indexes (default: temporary)")
    ap.add_argument("--json", type=Path, default=None, help="write every figure here too")
    args = ap.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-"))
    work.mkdir(parents=True, exist_ok=True)
    queries = json.loads(args.queries.read_text(encoding="utf-8"))
    scales = [int(s) for s in args.scales.split(",") if s]
    report: dict = {"corpus": str(args.corpus), "cores": os.cpu_count(), "python": sys.version.split()[0], "scales": {}}
    print(f"corpus: {args.corpus}; {os.cpu_count()} cores, Python {report['python']}; {len(queries)} queries × {args.runs} runs")
    baseline_dir = None
    try:
        # the baseline first, on the plain corpus
        if args.baseline:
            baseline_dir = work / "baseline-code"
            if not baseline_dir.exists():
                subprocess.run(["git", "worktree", "add", "--detach", str(baseline_dir), args.baseline], cwd=ROOT, check=True,
                               capture_output=True)
            old_index = work / "baseline-index"
            b = build(baseline_dir, args.corpus, old_index, keep_duplicates=False)
            q = run_queries(baseline_dir, old_index, args.queries, args.runs)
            report["baseline"] = {"commit": args.baseline, "build": b, "queries": q}
            if not args.no_http:
                proc, base = start_server(baseline_dir, old_index)
                try:
                    report["baseline"]["http_ms"] = http_times(base, queries, args.runs)
                    report["baseline"]["serve_memory"] = {"first": _rollup(proc.pid)}
                finally:
                    proc.terminate()
                    proc.wait(10)
            print(f"baseline {args.baseline}: build {b['seconds']} s, peak {b['peak_rss_mb']} MB, index {b['index_mb']} MB")
        for k in scales:
            corpus = scaled_corpus(args.corpus, k, work / f"corpus-{k}x")
            index = work / f"index-{k}x"
            b = build(ROOT, corpus, index, keep_duplicates=k > 1, reuse=False)
            entry: dict = {"build": b}
            if str(k) in args.reuse_scales.split(","):
                shutil.rmtree(index, ignore_errors=True)
                with_reuse = build(ROOT, corpus, index, keep_duplicates=k > 1, reuse=True)
                generation = index / os.readlink(index / "current")
                with_reuse["reuse_mb"] = round(folder_mb(generation / "reuse"), 1) if (generation / "reuse").is_dir() else 0
                entry["build_with_reuse"] = with_reuse
                print(f"{k}× with text reuse: build {with_reuse['seconds']} s, peak {with_reuse['peak_rss_mb']} MB, "
                      f"reuse data {with_reuse['reuse_mb']} MB")
            q = run_queries(ROOT, index, args.queries, args.runs)
            entry["queries"] = q
            print(f"{k}×: build {b['seconds']} s ({b['characters'] / max(b['seconds'], 1e-9) / 1e3:.0f} k chars/s), "
                  f"peak {b['peak_rss_mb']} MB (largest process {b['peak_rss_one_mb']} MB), index {b['index_mb']} MB, "
                  f"{b['paragraphs']} paragraphs")
            if k == 1:
                brute = BruteForce(index)
                scans, differ = [], []
                for qq, ans in zip(queries, q["answers"]):
                    times = []
                    for _ in range(max(1, args.runs // 2)):
                        t = time.perf_counter()
                        total, provinces = brute.answer(qq["q"], qq.get("province"))
                        times.append((time.perf_counter() - t) * 1000)
                    scans.append(statistics.median(times))
                    if total != ans["total"] or provinces != ans["provinces"]:
                        differ.append(qq["q"])
                entry["brute_ms"] = scans
                entry["brute_differ"] = differ
                del brute
            if not args.no_http:
                proc, base = start_server(ROOT, index)
                second, base2 = start_server(ROOT, index)
                try:
                    times = http_times(base, queries, args.runs)
                    http_times(base2, queries, 1)
                    entry["http_ms"] = times
                    entry["serve_memory"] = {"first": _rollup(proc.pid), "second": _rollup(second.pid)}
                finally:
                    for p in (proc, second):
                        p.terminate()
                        p.wait(10)
            if args.tantivy:
                tfolder = work / f"tantivy-{k}x"
                shutil.rmtree(tfolder, ignore_errors=True)
                tb = tantivy_build(index, tfolder)
                tq = tantivy_queries(index, tfolder, args.queries, args.runs)
                entry["tantivy"] = {"build": tb, "queries": tq}
            if k == 1:
                entry["swaps"] = swap_memory(index, corpus)
                print("searcher memory after each generation swap (RSS / anonymous / file MB): "
                      + ", ".join(f"{m['VmRSS']}/{m['RssAnon']}/{m['RssFile']}" for m in entry["swaps"]))
            if k == 1 and args.sphinx:
                sys.path.insert(0, str(ROOT / "scripts"))
                from bench_sphinx import bench_sphinx

                entry["sphinx"] = bench_sphinx(index, queries, shards=2, runs=args.runs, workdir=work)
            if k == 1 and args.views:
                sys.path.insert(0, str(ROOT / "scripts"))
                import bench_views

                entry["views"] = bench_views.bench(index, runs=args.runs, norm_texts=False)
            report["scales"][k] = entry
        print_report(report, queries)
        if args.json:
            args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    finally:
        if baseline_dir is not None and args.work is None:
            subprocess.run(["git", "worktree", "remove", "--force", str(baseline_dir)], cwd=ROOT, capture_output=True)
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def print_report(report: dict, queries: list[dict]) -> None:
    """Markdown tables: scaling, build and memory against the baseline and tantivy, latency per kind."""
    print("\n### Build and serving, per collection size\n")
    print("| | build wall | peak RSS (tree / largest) | index | serve RSS / anonymous / PSS | second serve PSS | open |")
    print("|---|---|---|---|---|---|---|")
    rows = []
    if "baseline" in report:
        rows.append((f"baseline {report['baseline']['commit']} 1×", report["baseline"]["build"],
                     report["baseline"].get("serve_memory"), report["baseline"]["queries"]))
    for k, entry in report["scales"].items():
        rows.append((f"embedded {k}×", entry["build"], entry.get("serve_memory"), entry["queries"]))
        if "build_with_reuse" in entry:
            rows.append((f"embedded {k}× + text reuse", entry["build_with_reuse"], None, None))
        if "tantivy" in entry:
            t = entry["tantivy"]
            rows.append((f"tantivy {k}×", {**t["build"], "peak_rss_one_mb": "", "paragraphs": 0},
                         {"first": {"Rss": t["queries"]["rss"].get("VmRSS"), "Anonymous": t["queries"]["rss"].get("RssAnon"), "Pss": ""}},
                         None))
    for name, b, mem, q in rows:
        first = (mem or {}).get("first", {})
        second = (mem or {}).get("second", {})
        serve = f"{first.get('Rss', '—')} / {first.get('Anonymous', '—')} / {first.get('Pss', '—')} MB" if mem else "—"
        opened = f"{q['open_s']:.2f} s" if q else "—"
        print(f"| {name} | {b['seconds']} s | {b['peak_rss_mb']} / {b.get('peak_rss_one_mb', '')} MB | {b['index_mb']} MB | "
              f"{serve} | {second.get('Pss', '—')} MB | {opened} |")
    print("\n### Query latency per kind (ms, median / p95 over the kind's queries)\n")
    columns = []
    if "baseline" in report:
        columns.append(("baseline first", [a["times"][0] for a in report["baseline"]["queries"]["answers"]]))
        if "http_ms" in report["baseline"]:
            columns.append(("baseline HTTP first", [t[0] for t in report["baseline"]["http_ms"]]))
    for k, entry in report["scales"].items():
        answers = entry["queries"]["answers"]
        columns.append((f"{k}× first", [a["times"][0] for a in answers]))
        columns.append((f"{k}× repeated", [statistics.median(a["times"][1:] or a["times"]) for a in answers]))
        if "brute_ms" in entry:
            columns.append(("brute force", entry["brute_ms"]))
        if "http_ms" in entry:
            columns.append((f"{k}× HTTP first", [t[0] for t in entry["http_ms"]]))
        if "tantivy" in entry:
            columns.append((f"tantivy {k}×", [statistics.median(a["times"]) for a in entry["tantivy"]["queries"]["answers"]]))
    print("| kind | " + " | ".join(c for c, _ in columns) + " |")
    print("|---|" + "---|" * len(columns))
    kinds = list(dict.fromkeys(kind_of(q) for q in queries))
    split = {name: by_kind(queries, values) for name, values in columns}
    for kind in kinds:
        print(f"| {kind} | " + " | ".join(fmt(split[name].get(kind)) for name, _ in columns) + " |")
    one = report["scales"].get(1) or report["scales"].get("1")
    if one and "brute_ms" in one:
        firsts = by_kind(queries, [a["times"][0] for a in one["queries"]["answers"]])
        brute = by_kind(queries, one["brute_ms"])
        print("\nratio to brute force (first answer / scan), median / p95 per kind:")
        for kind in kinds:
            print(f"  {kind:28} {statistics.median(firsts[kind]) / statistics.median(brute[kind]):.3f} / "
                  f"{pct(firsts[kind], 95) / pct(brute[kind], 95):.3f}")
        print(f"answers that differ from the scan (total, province counts): {len(one['brute_differ'])} {one['brute_differ'][:5]}")
        if "sphinx" in one:
            sx = one["sphinx"]
            print("\n### SphinxQL, two shards on this machine (exported from the 1× index)\n")
            print(f"export {sx['export_s']} s + indexer {sum(sx['indexer_s']):.1f} s, index {sx['index_mb']} MB, "
                  f"searchd RSS {sx['searchd_rss_mb_after']} MB; answers differing from the embedded engine: "
                  f"{len(sx['different_answers'])} of {sx['queries']}\n")
            ratios = sx.get("ratio_to_brute_force") or {}
            print("| kind | embedded median / p95 ms | SphinxQL median / p95 ms | brute force median / p95 ms | "
                  "SphinxQL / brute force | embedded / brute force |")
            print("|---|---|---|---|---|---|")
            for kind, row in sx["latency"].items():
                e, x, b = row["embedded"], row["sphinxql"], row.get("brute", {})
                r = ratios.get(kind, {})
                rx, re_ = r.get("sphinxql", {}), r.get("embedded", {})
                print(f"| {kind} | {e['median_ms']} / {e['p95_ms']} | {x['median_ms']} / {x['p95_ms']} | "
                      f"{b.get('median_ms', '—')} / {b.get('p95_ms', '—')} | {rx.get('median', '—')} / {rx.get('p95', '—')} | "
                      f"{re_.get('median', '—')} / {re_.get('p95', '—')} |")
            if sx.get("serve"):
                sv = sx["serve"]
                print(f"\n`serve` on the cluster after the mix: RSS {sv['rss_mb']} MB, anonymous {sv['anonymous_mb']} MB, "
                      f"PSS {sv['pss_mb']} MB; searchd RSS then {sx.get('searchd_rss_mb_served')} MB")
        if "views" in one:
            print("\n### Research views (ms: library first / again · HTTP first / again)\n")
            print("| view | term | library first | library again | HTTP first | HTTP again |")
            print("|---|---|---|---|---|---|")
            for row in one["views"]:
                print(f"| {row['view']} | {row['term']} | {row['lib_first_ms']} | {row['lib_repeated_ms']} | "
                      f"{row['http_first_ms']} | {row['http_repeated_ms']} |")
        if "baseline" in report:
            old = {(a["q"], a["province"]): a for a in report["baseline"]["queries"]["answers"]}
            same = sum(1 for a in one["queries"]["answers"] if old.get((a["q"], a["province"]), {}).get("total") == a["total"])
            print(f"answers with the baseline's total: {same} of {len(queries)} (differences: headings and titles are searchable now)")


if __name__ == "__main__":
    raise SystemExit(main())
