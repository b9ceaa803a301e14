#!/usr/bin/env python3
"""Bench the SphinxQL engine: export an embedded index to a two-shard cluster, start it, measure.

Usage:
    python scripts/bench_sphinx.py INDEXDIR [--queries scripts/bench_queries.json] [--runs 3] [--shards 2] [--json]
                                   [--per-report] [--no-brute] [--no-serve]

Reports the build (export + indexer) time, the index size, the RSS of every searchd, and per-query
latency through `Searcher` for the same requests on the embedded engine and on the cluster,
interleaved query by query so both meet the same machine. Every answer is computed (the service's
answer and count caches are emptied before each run): this measures the engines, not the cache.
Beside them: a brute-force scan of the same normalized texts in memory (`bench.BruteForce`, timed
here so the ratios compare like with like; its totals are checked against the cluster's), the ratio
of each engine to it per kind, and the memory of a `report-search serve` process serving from the
cluster after answering the mix over HTTP (RSS, anonymous, PSS; searchd's memory is apart).
--per-report also times the same cluster through the service's per-report path (`GROUP BY doc` over
every report, facets counted in the service, filters as doc IN lists: what the engine did before facet
fields were attributes), interleaved with the others, as "sphinxql-per-report".
The main bench imports `bench_sphinx(index_dir, queries)`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from search import SearchRequest, open_index  # noqa: E402
from search.backends.sphinxql import cluster  # noqa: E402
from search.backends.sphinxql.config import write_configs, write_deployment, DEPLOY_FILE  # noqa: E402
from search.backends.sphinxql.deploy import deploy  # noqa: E402
import bench  # noqa: E402 - the brute-force scan and the HTTP helpers of the main bench

DEFAULT_QUERIES = ROOT / "scripts" / "bench_queries.json"


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def _request(q: dict) -> SearchRequest:
    filters = {"province": (q["province"],)} if q.get("province") else {}
    return SearchRequest.make(q=q["q"], filters=filters, mode=q.get("mode", "exact"), per_page=20)


def _cold(searcher) -> None:  # noqa: ANN001 - a Searcher
    """Empty the service's caches so the next answer is computed by the engine."""
    state = searcher._state_now()  # noqa: SLF001 - a bench may look inside
    state.answers.items.clear()
    state.counts.items.clear()


def _comparable(result) -> tuple:  # noqa: ANN001 - a SearchResult
    """What two engines must agree on: the whole answer but its time."""
    return (result.total, result.documents, [h.id for h in result.hits], result.facets)


def _timed(searcher, request: SearchRequest) -> tuple[float, object]:  # noqa: ANN001
    _cold(searcher)
    started = time.perf_counter()
    result = searcher.search(request)
    return (time.perf_counter() - started) * 1000, result


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))] if ordered else 0.0


def _brute(index_dir: Path, queries: list[dict], runs: int) -> tuple[list[float], list[int]]:
    """Per query: the median time (ms) of a brute-force scan (as `bench.py` times it) and its total."""
    scan = bench.BruteForce(Path(index_dir))
    times, totals = [], []
    for q in queries:
        spent = []
        for _ in range(max(1, runs // 2)):
            started = time.perf_counter()
            total, _provinces = scan.answer(q["q"], q.get("province"))
            spent.append((time.perf_counter() - started) * 1000)
        times.append(statistics.median(spent))
        totals.append(total)
    return times, totals


def _serve_memory(root: Path, queries: list[dict]) -> dict:
    """`report-search serve` on the deployment: its memory after answering the mix once over HTTP."""
    proc, base = bench.start_server(ROOT, root)
    try:
        started = time.perf_counter()
        http = bench.http_times(base, queries, 1)
        seconds = time.perf_counter() - started
        rollup, status = bench._rollup(proc.pid), bench._status(proc.pid)  # noqa: SLF001
    finally:
        proc.terminate()
        proc.wait(10)
    return {
        "rss_mb": rollup.get("Rss"), "anonymous_mb": rollup.get("Anonymous"), "pss_mb": rollup.get("Pss"),
        "peak_rss_mb": status.get("VmHWM"), "http_first_ms": [round(t[0], 2) for t in http],
        "http_seconds": round(seconds, 2),
    }


def bench_sphinx(index_dir: Path, queries: list[dict], shards: int = 2, runs: int = 3, workdir: Path | None = None,
                 brute: bool = True, serve: bool = True, per_report: bool = False) -> dict:
    """Export, start, query, stop; returns the figures (see the module docstring)."""
    if not cluster.available():
        raise SystemExit("Sphinx 未安装：make sphinx 或 apt-get install sphinxsearch")
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        root = Path(tmp) / "deploy"
        started = time.perf_counter()
        result = deploy(Path(index_dir), root, shards=shards, port_base=0)
        build_seconds = time.perf_counter() - started
        dep = result.deployment
        ports = cluster.free_ports(2 * shards)
        for node, port, api in zip(dep.nodes, ports[::2], ports[1::2]):
            node.port, node.api_port = port, api
        write_configs(root, dep, [dep.current])
        write_deployment(root / DEPLOY_FILE, dep)
        processes = []
        try:
            for node in dep.nodes:
                processes.append(cluster.start(root, node, detach=False))
            rss_idle = [_rss_mb(p.pid) for p in processes]
            sphinx, embedded = open_index(root), open_index(index_dir)
            engines = [("embedded", embedded), ("sphinxql", sphinx)]
            if per_report:
                old = open_index(root)
                old.backend.native_counts = False  # this instance only: the service's per-report path
                engines.append(("sphinxql-per-report", old))
            per_kind: dict[str, dict[str, list[float]]] = {}
            differ, sphinx_totals = [], []
            for q in queries:
                request = _request(q)
                times: dict[str, list[float]] = {name: [] for name, _ in engines}
                answers = {}
                for _ in range(runs):
                    for name, searcher in engines:
                        ms, answers[name] = _timed(searcher, request)
                        times[name].append(ms)
                for name, _ in engines[1:]:
                    if _comparable(answers["embedded"]) != _comparable(answers[name]):
                        differ.append(f"{name}: {q['q']}")
                sphinx_totals.append(answers["sphinxql"].total)
                row = per_kind.setdefault(q.get("kind", "query"), {name: [] for name, _ in engines})
                for name in times:
                    row[name].append(statistics.median(times[name]))
            rss_after = [_rss_mb(p.pid) for p in processes]
            for _name, searcher in engines[1:]:
                searcher.backend.close()
            served = _serve_memory(root, queries) if serve else None
            rss_served = [_rss_mb(p.pid) for p in processes]
        finally:
            for proc in processes:
                cluster.stop_process(proc)
        if brute:
            scan_ms, scan_totals = _brute(Path(index_dir), queries, runs)
            for q, ms in zip(queries, scan_ms):
                per_kind[q.get("kind", "query")].setdefault("brute", []).append(ms)
            differ_scan = [q["q"] for q, total, answer in zip(queries, scan_totals, sphinx_totals) if total != answer]
        latency = {
            kind: {name: {"median_ms": round(statistics.median(v), 2), "p95_ms": round(_pct(v, 0.95), 2)}
                   for name, v in row.items()}
            for kind, row in per_kind.items()
        }
        ratio = {
            kind: {name: {"median": round(statistics.median(row[name]) / statistics.median(row["brute"]), 3),
                          "p95": round(_pct(row[name], 0.95) / _pct(row["brute"], 0.95), 3)}
                   for name, _ in engines}
            for kind, row in per_kind.items() if "brute" in row
        }
        return {
            "documents": result.export.documents,
            "paragraphs": result.export.paragraphs,
            "shards": shards,
            "export_s": round(result.export.seconds, 2),
            "indexer_s": [round(s, 2) for s in result.indexer_seconds],
            "build_s": round(build_seconds, 2),
            "index_mb": round(_folder_mb(root / dep.current.name), 1),
            "searchd_rss_mb_idle": [round(r, 1) for r in rss_idle],
            "searchd_rss_mb_after": [round(r, 1) for r in rss_after],
            "queries": len(queries),
            "runs": runs,
            "latency": latency,
            "different_answers": differ,
            "ratio_to_brute_force": ratio,
            "different_from_scan": differ_scan if brute else None,
            "serve": served,
            "searchd_rss_mb_served": [round(r, 1) for r in rss_served],
        }


def main() -> int:
    """Command line entry."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("index", type=Path, help="an embedded index folder")
    ap.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--shards", type=int, default=2)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--no-brute", action="store_true", help="skip the brute-force scan (and the ratios)")
    ap.add_argument("--no-serve", action="store_true", help="skip the memory of `serve` on the cluster")
    ap.add_argument("--per-report", action="store_true",
                    help="also time the cluster through the per-report path (GROUP BY doc, doc IN filters)")
    args = ap.parse_args()
    queries = json.loads(args.queries.read_text(encoding="utf-8"))
    figures = bench_sphinx(args.index, queries, shards=args.shards, runs=args.runs, brute=not args.no_brute,
                           serve=not args.no_serve, per_report=args.per_report)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=1))
        return 0
    print(f"{figures['documents']} documents, {figures['paragraphs']} paragraphs, {figures['shards']} shards")
    print(f"build: export {figures['export_s']} s + indexer {' + '.join(map(str, figures['indexer_s']))} s "
          f"(total with configs {figures['build_s']} s); index {figures['index_mb']} MB")
    print(f"searchd RSS: idle {figures['searchd_rss_mb_idle']} MB, after the queries {figures['searchd_rss_mb_after']} MB")
    print(f"latency over {figures['queries']} queries (median of {figures['runs']} computed answers each), ms:")
    print(f"  {'kind':<16} {'embedded med/p95':>18} {'sphinxql med/p95':>18} {'brute force med/p95':>20} "
          f"{'ratio to brute force, embedded | sphinxql':>44}")
    for kind, row in figures["latency"].items():
        e, s = row["embedded"], row["sphinxql"]
        b = row.get("brute")
        r = figures["ratio_to_brute_force"].get(kind)
        print(f"  {kind:<16} {e['median_ms']:>8} / {e['p95_ms']:<8} {s['median_ms']:>8} / {s['p95_ms']:<8} "
              + (f"{b['median_ms']:>9} / {b['p95_ms']:<9} {r['embedded']['median']:>8} / {r['embedded']['p95']:<6} | "
                 f"{r['sphinxql']['median']:>6} / {r['sphinxql']['p95']:<6}" if b else ""))
    if any("sphinxql-per-report" in row for row in figures["latency"].values()):
        print("  the same cluster through the per-report path (GROUP BY doc, doc IN filters), med/p95 ms:")
        for kind, row in figures["latency"].items():
            o = row["sphinxql-per-report"]
            print(f"  {kind:<16} {o['median_ms']:>8} / {o['p95_ms']:<8}")
    print(f"different answers: {len(figures['different_answers'])} {figures['different_answers'][:5]}")
    if figures["different_from_scan"] is not None:
        print(f"totals different from the brute-force scan: {len(figures['different_from_scan'])} "
              f"{figures['different_from_scan'][:5]}")
    if figures["serve"]:
        sv = figures["serve"]
        print(f"`serve` on the cluster after the mix over HTTP (first answers: median "
              f"{statistics.median(sv['http_first_ms']):.1f} ms, p95 {_pct(sv['http_first_ms'], 0.95):.1f} ms): "
              f"RSS {sv['rss_mb']} MB, anonymous {sv['anonymous_mb']} MB, PSS {sv['pss_mb']} MB "
              f"(peak {sv['peak_rss_mb']} MB); searchd RSS then {figures['searchd_rss_mb_served']} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
