"""Exports: every hit of a search, uncapped, streamed row by row as CSV or JSON lines."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterable, Iterator
from datetime import date
from urllib.parse import quote

from flask import Blueprint, request
from werkzeug.wrappers import Response

import search

from .core import get_searcher
from .params import ParamError, SearchParams, parse_search

bp = Blueprint("export", __name__)

COLUMNS = ("permalink", "title", "province", "city", "level", "tier", "year", "type", "section", "source", "text")
CHUNK_ROWS = 100  # rows per written chunk: one socket write per row would dominate a large export
# Spreadsheets run a cell starting with these as a formula; a leading apostrophe keeps it text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _hits(params: SearchParams) -> Iterator[search.Hit]:
    """All hits, with the first one fetched now so a bad filter is a 400, not a broken stream."""
    hits = get_searcher().iter_hits(params.to_request(highlight=False))
    try:
        first = next(hits, None)
    except search.InvalidRequest as exc:
        raise ParamError(exc.param, exc.message) from exc
    return hits if first is None else itertools.chain([first], hits)


def _row(hit: search.Hit, base: str) -> dict:
    return {
        "permalink": base + hit.url, "title": hit.title, "province": hit.province, "city": hit.city,
        "level": hit.level, "tier": hit.tier, "year": hit.year, "type": hit.type, "section": hit.section,
        "source": hit.source, "text": hit.text,
    }


def _filename(params: SearchParams, ext: str) -> str:
    stem = "-".join(p for p in ("report-search", params.q[:30].replace("/", "_"), date.today().isoformat()) if p)
    return f"{stem}.{ext}"


def _attachment(params: SearchParams, ext: str) -> str:
    # An ASCII fallback name first, then the UTF-8 name (RFC 6266) that carries the query.
    return f"attachment; filename=\"report-search.{ext}\"; filename*=UTF-8''{quote(_filename(params, ext))}"


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_lines(hits: Iterable[search.Hit], base: str) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        out = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return out

    writer.writerow(COLUMNS)
    yield "\ufeff" + flush()  # the BOM makes Excel read the file as UTF-8
    for n, hit in enumerate(hits, 1):
        row = _row(hit, base)
        writer.writerow([_cell(row[c]) for c in COLUMNS])
        if n % CHUNK_ROWS == 0:
            yield flush()
    yield flush()


def _jsonl_lines(hits: Iterable[search.Hit], base: str) -> Iterator[str]:
    lines: list[str] = []
    for hit in hits:
        lines.append(json.dumps(_row(hit, base), ensure_ascii=False) + "\n")
        if len(lines) == CHUNK_ROWS:
            yield "".join(lines)
            lines.clear()
    if lines:
        yield "".join(lines)


@bp.get("/export.csv")
def export_csv() -> Response:
    """Every hit as CSV (UTF-8 with BOM), one row per paragraph, streamed."""
    params = parse_search(request.args)
    hits = _hits(params)
    base = request.host_url.rstrip("/")  # read now: the generator runs after the request context
    response = Response(_csv_lines(hits, base), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = _attachment(params, "csv")
    return response


@bp.get("/export.jsonl")
def export_jsonl() -> Response:
    """Every hit as one JSON object per line, streamed."""
    params = parse_search(request.args)
    hits = _hits(params)
    base = request.host_url.rstrip("/")
    response = Response(_jsonl_lines(hits, base), mimetype="application/x-ndjson")
    response.headers["Content-Type"] = "application/x-ndjson; charset=utf-8"
    response.headers["Content-Disposition"] = _attachment(params, "jsonl")
    return response
