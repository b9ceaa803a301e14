#!/usr/bin/env python3
"""Bench the SphinxQL engine: export an embedded index to a two-shard cluster, start it, measure.

Usage:
    python scripts/bench_sphinx.py INDEXDIR [--queries scripts/bench_queries.json] [--runs 3] [--shards 2] [--json]

Reports the build (export + indexer) time, the index size, the RSS of every searchd, and per-query
latency through `Searcher` for the same requests on the embedded engine and on the cluster,
interleaved query by query so both meet the same machine. Every answer is computed (the service's
answer and count caches are emptied before each run): this measures the engines, not the cache.
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

from search import SearchRequest, open_index  # noqa: E402
from search.backends.sphinxql import cluster  # noqa: E402
from search.backends.sphinxql.config import write_configs, write_deployment, DEPLOY_FILE  # noqa: E402
from search.backends.sphinxql.deploy import deploy  # noqa: E402

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


def _timed(searcher, request: SearchRequest) -> tuple[float, object]:  # noqa: ANN001
    _cold(searcher)
    started = time.perf_counter()
    result = searcher.search(request)
    return (time.perf_counter() - started) * 1000, result


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))] if ordered else 0.0


def bench_sphinx(index_dir: Path, queries: list[dict], shards: int = 2, runs: int = 3, workdir: Path | None = None) -> dict:
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
            per_kind: dict[str, dict[str, list[float]]] = {}
            differ = []
            for q in queries:
                request = _request(q)
                times = {"embedded": [], "sphinxql": []}
                answers = {}
                for _ in range(runs):
                    for name, searcher in (("embedded", embedded), ("sphinxql", sphinx)):
                        ms, answers[name] = _timed(searcher, request)
                        times[name].append(ms)
                if (answers["embedded"].total, [h.id for h in answers["embedded"].hits]) != \
                        (answers["sphinxql"].total, [h.id for h in answers["sphinxql"].hits]):
                    differ.append(q["q"])
                row = per_kind.setdefault(q.get("kind", "query"), {"embedded": [], "sphinxql": []})
                for name in times:
                    row[name].append(statistics.median(times[name]))
            rss_after = [_rss_mb(p.pid) for p in processes]
            sphinx.backend.close()
        finally:
            for proc in processes:
                cluster.stop_process(proc)
        latency = {
            kind: {name: {"median_ms": round(statistics.median(v), 2), "p95_ms": round(_pct(v, 0.95), 2)}
                   for name, v in row.items()}
            for kind, row in per_kind.items()
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
        }


def main() -> int:
    """Command line entry."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("index", type=Path, help="an embedded index folder")
    ap.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--shards", type=int, default=2)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    queries = json.loads(args.queries.read_text(encoding="utf-8"))
    figures = bench_sphinx(args.index, queries, shards=args.shards, runs=args.runs)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=1))
        return 0
    print(f"{figures['documents']} documents, {figures['paragraphs']} paragraphs, {figures['shards']} shards")
    print(f"build: export {figures['export_s']} s + indexer {' + '.join(map(str, figures['indexer_s']))} s "
          f"(total with configs {figures['build_s']} s); index {figures['index_mb']} MB")
    print(f"searchd RSS: idle {figures['searchd_rss_mb_idle']} MB, after the queries {figures['searchd_rss_mb_after']} MB")
    print(f"latency over {figures['queries']} queries (median of {figures['runs']} computed answers each), ms:")
    print(f"  {'kind':<16} {'embedded med/p95':>18} {'sphinxql med/p95':>18}")
    for kind, row in figures["latency"].items():
        e, s = row["embedded"], row["sphinxql"]
        print(f"  {kind:<16} {e['median_ms']:>8} / {e['p95_ms']:<8} {s['median_ms']:>8} / {s['p95_ms']:<8}")
    print(f"different answers: {len(figures['different_answers'])} {figures['different_answers'][:5]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
