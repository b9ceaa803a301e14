"""Index folders: generations, the `current` link, the build lock and cleanup.

An index folder holds generations `gen-*` and a symlink `current` to the one in use. Every run
writes a fresh generation and then swaps the link atomically, so a running server keeps answering
from the old generation until the new one is complete, and a run killed half-way changes nothing.
Each generation names the one it replaced (`previous` in its meta.json). Cleanup keeps the current
generation and its previous one and removes everything else — in particular a killed run's
half-written generation, whatever its age (choosing by modification time once deleted the previous
good generation and kept a killed run's leftovers).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

CURRENT = "current"
META_FILE = "meta.json"
PREFIX = "gen-"


class IndexBusy(RuntimeError):
    """Another run is updating the same index folder."""


_lock_fd: int | None = None  # the build lock's descriptor while this process holds it


def lock_fd() -> int | None:
    """The descriptor of the build lock this process holds, if any (forked workers let go of it)."""
    return _lock_fd


@contextlib.contextmanager
def build_lock(index_path: Path) -> Iterator[None]:
    """Hold the folder's build lock: two runs would each prune the other's half-built generation.

    flock, not a lock file's existence: the kernel releases it when a run dies, even by SIGKILL.
    """
    global _lock_fd
    index_path.mkdir(parents=True, exist_ok=True)
    with open(index_path / ".build.lock", "a+b") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusy(f"另一个索引任务正在更新 {index_path}：请等它结束后再运行") from None
        _lock_fd = fh.fileno()
        try:
            yield
        finally:
            _lock_fd = None


def current_generation(index_dir: str | Path) -> Path | None:
    """The generation folder `current` points to, or None when there is none."""
    link = Path(index_dir) / CURRENT
    try:
        target = os.readlink(link)
    except OSError:
        return None
    path = Path(index_dir) / target
    return path if path.is_dir() else None


def read_meta(generation: Path) -> dict:
    """A generation's meta.json (raises OSError/ValueError when missing or broken)."""
    return json.loads((generation / META_FILE).read_text(encoding="utf-8"))


def new_generation(index_dir: Path) -> Path:
    """A new, empty generation folder (names sort by creation time)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        path = index_dir / f"{PREFIX}{stamp}-{os.getpid()}-{n}"
        try:
            path.mkdir(parents=True)
            return path
        except FileExistsError:
            continue
    raise RuntimeError("cannot create a new index generation folder")


def swap_current(index_dir: Path, generation: Path) -> None:
    """Point `current` at `generation` atomically (rename of a fresh symlink over the old one)."""
    tmp = index_dir / f".current-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(generation.name, tmp)
    os.replace(tmp, index_dir / CURRENT)


def cleanup(index_dir: Path) -> list[str]:
    """Remove every generation but the current one and the one it replaced; return the names removed."""
    current = current_generation(index_dir)
    keep: set[str] = set()
    if current is not None:
        keep.add(current.name)
        try:
            previous = read_meta(current).get("previous") or ""
        except (OSError, ValueError):
            previous = ""
        if previous:
            keep.add(previous)
    removed = []
    for path in index_dir.glob(f"{PREFIX}*"):
        if path.is_dir() and path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    for stray in index_dir.glob(".current-*"):
        with contextlib.suppress(OSError):
            stray.unlink()
    return sorted(removed)
