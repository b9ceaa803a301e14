"""When the index first saw each report: side data kept beside every generation, carried forward.

`record` is a generation hook (`search.backends.embedded.writer.GENERATION_HOOKS`): given the new
generation, the one it was built from and the reports added and removed, it writes
`<generation>/seen/first_seen.json` ({doc id: ISO 8601 UTC time}) — the base's times for the reports
kept (a report re-read with the same id keeps its time), now for the new ones. `first_seen` reads it
through `Backend.side_path`, so an engine without the file simply has no times (the feed then orders
by the reports' dates alone). `register()` installs the hook; the indexing code calls it once.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path

SIDE = "seen"
FILE = "first_seen.json"

_lock = threading.Lock()
_cache: dict[tuple[int, str], dict[str, str]] = {}


def now() -> str:
    """The current time as the side data writes it (UTC, seconds)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def read(folder: Path | None) -> dict[str, str]:
    """The times kept in a generation folder (empty when it has none or the file is unreadable)."""
    if folder is None:
        return {}
    path = folder / SIDE / FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def record(generation: Path, base: Path | None, added: list[str], removed: list[str], when: str | None = None) -> None:
    """Write the generation's first-seen times: the base's, minus removed reports, plus added ones at `when`."""
    times = read(base)
    readded = set(added)
    for doc_id in removed:
        if doc_id not in readded:
            times.pop(doc_id, None)
    stamp = when or now()
    for doc_id in added:
        times.setdefault(doc_id, stamp)
    folder = Path(generation) / SIDE
    folder.mkdir(parents=True, exist_ok=True)
    (folder / FILE).write_text(json.dumps(times, ensure_ascii=False, sort_keys=True), encoding="utf-8")


def register() -> None:
    """Install `record` as a hook of the embedded engine's index writer (once)."""
    from ..backends.embedded import writer

    if record not in writer.GENERATION_HOOKS:
        writer.GENERATION_HOOKS.append(record)


def first_seen(searcher) -> dict[str, str]:
    """{doc id: first-seen time} of the searcher's current generation ({} when not recorded)."""
    generation = searcher.backend.generation()
    key = (id(searcher), generation)
    with _lock:
        if key in _cache:
            return _cache[key]
    times = read(_parent(searcher.backend.side_path(SIDE)))
    with _lock:
        _cache.clear()  # one generation at a time is enough
        _cache[key] = times
    return times


def _parent(path: Path | None) -> Path | None:
    return path.parent if path is not None else None
