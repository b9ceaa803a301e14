"""A small process pool for the build: ordered results, a time limit per file and a memory limit per worker.

`concurrent.futures` cannot kill one task that hangs (a reader stuck in C code on a hostile file) or
survive a worker killed by the kernel; this pool can. Each task is a list of items; a worker tells
the pool which item it starts, so when it overruns `timeout` seconds on one item the pool kills it,
reports that item as failed, and sends the rest of the task again to a new worker.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

from .generation import lock_fd

Handler = Callable[[Sequence[Any], Callable[[int], None]], Any]


def _worker(conn: Connection, handler: Handler, memory_limit: int) -> None:
    fd = lock_fd()
    if fd is not None:
        # Let go of the inherited build lock: a worker still dying after a killed run must not keep
        # the next run out. (Pointing the descriptor at /dev/null keeps the parent's lock.)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the build
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C stops the parent, which stops us
    if memory_limit:
        # The address space limit turns a runaway reader into a MemoryError for one file instead of
        # the kernel's OOM killer choosing a process.
        soft = _address_space() + memory_limit
        resource.setrlimit(resource.RLIMIT_AS, (soft, resource.RLIM_INFINITY))
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        task_id, items = message
        try:
            result = handler(items, lambda k: conn.send(("start", task_id, k)))
            conn.send(("done", task_id, result))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, which decides
            conn.send(("error", task_id, f"{type(exc).__name__}: {exc}"))


def _address_space() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


class Pool:
    """`workers` forked processes running `handler(items, started)` on tasks, results in task order."""

    def __init__(self, handler: Handler, workers: int, timeout: float, memory_limit: int):
        self.handler = handler
        self.workers = max(1, workers)
        self.timeout = timeout
        self.memory_limit = memory_limit
        self.ctx = mp.get_context("fork")
        self.procs: list[tuple[Any, Connection]] = []

    def _spawn(self) -> tuple[Any, Connection]:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=_worker, args=(child, self.handler, self.memory_limit), daemon=True)
        proc.start()
        child.close()
        return proc, parent

    def run(self, tasks: Sequence[Sequence[Any]]) -> Iterator[tuple[int, Any, list[tuple[Any, str]]]]:
        """Yield (task index, result or None, [(item, failure reason)]) in task order."""
        queue: list[tuple[int, list[Any]]] = [(i, list(t)) for i, t in enumerate(tasks)]
        queue.reverse()
        done: dict[int, tuple[Any, list[tuple[Any, str]]]] = {}
        failures: dict[int, list[tuple[Any, str]]] = {}
        busy: dict[Connection, tuple[Any, int, list[Any], int, float]] = {}  # conn → proc, task, items, item, since
        idle: list[tuple[Any, Connection]] = [self._spawn() for _ in range(min(self.workers, len(tasks)))]
        next_out = 0
        try:
            while next_out < len(tasks):
                while idle and queue:
                    proc, conn = idle.pop()
                    task_id, items = queue.pop()
                    conn.send((task_id, items))
                    busy[conn] = (proc, task_id, items, -1, time.monotonic())
                ready = wait(list(busy), timeout=1.0) if busy else []
                now = time.monotonic()
                for conn in ready:
                    proc, task_id, items, item, since = busy[conn]
                    try:
                        kind, _tid, payload = conn.recv()
                    except (EOFError, OSError):
                        kind, payload = "died", None
                    if kind == "start":
                        busy[conn] = (proc, task_id, items, payload, now)
                        continue
                    del busy[conn]
                    if kind == "done":
                        done[task_id] = (payload, failures.pop(task_id, []))
                        idle.append((proc, conn))
                    elif kind == "error":
                        failed = failures.pop(task_id, []) + [(i, f"处理出错（{payload}）") for i in items]
                        done[task_id] = (None, failed)
                        idle.append((proc, conn))
                    else:  # the worker died: killed by the kernel for memory, or crashed in C code
                        proc.join(timeout=1)
                        conn.close()
                        self._retry(queue, failures, task_id, items, item, "处理进程意外退出（可能内存不足），已跳过")
                        idle.append(self._spawn())
                for conn, (proc, task_id, items, item, since) in list(busy.items()):
                    if item >= 0 and now - since > self.timeout:
                        proc.kill()
                        proc.join(timeout=5)
                        conn.close()
                        del busy[conn]
                        self._retry(queue, failures, task_id, items, item, f"读取超时（超过 {self.timeout:.0f} 秒），已跳过")
                        idle.append(self._spawn())
                while next_out in done:
                    result, failed = done.pop(next_out)
                    yield next_out, result, failed
                    next_out += 1
        finally:
            for proc, conn in idle + [(p, c) for c, (p, *_rest) in busy.items()]:
                try:
                    conn.send(None)
                except OSError:
                    pass
            for proc, conn in idle + [(p, c) for c, (p, *_rest) in busy.items()]:
                proc.join(timeout=2)
                if proc.is_alive():
                    proc.kill()
                    proc.join(timeout=2)
                conn.close()

    @staticmethod
    def _retry(queue: list, failures: dict, task_id: int, items: list, item: int, reason: str) -> None:
        """Report the item that was running as failed and queue the rest of its task again, first."""
        item = max(item, 0)  # died before saying which item: the first one
        failures.setdefault(task_id, []).append((items[item], reason))
        rest = items[:item] + items[item + 1:]
        queue.append((task_id, rest))
