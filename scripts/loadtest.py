#!/usr/bin/env python3
"""Load test: concurrent clients against a running `report-search serve` on loopback, for a fixed time.

Usage:
    python scripts/loadtest.py --url http://127.0.0.1:5000 [--clients 16] [--seconds 60] [--max-requests N]
    python scripts/loadtest.py --index DIR [...]      # start `report-search serve` on a free port itself
    python scripts/loadtest.py --index DIR --abuse    # the same, with abusive clients mixed in

The mix: quoted phrases of 2–12 characters cut from paragraphs the server returns, words, boolean
queries, facet filters, deep pages, CSV/JSONL exports of rare phrases, document and permalink pages.
With --abuse, alongside them: 100 idle sockets, 20 slowloris clients sending a header a byte at a
time, 8 clients that send `GET /export.csv?q=发展` or `GET /kwic.csv?q=发展` (four each) and never read the answer (each from its own
loopback address, 127.0.0.10–17, so the per-client limit does not refuse them; reconnecting when
dropped), one client asking for deep pages and one sending 300 nested parentheses, each as fast as
it is answered. Prints requests/s, errors, 5xx and latency percentiles per kind, and for the normal
searches (everything but exports) whether p95 stays under --p95-ms with 0 errors; exits 1 otherwise.
An export refused with 429 (the per-client export limit: the normal clients share 127.0.0.1) or 503
(every export writer busy) is counted as refused, not as an error. Only loopback addresses are accepted; every loop is bounded in
time. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import random
import select
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


class Abuse:
    """Abusive clients on raw sockets, each loop ending at `stop_at`; counts what they saw."""

    def __init__(self, base: str, stop_at: float):
        parts = urllib.parse.urlsplit(base)
        self.addr = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.stop_at = stop_at
        self.lock = threading.Lock()
        self.counts: dict[str, int] = defaultdict(int)
        self.statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.threads: list[threading.Thread] = []

    def count(self, what: str, n: int = 1) -> None:
        with self.lock:
            self.counts[what] += n

    def connect(self, rcvbuf: int | None = None, source: str | None = None) -> socket.socket | None:
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            if source:  # another loopback address: the server counts it as another client
                sock.bind((source, 0))
            if rcvbuf:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            sock.settimeout(5)
            sock.connect(self.addr)
            return sock
        except OSError:
            self.count("connect failed")
            return None

    def idle(self, n: int) -> None:
        """n sockets that connect and send nothing; reconnected when the server drops them."""
        socks: list[socket.socket | None] = [self.connect() for _ in range(n)]
        self.count("idle sockets", sum(s is not None for s in socks))
        while time.monotonic() < self.stop_at:
            time.sleep(1)
            for i, s in enumerate(socks):
                dropped = s is None
                if s is not None:
                    try:
                        s.setblocking(False)
                        dropped = s.recv(1) == b""
                    except BlockingIOError:
                        dropped = False
                    except OSError:
                        dropped = True
                if dropped:
                    self.count("idle dropped by server")
                    if s is not None:
                        s.close()
                    socks[i] = self.connect()
        for s in socks:
            if s is not None:
                s.close()

    def slowloris(self, k: int) -> None:
        """A request header sent a byte every 2 s, never finished; reconnects when dropped."""
        header = b"GET /search?q=%E5%8F%91%E5%B1%95 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 4000
        while time.monotonic() < self.stop_at:
            sock = self.connect()
            if sock is None:
                time.sleep(1)
                continue
            try:
                for byte in header:
                    if time.monotonic() >= self.stop_at:
                        break
                    sock.sendall(bytes([byte]))
                    time.sleep(2)
                self.count("slowloris kept open to the end")
            except OSError:
                self.count("slowloris dropped by server")
            finally:
                sock.close()

    def non_reading_export(self, k: int) -> None:
        """GET /export.csv (even k) or /kwic.csv (odd k: 50 MB on lawtext) of a frequent word, then never
        read; reconnects when dropped."""
        path = b"/export.csv" if k % 2 == 0 else b"/kwic.csv"
        request = (b"GET " + path + b"?q=%E5%8F%91%E5%B1%95 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        while time.monotonic() < self.stop_at:
            sock = self.connect(rcvbuf=4096, source=f"127.0.0.{10 + k}" if self.addr[0].startswith("127.") else None)
            if sock is None:
                time.sleep(1)
                continue
            try:
                sock.sendall(request)
                self.count("non-reading exports sent")
                sock.settimeout(60)  # the export is written before its first byte is sent
                head = sock.recv(64)  # only the status line, to know whether it was refused
                status = int(head.split()[1]) if head.startswith(b"HTTP/") else 0
                with self.lock:
                    self.statuses["non-reading export"][status] += 1
                # Never read: watch only for the server hanging up (POLLRDHUP sees it past unread data).
                poller = select.poll()
                poller.register(sock, select.POLLRDHUP | select.POLLHUP | select.POLLERR)
                while time.monotonic() < self.stop_at:
                    if poller.poll(1000):
                        self.count("non-reading export dropped by server")
                        break
            except OSError:
                self.count("non-reading export dropped by server")
            finally:
                sock.close()
            if time.monotonic() < self.stop_at:
                time.sleep(0.5)

    def hammer(self, name: str, base: str, urls: list[str]) -> None:
        """One client sending these URLs in turn as fast as they are answered."""
        i = 0
        while time.monotonic() < self.stop_at:
            try:
                status, _ = get(base + urls[i % len(urls)], timeout=30)
            except OSError:
                status = 0
            with self.lock:
                self.statuses[name][status] += 1
            i += 1

    def start(self, base: str) -> None:
        nested = urllib.parse.quote("(" * 300 + "发展" + ")" * 300)
        jobs: list[tuple] = [(self.idle, 100)]
        jobs += [(self.slowloris, k) for k in range(20)]
        jobs += [(self.non_reading_export, k) for k in range(8)]
        jobs.append((self.hammer, "deep pages", base, [f"/search?q=%E5%8F%91%E5%B1%95&page={p}" for p in (4000, 100000, 99999, 5000)]))
        jobs.append((self.hammer, "nested queries", base, [f"/search?q={nested}", f"/api/search?q={nested}", f"/export.jsonl?q={nested}"]))
        for job in jobs:
            t = threading.Thread(target=job[0], args=job[1:], daemon=True)
            t.start()
            self.threads.append(t)

    def join(self) -> None:
        for t in self.threads:
            t.join(timeout=15)

    def report(self) -> None:
        print("abusive clients:")
        for what, n in sorted(self.counts.items()):
            print(f"  {what:38} {n}")
        for name, statuses in sorted(self.statuses.items()):
            print(f"  {name:38} statuses {dict(sorted(statuses.items()))}")


NORMAL_EXCLUDED = {"export"}


def run(base: str, clients: int, seconds: float, max_requests: int, seed: int, abuse: bool = False,
        p95_limit: float = 500) -> int:
    mix = Mix(base, seed)
    stop_at = time.monotonic() + seconds
    lock = threading.Lock()
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    statuses: dict[int, int] = defaultdict(int)
    sent = [0]
    refused = [0]
    refused_503 = [0]

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
                if kind == "export" and status in (429, 503):  # per-client limit, or all export writers busy
                    refused[0] += 1
                    refused_503[0] += status == 503
                    continue
                latencies[kind].append(ms)
                if status >= 400:
                    errors.append(f"{kind}: HTTP {status} {url}")

    abusers = None
    if abuse:
        abusers = Abuse(base, stop_at)
        abusers.start(base)
        time.sleep(2)  # let the idle and slow sockets settle in before measuring
    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    wall = time.monotonic() - started
    every = [v for values in latencies.values() for v in values]
    total = len(every)
    fivexx = sum(n for s, n in statuses.items() if s >= 500) - refused_503[0]
    print(f"{clients} clients, {wall:.1f} s: {total} responses, {total / wall:.1f} requests/s, "
          f"errors {len(errors)}, 5xx {fivexx}, statuses {dict(sorted(statuses.items()))}")
    if every:
        q = statistics.quantiles(every, n=100)
        print(f"latency ms: median {statistics.median(every):.0f}, p90 {q[89]:.0f}, p95 {q[94]:.0f}, "
              f"p99 {q[98]:.0f}, max {max(every):.0f}")
    for kind, values in sorted(latencies.items()):
        q = statistics.quantiles(values, n=100) if len(values) > 1 else values * 99
        print(f"  {kind:10} {len(values):6}  median {statistics.median(values):6.0f}  p95 {q[94]:6.0f}  max {max(values):6.0f}")
    normal = [v for kind, values in latencies.items() if kind not in NORMAL_EXCLUDED for v in values]
    normal_errors = [e for e in errors if not e.startswith("export")]
    ok = True
    if len(normal) > 1:
        p95 = statistics.quantiles(normal, n=100)[94]
        ok = p95 < p95_limit and not normal_errors
        print(f"normal searches (all but exports): {len(normal)} responses, p95 {p95:.0f} ms (limit {p95_limit:.0f}), "
              f"errors {len(normal_errors)} -> {'OK' if ok else 'FAILED'}")
    print(f"exports refused with 429 (per-client limit) or 503 (writers busy): {refused[0]}")
    if abusers is not None:
        abusers.join()
        abusers.report()
    for line in errors[:20]:
        print("  error:", line)
    return 1 if errors or fivexx or not ok else 0


def main() -> int:
    """Parse arguments, start a server if asked, run the load."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default=None, help="a running server on loopback, e.g. http://127.0.0.1:5000")
    ap.add_argument("--index", type=Path, default=None, help="start `report-search serve` on this index")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--max-requests", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--abuse", action="store_true", help="mix in idle, slow and non-reading clients")
    ap.add_argument("--p95-ms", type=float, default=500, help="normal searches must stay under this p95")
    ap.add_argument("--threads", type=int, default=None, help="threads of the server this script starts")
    args = ap.parse_args()
    proc = None
    base = args.url
    if base is None:
        if args.index is None:
            ap.error("give --url of a running server or --index to start one")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        command = [sys.executable, "-m", "search", "serve", "--index", str(args.index), "--port", str(port)]
        if args.threads:
            command += ["--threads", str(args.threads)]
        proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
        return run(base.rstrip("/"), args.clients, args.seconds, args.max_requests, args.seed, args.abuse, args.p95_ms)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    raise SystemExit(main())
