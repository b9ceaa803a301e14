#!/usr/bin/env python3
"""Load test: concurrent clients against a running `report-search serve` on loopback, for a fixed time.

Usage:
    python scripts/loadtest.py --url http://127.0.0.1:5000 [--clients 16] [--seconds 60] [--max-requests N]
    python scripts/loadtest.py --index DIR [...]      # start `report-search serve` on a free port itself

The mix: quoted phrases of 2–12 characters cut from paragraphs the server returns, words, boolean
queries, facet filters, deep pages, CSV/JSONL exports of rare phrases, document and permalink pages.
Prints requests/s, errors, 5xx and latency percentiles per kind; exits 1 on any error or 5xx.
Only loopback addresses are accepted. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = ["发展", "高质量发展", "新质生产力", "养老", "托育", "乡村振兴", "营商环境", "生态", "就业", "科技创新",
         "数字经济", "教育", "医疗", "住房", "消费", "投资", "改革", "开放", "民生", "安全"]


def get(url: str, timeout: float = 60) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class Mix:
    """Builds request URLs of each kind from what the server itself returns."""

    def __init__(self, base: str, seed: int):
        self.base = base
        self.rng = random.Random(seed)
        status, body = get(f"{base}/api/search?" + urllib.parse.urlencode({"q": "发展", "per_page": 100}))
        if status != 200:
            raise SystemExit(f"server answered {status} to a plain search")
        data = json.loads(body)
        self.paragraphs = [h["text"] for h in data["hits"]]
        self.ids = [h["id"] for h in data["hits"]]
        self.docs = sorted({h["doc_id"] for h in data["hits"]})
        self.provinces = [f["value"] for f in data["facets"]["province"]] or [""]
        self.levels = [f["value"] for f in data["facets"]["level"]] or [""]

    def url(self, path: str, **params: object) -> str:
        pairs = [(k, v) for k, v in params.items() if v not in (None, "")]
        return f"{self.base}{path}?{urllib.parse.urlencode(pairs)}" if pairs else f"{self.base}{path}"

    def phrase(self, shortest: int = 2) -> str:
        text = self.rng.choice(self.paragraphs)
        n = self.rng.randint(shortest, 12)
        i = self.rng.randrange(max(1, len(text) - n))
        piece = "".join(c for c in text[i : i + n] if c not in '"“”')
        return f'"{piece}"'

    def next(self) -> tuple[str, str]:
        r = self.rng.random()
        w = self.rng.choice
        if r < 0.25:
            return "phrase", self.url("/search", q=self.phrase())
        if r < 0.40:
            return "word", self.url("/api/search", q=w(WORDS))
        if r < 0.50:
            return "boolean", self.url("/search", q=f"({w(WORDS)} OR {w(WORDS)}) NOT {w(WORDS)}")
        if r < 0.65:
            return "facets", self.url("/search", q=w(WORDS), province=w(self.provinces), level=w(self.levels))
        if r < 0.75:
            return "deep page", self.url("/search", q=w(WORDS), page=self.rng.randint(20, 200), sort=w(["newest", "oldest", "relevance"]))
        if r < 0.80:
            # Exports stream every hit: long phrases keep them to the rare ones a user would export.
            return "export", self.url(w(["/export.csv", "/export.jsonl"]), q=self.phrase(shortest=8))
        if r < 0.92:
            return "document", self.url(f"/doc/{w(self.docs)}", q=w(WORDS))
        return "permalink", self.url(f"/p/{w(self.ids)}")


def run(base: str, clients: int, seconds: float, max_requests: int, seed: int) -> int:
    mix = Mix(base, seed)
    stop_at = time.monotonic() + seconds
    lock = threading.Lock()
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    statuses: dict[int, int] = defaultdict(int)
    sent = [0]

    def client(k: int) -> None:
        local = Mix.__new__(Mix)
        local.__dict__.update(mix.__dict__)
        local.rng = random.Random(seed + k)
        while time.monotonic() < stop_at:
            with lock:
                if sent[0] >= max_requests:
                    return
                sent[0] += 1
            kind, url = local.next()
            started = time.perf_counter()
            try:
                # /p/ answers with a redirect, which urllib follows to the document page.
                status, _ = get(url)
            except OSError as exc:  # connection refused or reset, timeout
                with lock:
                    errors.append(f"{kind}: {exc}")
                continue
            ms = (time.perf_counter() - started) * 1000
            with lock:
                statuses[status] += 1
                latencies[kind].append(ms)
                if status >= 400:
                    errors.append(f"{kind}: HTTP {status} {url}")

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    wall = time.monotonic() - started
    every = [v for values in latencies.values() for v in values]
    total = len(every)
    fivexx = sum(n for s, n in statuses.items() if s >= 500)
    print(f"{clients} clients, {wall:.1f} s: {total} responses, {total / wall:.1f} requests/s, "
          f"errors {len(errors)}, 5xx {fivexx}, statuses {dict(sorted(statuses.items()))}")
    if every:
        q = statistics.quantiles(every, n=100)
        print(f"latency ms: median {statistics.median(every):.0f}, p90 {q[89]:.0f}, p95 {q[94]:.0f}, "
              f"p99 {q[98]:.0f}, max {max(every):.0f}")
    for kind, values in sorted(latencies.items()):
        q = statistics.quantiles(values, n=100) if len(values) > 1 else values * 99
        print(f"  {kind:10} {len(values):6}  median {statistics.median(values):6.0f}  p95 {q[94]:6.0f}  max {max(values):6.0f}")
    for line in errors[:20]:
        print("  error:", line)
    return 1 if errors or fivexx else 0


def main() -> int:
    """Parse arguments, start a server if asked, run the load."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default=None, help="a running server on loopback, e.g. http://127.0.0.1:5000")
    ap.add_argument("--index", type=Path, default=None, help="start `report-search serve` on this index")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--max-requests", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    proc = None
    base = args.url
    if base is None:
        if args.index is None:
            ap.error("give --url of a running server or --index to start one")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen([sys.executable, "-m", "search", "serve", "--index", str(args.index),
                                 "--port", str(port), "--threads", "16"], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                get(base + "/api/search?q=", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
    host = urllib.parse.urlparse(base).hostname or ""
    if not (host == "localhost" or host.startswith("127.") or host == "::1"):
        ap.error("only loopback addresses are load-tested")
    try:
        return run(base.rstrip("/"), args.clients, args.seconds, args.max_requests, args.seed)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    raise SystemExit(main())
