#!/usr/bin/env python3
"""Memory under churn: serve through N index generation swaps under load and print the server's RSS.

Usage:
    python scripts/churn.py [--corpus DIR] [--files N] [--swaps 20] [--clients 4] [--limit 1.5]

Copies N files of the corpus (default: the bundled sample) into a temporary folder, indexes it,
starts `report-search serve` on a free loopback port, and keeps a few clients searching while it
changes one file (a line appended), re-indexes the folder (a new generation is built and swapped in)
and waits until the server answers from the new generation — SWAPS times. After each swap and a
round of searches it reads the server's RSS from /proc. Exits 1 when the RSS after any swap exceeds LIMIT times
the first (after the first swap, when the server has warmed up). Everything runs on loopback and
stops by itself. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = ["发展", "高质量发展", "新质生产力", "养老", "乡村振兴", "营商环境", "就业", "科技创新", "教育", "改革"]


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MB."""
    return memory_mb(pid)["VmRSS"]


def memory_mb(pid: int) -> dict[str, float]:
    """RSS, and its anonymous (heap) and file-backed (mapped index pages) parts, in MB."""
    out = {"VmRSS": 0.0, "RssAnon": 0.0, "RssFile": 0.0}
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            key = line.split(":", 1)[0]
            if key in out:
                out[key] = int(line.split()[1]) / 1024
    return out


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=60) as resp:
        return json.loads(resp.read())


def index(folder: Path, index_dir: Path) -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "search", "index", str(folder), "--index", str(index_dir), "--quiet"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def main() -> int:
    """Run the churn and print the RSS series."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus" / "sample")
    ap.add_argument("--files", type=int, default=0, help="copy only this many files (0: all)")
    ap.add_argument("--swaps", type=int, default=20)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--limit", type=float, default=1.5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                    help="environment for the server (e.g. MALLOC_ARENA_MAX=2 to compare)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="report-search-churn-"))
    corpus, index_dir = work / "corpus", work / "index"
    files = sorted(p for p in args.corpus.rglob("*")
                   if p.is_file() and p.suffix in (".txt", ".md", ".html") and p.name != "manifest.csv")
    if args.files:
        files = files[: args.files]
    for src in files:
        dst = corpus / src.relative_to(args.corpus)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    print(f"{len(files)} files; first index {index(corpus, index_dir):.1f} s")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ)
    env.update(dict(e.split("=", 1) for e in args.env))
    proc = subprocess.Popen([sys.executable, "-m", "search", "serve", "--index", str(index_dir), "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    base = f"http://127.0.0.1:{port}"
    stop = threading.Event()
    errors: list[str] = []
    served = [0]
    try:
        for _ in range(300):
            try:
                get_json(base + "/api/stats")
                break
            except OSError:
                time.sleep(0.1)

        def client(k: int) -> None:
            local = random.Random(args.seed + k)
            deadline = time.monotonic() + 3600
            while not stop.is_set() and time.monotonic() < deadline:
                q = local.choice(WORDS)
                path = local.choice(["/api/search", "/search", "/api/reports"])
                try:
                    with urllib.request.urlopen(f"{base}{path}?{urllib.parse.urlencode({'q': q, 'page': local.randint(1, 3)})}", timeout=60) as r:
                        r.read()
                    served[0] += 1
                except OSError as exc:
                    errors.append(str(exc))

        threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(args.clients)]
        for t in threads:
            t.start()
        series: list[float] = []
        anon: list[float] = []
        time.sleep(2)
        print(f"before swaps: RSS {rss_mb(proc.pid):.0f} MB")
        victims = sorted(p for p in corpus.rglob("*") if p.is_file() and p.name != "manifest.csv")
        for swap in range(1, args.swaps + 1):
            before = get_json(base + "/api/stats")["generation"]
            victim = rng.choice(victims)
            with open(victim, "a", encoding="utf-8") as fh:
                fh.write(f"\n第{swap}次更新的附加段落，用于检验索引切换后的内存。\n")
            seconds = index(corpus, index_dir)
            for _ in range(600):
                now = get_json(base + "/api/stats")["generation"]
                if now != before:
                    break
                time.sleep(0.1)
            time.sleep(2)  # searches on the new generation
            mem = memory_mb(proc.pid)
            series.append(mem["VmRSS"])
            anon.append(mem["RssAnon"])
            print(f"swap {swap:2}: index {seconds:5.1f} s, generation {now}, RSS {series[-1]:.0f} MB "
                  f"(anonymous {mem['RssAnon']:.0f}, mapped files {mem['RssFile']:.0f})", flush=True)
        stop.set()
        for t in threads:
            t.join(timeout=70)
        first, last, peak = series[0], series[-1], max(series)
        ok = peak <= args.limit * first and not errors
        print(f"RSS MB: {', '.join(f'{x:.0f}' for x in series)}")
        print(f"anonymous MB: {', '.join(f'{x:.0f}' for x in anon)}")
        print(f"first {first:.0f}, last {last:.0f}, peak {peak:.0f} MB: last/first {last / first:.2f}, "
              f"peak/first {peak / first:.2f} (limit {args.limit}, every swap); anonymous {anon[0]:.0f} → {anon[-1]:.0f} "
              f"(peak {max(anon):.0f}); {served[0]} requests served, {len(errors)} errors -> {'OK' if ok else 'FAILED'}")
        for e in errors[:5]:
            print("  error:", e)
        return 0 if ok else 1
    finally:
        stop.set()
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
