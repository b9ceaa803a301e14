"""Exports: every hit of a search, uncapped, as CSV (UTF-8 with BOM) or JSON lines.

How an export avoids holding the server: the rows are written to an unlinked temporary file by the
request's thread, inside a gate that lets few exports be written at once (see `init_app`: searches
keep most threads and most of the interpreter) and at most `exports_per_client` be open per client (429 beyond
it). The finished file is handed to the server as `wsgi.file_wrapper`: waitress then sends it from
its event loop, so a client that does not read holds a file and a socket, never a thread. The
client's slot is freed when the file is closed (sent, or the connection dropped); waitress's
`channel_timeout` does not drop a client that stops reading a response, so a file nobody has read
from for `channel_timeout` seconds gives its slot back when its client asks for another export (and
ends there: what was not sent is not sent). Finished files are kept for the same request and index
generation (a few, on disk): the same export asked for again is sent without being written again.
The research views' CSVs (`spooled`) go the same way.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import threading
import time
import weakref
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import date
from typing import IO, Any
from urllib.parse import quote

from flask import Blueprint, current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response
from werkzeug.wsgi import wrap_file

import search
from search import settings

from .core import get_searcher, read_params
from .labels import absolute, permalink_path, title_label
from .params import SearchParams

bp = Blueprint("export", __name__)

COLUMNS = (
    "permalink", "title", "kind", "section", "text", "date", "year", "province", "city", "county", "level", "tier",
    "type", "speaker", "source", "doc_id", "id",
)
CHUNK_ROWS = 200  # rows per write: one write per row would dominate a large export
# Spreadsheets run a cell starting with these as a formula; a leading apostrophe keeps it text.
_FORMULA_FIRST = frozenset("=+-@\t\r\n|%")
GATE_KEY = "report_search_exports"


class TooManyExports(HTTPException):
    """An export refused because of the limits (429 per client, 503 server-wide)."""

    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code = code


class ExportGate:
    """Counts exports being written (server-wide) and open (per client: written or being sent)."""

    def __init__(self, workers: int, per_client: int, stall: float = 30.0):
        self.workers = workers
        self.per_client = per_client
        self.stall = stall  # seconds without a read after which a file being sent gives its slot back
        self.lock = threading.Lock()
        self.writing = 0
        self.open: Counter[str] = Counter()
        # Weak: a file nobody holds any more is closed (and frees its slot) by the garbage collector.
        self.sending: dict[str, weakref.WeakSet[_SentFile]] = {}

    def track(self, client: str, sent: "_SentFile") -> None:
        """A file being sent to `client` (its slot is reclaimable once nobody reads it)."""
        with self.lock:
            self.sending.setdefault(client, weakref.WeakSet()).add(sent)

    def untrack(self, client: str, sent: "_SentFile") -> None:
        """The file is sent, closed or abandoned."""
        with self.lock:
            files = self.sending.get(client)
            if files is not None:
                files.discard(sent)
                if not files:
                    del self.sending[client]

    def _reclaim(self, client: str) -> None:
        now = time.monotonic()
        with self.lock:
            stalled = [f for f in self.sending.get(client, ()) if now - f.touched > self.stall]
        for f in stalled:
            f.abandon()

    def enter(self, client: str, write: bool = True) -> None:
        """Take a slot for `client` (and a writer's, when the file must be written) or raise TooManyExports."""
        with self.lock:
            full = self.open[client] >= self.per_client
        if full:
            self._reclaim(client)
        with self.lock:
            if self.open[client] >= self.per_client:
                raise TooManyExports(429, f"您已有 {self.per_client} 个导出正在进行，请等它们完成后再试。")
            if write and self.writing >= self.workers:
                raise TooManyExports(503, "服务器正忙于其他导出，请稍后再试。")
            self.open[client] += 1
            self.writing += write

    def written(self) -> None:
        """The file is written: its worker slot is free (the client's stays until it is sent)."""
        with self.lock:
            self.writing -= 1

    def leave(self, client: str) -> None:
        """The export is finished or dropped: free the client's slot."""
        with self.lock:
            self.open[client] -= 1
            if self.open[client] <= 0:
                del self.open[client]


class Spool:
    """A finished export file shared by everyone sending it; closed when evicted and no longer sent."""

    def __init__(self, file: IO[bytes], size: int):
        self.file = file
        self.fd = file.fileno()
        self.size = size
        self.lock = threading.Lock()
        self.readers = 0
        self.evicted = False

    def take(self) -> bool:
        """One more reader; False when the file is already closed."""
        with self.lock:
            if self.file.closed:
                return False
            self.readers += 1
            return True

    def drop(self) -> None:
        """One reader fewer."""
        with self.lock:
            self.readers -= 1
            self._close_if_done()

    def evict(self) -> None:
        """Out of the cache: close once the last reader is done."""
        with self.lock:
            self.evicted = True
            self._close_if_done()

    def _close_if_done(self) -> None:
        if self.evicted and self.readers <= 0 and not self.file.closed:
            self.file.close()


class SpoolCache:
    """The last few finished exports per index generation: a shared export link, or the same export
    asked for again (by eight clients that never read it, say), is sent without being written again."""

    def __init__(self, entries: int, max_bytes: int):
        self.entries = entries
        self.max_bytes = max_bytes
        self.lock = threading.Lock()
        self.items: OrderedDict[Any, Spool] = OrderedDict()
        self.writing: set[Any] = set()  # keys being written now (by one request each)

    def claim(self, key: Any) -> bool:
        """Whether this request may write `key` (False while another writes the same export)."""
        with self.lock:
            if key in self.writing:
                return False
            self.writing.add(key)
            return True

    def release(self, key: Any) -> None:
        """Writing `key` is over (written and cached, or failed)."""
        with self.lock:
            self.writing.discard(key)

    def get(self, key: Any) -> Spool | None:
        """A cached spool with a reader taken, or None."""
        with self.lock:
            spool = self.items.get(key)
            if spool is None:
                return None
            self.items.move_to_end(key)
        return spool if spool.take() else None

    def put(self, key: Any, spool: Spool) -> None:
        """Cache a spool (the caller already holds its reader); evict the oldest past the bounds."""
        evicted = []
        with self.lock:
            old = self.items.pop(key, None)
            if old is not None:
                evicted.append(old)
            if spool.size <= self.max_bytes:
                self.items[key] = spool
            else:
                evicted.append(spool)
            while len(self.items) > self.entries or sum(x.size for x in self.items.values()) > self.max_bytes:
                evicted.append(self.items.popitem(last=False)[1])
        for old in evicted:
            old.evict()


CACHE_KEY = "report_search_export_cache"
CACHED_EXPORTS = 8
CACHED_BYTES = 1 << 30  # on disk (unlinked temporary files), not in memory


def init_app(app: Any) -> None:
    """Give the app its export gate and cache (limits from search.settings).

    Writing an export is CPU work under the GIL: at most a quarter of the request threads write at
    once (and never more than export_workers), so searches keep most of the interpreter. Measured on
    lawtext: four writers of an 83 MB export beside 16 searching clients pushed the searches' p95
    past 500 ms.
    """
    writers = max(1, min(int(settings.get("export_workers")), int(settings.get("threads")) // 4))
    app.extensions[GATE_KEY] = ExportGate(writers, int(settings.get("exports_per_client")),
                                          float(settings.get("channel_timeout")))
    app.extensions[CACHE_KEY] = SpoolCache(CACHED_EXPORTS, CACHED_BYTES)


class _SentFile(io.RawIOBase):
    """One client's reading of a spool, at its own offset (pread), freeing its slots once when closed
    or read to the end."""

    def __init__(self, spool: Spool, release: Callable[["_SentFile"], None]):
        super().__init__()
        self.spool = spool
        self.pos = 0
        self.touched = time.monotonic()
        self.abandoned = False
        self._release: Callable[[_SentFile], None] | None = release
        self._free_lock = threading.Lock()

    def _free(self) -> None:
        with self._free_lock:
            release, self._release = self._release, None
        if release is not None:
            release(self)
            self.spool.drop()

    def abandon(self) -> None:
        """Nobody reads it: give the slot back; later reads see the end (the spool may be closed by then)."""
        self.abandoned = True
        self._free()

    def readable(self) -> bool:  # noqa: D102
        return True

    def seekable(self) -> bool:  # noqa: D102
        return True

    def seek(self, offset: int, whence: int = 0) -> int:  # noqa: D102
        base = {0: 0, 1: self.pos, 2: self.spool.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def tell(self) -> int:  # noqa: D102
        return self.pos

    def read(self, size: int = -1) -> bytes:  # noqa: D102
        self.touched = time.monotonic()
        if self.abandoned:
            return b""  # never read a closed spool's descriptor: its number may belong to another file now
        if size is None or size < 0:
            size = self.spool.size - self.pos
        data = os.pread(self.spool.fd, min(size, max(0, self.spool.size - self.pos)), self.pos) if size else b""
        self.pos += len(data)
        if not data and size != 0:
            self._free()
        return data

    def readinto(self, buffer: Any) -> int:  # noqa: D102
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:  # noqa: D102
        if not self.closed:
            self._free()
        super().close()


class _Rows:
    """Export rows for hits; the permalink's query and each report's title label computed once per export
    (they were a third of the time of an 83 MB export)."""

    def __init__(self, q: str, mode: str):
        path = permalink_path("X", q, mode)
        self.prefix = absolute("/p/")
        self.suffix = path[len("/p/X"):]
        self.titles: dict[str, str] = {}

    def row(self, hit: search.Hit) -> dict[str, Any]:
        doc = hit.document
        title = self.titles.get(hit.doc_id)
        if title is None:
            title = self.titles[hit.doc_id] = title_label(doc)
        return {
            "permalink": self.prefix + hit.id + self.suffix, "title": title, "kind": hit.kind,
            "section": " › ".join(hit.section), "text": hit.text, "date": doc.date, "year": doc.year or "",
            "province": doc.province, "city": doc.city, "county": doc.county, "level": doc.level, "tier": doc.tier,
            "type": doc.type, "speaker": doc.speaker, "source": doc.source, "doc_id": hit.doc_id, "id": hit.id,
        }


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in _FORMULA_FIRST else text


def csv_chunks(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """CSV text in chunks: the BOM and header first, formula-like cells neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    n = 0
    for n, row in enumerate(rows, 1):
        writer.writerow([_cell(row[c]) for c in COLUMNS])
        if n % CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def jsonl_chunks(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """One JSON object per line, in chunks."""
    lines: list[str] = []
    for row in rows:
        lines.append(json.dumps(row, ensure_ascii=False) + "\n")
        if len(lines) == CHUNK_ROWS:
            yield "".join(lines)
            lines.clear()
    if lines:
        yield "".join(lines)


def _filename(params: SearchParams, ext: str) -> str:
    stem = "-".join(p for p in ("report-search", params.q[:30], date.today().isoformat()) if p)
    return f"{stem}.{ext}"


def _attachment(params: SearchParams, ext: str) -> str:
    # An ASCII fallback name first, then the UTF-8 name (RFC 6266) that carries the query; quote()
    # escapes CR, LF and quotes, so nothing the user typed can end the header.
    return f"attachment; filename=\"report-search.{ext}\"; filename*=UTF-8''{quote(_filename(params, ext), safe='')}"


def _client() -> str:
    # REMOTE_ADDR: behind a proxy, waitress's trusted_proxy settings (serve --trusted-proxy) set it
    # from X-Forwarded-For; a header is never trusted here on its own.
    return request.remote_addr or "?"


def _write(write: Callable[[IO[bytes]], None]) -> Spool:
    """What `write` writes, in an unlinked temporary file."""
    file = tempfile.TemporaryFile(prefix="report-search-export-")
    try:
        write(file)
        file.flush()
        return Spool(file, file.tell())
    except BaseException:
        file.close()
        raise


def spooled(key: Any, write: Callable[[IO[bytes]], None], mimetype: str, disposition: str) -> Response:
    """A download written once by `write` under the export gate, cached by `key` (with the index
    generation and the base URL), and handed to the server as a file (see the module docstring)."""
    gate: ExportGate = current_app.extensions[GATE_KEY]
    cache: SpoolCache = current_app.extensions[CACHE_KEY]
    # The base URL is part of the key: the rows carry absolute permalinks.
    key = (get_searcher().backend.generation(), current_app.config["BASE_URL"], key)
    client = _client()
    spool = cache.get(key)
    try:
        gate.enter(client, write=spool is None)
    except TooManyExports:
        if spool is not None:
            spool.drop()
        raise
    try:
        if spool is None:
            try:
                if not cache.claim(key):
                    # The same export is being written for another request: writing it twice would
                    # hold a second writer; it is sent from the cache once written.
                    raise TooManyExports(503, "同一导出正在生成，请稍后再试。")
                try:
                    spool = _write(write)
                    spool.take()
                    cache.put(key, spool)
                finally:
                    cache.release(key)
            finally:
                gate.written()
    except BaseException:
        gate.leave(client)
        raise
    def release(sent: _SentFile) -> None:  # given the file, not closing over it: no cycle keeps it alive
        gate.untrack(client, sent)
        gate.leave(client)

    sent = _SentFile(spool, release)
    gate.track(client, sent)
    response = Response(wrap_file(request.environ, sent), direct_passthrough=True, mimetype=mimetype)
    response.headers["Content-Type"] = f"{mimetype}; charset=utf-8"
    response.headers["Content-Disposition"] = disposition
    response.content_length = spool.size
    return response


def _export(ext: str, mimetype: str, chunks: Callable[[Iterable[dict[str, Any]]], Iterator[str]],
            bom: bool) -> Response:
    _given, params = read_params(request.args)
    req = replace(params.to_request(), page=1, per_page=int(settings.get("per_page")))
    get_searcher().validate(req)  # InvalidRequest → 400 before any slot is taken

    def write(file: IO[bytes]) -> None:
        if bom:
            file.write("\ufeff".encode())  # makes Excel read the file as UTF-8
        rows = map(_Rows(params.q, params.mode).row, get_searcher().iter_hits(req))
        for chunk in chunks(rows):
            file.write(chunk.encode("utf-8"))

    return spooled((req, ext), write, mimetype, _attachment(params, ext))


@bp.get("/export.csv")
def export_csv() -> Response:
    """Every hit as CSV (UTF-8 with BOM), one row per paragraph, with its absolute permalink."""
    return _export("csv", "text/csv", csv_chunks, bom=True)


@bp.get("/export.jsonl")
def export_jsonl() -> Response:
    """Every hit as one JSON object per line."""
    return _export("jsonl", "application/x-ndjson", jsonl_chunks, bom=False)
