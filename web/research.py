"""Research views as pages, JSON twins and CSV: trend, first appearance, concordance, compare, Atom feed.

Every view takes the search's parameters (q, mode, one parameter per facet) plus its own, each parsed
by a small validating function raising `ParamError` (→ 400 with a Chinese message); the library
(`search.views`) computes, this module adds URLs and marks, templates render. Pages work without
JavaScript; charts are SVG drawn here (`web.svg`). Absolute URLs (feed, CSV, JSON) start from the
configured BASE_URL, never from the request's Host header.

Routes: /trend, /first, /kwic, /compare (pages); /api/trend, /api/first, /api/kwic, /api/compare
(JSON); /trend.csv, /first.csv, /kwic.csv, /compare.csv; /search.atom.
"""

from __future__ import annotations

import csv
import html
import io
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import IO, Any
from urllib.parse import quote, urlencode

from flask import Blueprint, current_app, jsonify, render_template, request
from werkzeug.wrappers import Response

import search
from search import settings, views
from search.catalog import field_label
from search.fields import FACET_LABELS, MODE_LABELS, MODES
from search.highlight import marked
from search.normalize import normalize

from . import svg
from .core import EXTENSION_KEY
from .export import spooled
from .params import MultiArgs, ParamError, parse_page, parse_q

bp = Blueprint("research", __name__)

BY_LABELS: dict[str, str] = {name: field_label(name) for name in ("province", "city", "level", "tier")}
SPAN_LABELS: dict[str, str] = {"mention": "自首次提及起", "all": "全部年份"}
TOTAL_LABEL = "合计"  # the place or years of a total row in the trend CSV, as on the page
KWIC_SORT_LABELS: dict[str, str] = {"oldest": "时间（由早到晚）", "newest": "时间（由近到远）", "left": "左语境", "right": "右语境"}
UNIT_LABELS: dict[str, str] = {"word": "词", "2": "2 字", "3": "3 字", "4": "4 字"}
MAX_NEIGHBOUR = 20  # characters of a narrowing neighbour
MAX_TERM_CHARS = 100  # characters of one compared term
MAX_KWIC_PER_PAGE = 500
FEED_MAX = 100
FEED_ENTRIES = 50
EXCERPT = 90  # characters of context kept on each side of the first match in a first-use paragraph
_TERM_SEPARATORS = re.compile(r"[\n\r,，;；、]+")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # spreadsheets run such cells as formulas


# -- parameters ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ViewParams:
    """The search state every view shares: query, mode, filters (facet → values)."""

    q: str = ""
    mode: str = "exact"
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def request(self, q: str | None = None) -> search.SearchRequest:
        """The library request (sort and paging are the views' own)."""
        return search.SearchRequest(q=self.q if q is None else q, filters=self.filters, mode=self.mode)

    def filter_dict(self) -> dict[str, tuple[str, ...]]:
        return dict(self.filters)

    def items(self, filters: dict[str, tuple[str, ...]] | None = None, q: str | None = None) -> list[tuple[str, str]]:
        """URL arguments in a fixed order, defaults left out."""
        q = self.q if q is None else q
        out: list[tuple[str, str]] = [("q", q)] if q else []
        if self.mode != "exact":
            out.append(("mode", self.mode))
        chosen = self.filter_dict() if filters is None else filters
        for name in search.FACETS:
            out.extend((name, v) for v in chosen.get(name, ()))
        return out

    def url(
        self, path: str, extra: Sequence[tuple[str, str]] = (), filters: dict | None = None, q: str | None = None
    ) -> str:
        """`path` with these parameters (and `extra`) as its query string."""
        query = urlencode(self.items(filters, q) + [(k, v) for k, v in extra if v not in (None, "")])
        return f"{path}?{query}" if query else path

    def search_url(self, filters: dict | None = None, sort: str = "", q: str | None = None) -> str:
        """The result page of this query under `filters` (default: the same filters)."""
        return self.url("/search", [("sort", sort)] if sort else (), filters, q)

    def narrowed(self, group: views.Group | None = None, year: str | None = None) -> dict[str, tuple[str, ...]]:
        """The filters selecting one group (replacing the grouping facet's) and one year column."""
        out = self.filter_dict()
        if group is not None:
            out.pop(group.by, None)
            for name, value in group.filters:
                out[name] = (value,)
        if year:
            out["year"] = (year,)
        return out


def parse_mode(args: MultiArgs) -> str:
    """exact (default) or words."""
    mode = (args.get("mode") or "exact").strip()
    if mode not in MODES:
        names = "、".join(f"{m}（{MODE_LABELS[m]}）" for m in MODES)
        raise ParamError("mode", f"未知的检索方式“{mode[:20]}”，可选：{names}")
    return mode


def parse_filters(args: MultiArgs) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Selected facet values per facet, repeated arguments combined (unknown values are the library's to explain)."""
    limit = int(settings.get("max_facet_values"))
    out = []
    for name in search.FACETS:
        values = tuple(dict.fromkeys(v.strip()[:100] for v in args.getlist(name) if v.strip()))
        if len(values) > limit:
            raise ParamError(name, f"{FACET_LABELS[name]}最多选择 {limit} 个，收到 {len(values)} 个")
        if values:
            out.append((name, values))
    return tuple(out)


def parse_view(args: MultiArgs) -> ViewParams:
    """The shared parameters of every view."""
    return ViewParams(parse_q(args), parse_mode(args), parse_filters(args))


def _choice(args: MultiArgs, name: str, labels: dict[str, str], default: str, what: str) -> str:
    raw = (args.get(name) or default).strip() or default
    if raw not in labels:
        names = "、".join(f"{k}（{v}）" for k, v in labels.items())
        raise ParamError(name, f"未知的{what}“{raw[:20]}”，可选：{names}")
    return raw


def parse_by(args: MultiArgs, allowed: Sequence[str] = views.BYS) -> str:
    """How to group reports into rows: province (default), city, level, tier."""
    return _choice(args, "by", {k: BY_LABELS[k] for k in allowed}, "province", "分组方式")


def parse_span(args: MultiArgs) -> str:
    """Which years to show: from the first mention (default) or all."""
    return _choice(args, "span", SPAN_LABELS, "mention", "年份范围")


def _int_in(args: MultiArgs, name: str, label: str, default: int, low: int, high: int) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6 or not low <= int(raw) <= high:
        raise ParamError(name, f"{label}必须是 {low} 到 {high} 之间的整数，收到“{raw[:20]}”")
    return int(raw)


def parse_width(args: MultiArgs) -> int:
    """Characters of context on each side, 10–40 (default 20)."""
    from search.views.kwic import DEFAULT_WIDTH, MAX_WIDTH, MIN_WIDTH

    return _int_in(args, "width", "语境宽度", DEFAULT_WIDTH, MIN_WIDTH, MAX_WIDTH)


def parse_kwic_sort(args: MultiArgs) -> str:
    """oldest (default), newest, left, right; the search's "relevance" reads as the default."""
    raw = (args.get("sort") or "").strip()
    if raw in ("", "relevance"):
        return "oldest"
    return _choice(args, "sort", KWIC_SORT_LABELS, "oldest", "排序方式")


def parse_unit(args: MultiArgs) -> str:
    """Neighbours as jieba words (default) or 2, 3, 4 characters."""
    return _choice(args, "unit", UNIT_LABELS, "word", "搭配单位")


def parse_neighbour(args: MultiArgs, name: str) -> str:
    """A neighbour the concordance is narrowed to (normalized as the text is)."""
    raw = (args.get(name) or "").strip()
    if len(raw) > MAX_NEIGHBOUR:
        raise ParamError(name, f"{'左' if name == 'left' else '右'}邻词最多 {MAX_NEIGHBOUR} 个字，收到 {len(raw)} 个")
    return normalize(raw)


def parse_kwic_per_page(args: MultiArgs) -> int:
    """Lines per page, 10–500 (default from the settings)."""
    return _int_in(args, "per_page", "每页行数", int(settings.get("kwic_page")), 10, MAX_KWIC_PER_PAGE)


def parse_feed_size(args: MultiArgs) -> int:
    """Entries of a feed, 1–100 (default 50)."""
    return _int_in(args, "per_page", "条目数", FEED_ENTRIES, 1, FEED_MAX)


def parse_terms(args: MultiArgs) -> list[str]:
    """Terms to compare: repeated `terms`, each split on new lines, commas and 、; at most compare_terms."""
    limit = int(settings.get("compare_terms"))
    raw = [t.strip() for value in args.getlist("terms") for t in _TERM_SEPARATORS.split(value)]
    terms = list(dict.fromkeys(t for t in raw if t))
    for t in terms:
        if len(t) > MAX_TERM_CHARS:
            raise ParamError("terms", f"每个词最多 {MAX_TERM_CHARS} 个字符，“{t[:20]}…”有 {len(t)} 个")
    if len(terms) > limit:
        raise ParamError("terms", f"最多对比 {limit} 个词，收到 {len(terms)} 个")
    return terms


# -- shared view data ------------------------------------------------------------------------------------
@dataclass
class Link:
    """A labelled link; `current` marks the one in effect."""

    label: str
    url: str
    current: bool = False


@dataclass
class Chip:
    """A filter in effect with the URL (of the same view) that removes it."""

    label: str
    url: str


VIEWS: tuple[tuple[str, str, str], ...] = (
    ("search", "检索结果", "/search"),
    ("trend", "地区 × 年份", "/trend"),
    ("first", "首次出现", "/first"),
    ("kwic", "语境（KWIC）", "/kwic"),
    ("compare", "词语对比", "/compare"),
)


def _searcher() -> search.Searcher:
    return current_app.extensions[EXTENSION_KEY]


def base_url() -> str:
    """The configured BASE_URL (never the Host header: see web.hosts)."""
    return current_app.config["BASE_URL"].rstrip("/")


def _tabs(params: ViewParams, current: str, terms: Sequence[str] = ()) -> list[Link]:
    q = params.q or (terms[0] if terms else "")
    out = []
    for key, label, path in VIEWS:
        if key == "compare":
            url = params.url(path, [("terms", "\n".join(terms) if terms else q)], q="")
        else:
            url = params.url(path, q=q)
        out.append(Link(label, url, key == current))
    return out


def _chips(params: ViewParams, path: str, extra: Sequence[tuple[str, str]]) -> list[Chip]:
    chips = []
    for name, values in params.filters:
        for v in values:
            rest = {k: tuple(x for x in vs if not (k == name and x == v)) for k, vs in params.filters}
            label = f"{FACET_LABELS.get(name, name)}：{v}{'年' if name == 'year' and v.isdigit() else ''}"
            chips.append(Chip(label, params.url(path, extra, filters={k: vs for k, vs in rest.items() if vs})))
    return chips


def _hidden(params: ViewParams) -> list[tuple[str, str]]:
    return [(name, v) for name, values in params.filters for v in values]


def _context(params: ViewParams, current: str, path: str, extra: Sequence[tuple[str, str]], **kw: Any) -> dict:
    return {
        "params": params, "tabs": _tabs(params, current, kw.get("terms", ())), "hidden": _hidden(params),
        "chips": _chips(params, path, extra), "mode_labels": MODE_LABELS, "path": path,
        "json_url": params.url("/api" + path, extra, q=kw.get("q_override")),
        "csv_url": params.url(path + ".csv", extra, q=kw.get("q_override")),
        "feed_url": params.url("/search.atom") if params.q else None,
        **kw,
    }


def _need_query(params: ViewParams) -> None:
    if not params.q:
        raise ParamError("q", "请提供检索词（参数 q）")


def _marked(text: str, spans: Iterable[tuple[int, int]]) -> str:
    return marked(text, spans, "<mark>", "</mark>", escape=html.escape)


def _excerpt(hit: search.Hit | None) -> str:
    """The paragraph marked, cut to EXCERPT characters around its first match (escaped HTML)."""
    if hit is None:
        return ""
    spans = list(hit.spans)
    text = hit.text
    if not spans or len(text) <= 2 * EXCERPT + 20:
        return _marked(text, spans)
    start = max(0, spans[0][0] - EXCERPT)
    end = min(len(text), spans[0][1] + EXCERPT)
    inside = [(max(s, start) - start, min(e, end) - start) for s, e in spans if e > start and s < end]
    return ("…" if start else "") + _marked(text[start:end], inside) + ("…" if end < len(text) else "")


def _share(cell: views.Cell) -> float | None:
    return None if cell.share is None else round(cell.share, 4)


def _cell_dict(cell: views.Cell, url: str | None = None) -> dict:
    return {"mentions": cell.mentions, "indexed": cell.indexed, "paragraphs": cell.paragraphs,
            "share": _share(cell), **({"url": url} if url is not None else {})}


def _filters_json(filters: Sequence[search.FilterValue]) -> list[dict]:
    return [asdict(f) for f in filters]


def _place(doc: search.Document) -> str:
    parts = [doc.province, doc.city, doc.county]
    where = " ".join(dict.fromkeys(p for p in parts if p))
    return where or ("全国" if doc.tier == "国家" else "")


def _short_place(doc: search.Document) -> str:
    """The most specific place of a report ("溧阳市"), for a narrow column."""
    return doc.county or doc.city or doc.province or ("全国" if doc.tier == "国家" else "")


def _permalink(pid: str, q: str) -> str:
    return f"/p/{quote(pid)}" + (f"?{urlencode([('q', q)])}" if q else "")


def _csv_text(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_response(rows: Iterable[Sequence[object]], header: Sequence[str], name: str, q: str) -> Response:
    """A CSV (UTF-8 with BOM, so spreadsheets read it as UTF-8), written under the export gate into a
    file the server sends: a client that does not read holds no thread (web/export.py)."""

    def write(file: IO[bytes]) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow(header)
        for n, row in enumerate(rows, 1):
            writer.writerow([_csv_text(v) for v in row])
            if n % 200 == 0:
                file.write(buffer.getvalue().encode("utf-8"))
                buffer.seek(0)
                buffer.truncate()
        file.write(buffer.getvalue().encode("utf-8"))

    stem = "-".join(p for p in ("report-search", name, q[:30].replace("/", "_")) if p)
    disposition = f"attachment; filename=\"report-search-{name}.csv\"; filename*=UTF-8''{quote(stem)}.csv"
    return spooled(("research", request.path, request.query_string), write, "text/csv", disposition)


def _lib(call, *args: Any, **kw: Any):
    """Run a library call; its InvalidRequest (bad page, too many values) becomes a parameter error."""
    try:
        return call(*args, **kw)
    except search.InvalidRequest as exc:
        raise ParamError(exc.param, exc.message) from exc


# -- trend -----------------------------------------------------------------------------------------------
def _trend(args: MultiArgs) -> tuple[ViewParams, str, str, views.Trend | None]:
    params = parse_view(args)
    by, span = parse_by(args), parse_span(args)
    result = _lib(views.trend, _searcher(), params.request(), by, span) if params.q else None
    return params, by, span, result


def _trend_urls(params: ViewParams, t: views.Trend) -> tuple[list[list[str | None]], list[str | None], list[str | None]]:
    """Search URLs of every cell, of every row total and of every column total."""
    cells = [
        [params.search_url(params.narrowed(row.group, col.filter)) if row.group.filters and col.filter else None
         for col in t.columns]
        for row in t.rows
    ]
    rows = [params.search_url(params.narrowed(row.group)) if row.group.filters else None for row in t.rows]
    cols = [params.search_url(params.narrowed(None, col.filter)) if col.filter else None for col in t.columns]
    return cells, rows, cols


def trend_json(params: ViewParams, t: views.Trend) -> dict:
    cells, row_urls, col_urls = _trend_urls(params, t)
    base = base_url()
    return {
        "query": params.q, "mode": params.mode, "by": t.by, "span": t.span,
        "filters": _filters_json(t.filters), "interpretation": asdict(t.query),
        "columns": [{"kind": c.kind, "label": c.label, "low": c.low, "high": c.high, "filter": c.filter,
                     "url": base + u if u else None} for c, u in zip(t.columns, col_urls)],
        "rows": [
            {"value": row.group.value, "label": row.group.label, "context": row.group.context,
             "filters": [list(f) for f in row.group.filters],
             "cells": [_cell_dict(c, base + u if u else None) for c, u in zip(row.cells, urls)],
             "total": _cell_dict(row.total, base + ru if ru else None)}
            for row, urls, ru in zip(t.rows, cells, row_urls)
        ],
        "totals": [_cell_dict(c) for c in t.totals],
        "total": _cell_dict(t.total, base + params.search_url()),
    }


@bp.get("/trend")
def trend_page() -> str:
    """Places × years: reports mentioning the query / reports indexed, shaded by the share."""
    params, by, span, t = _trend(request.args)
    extra = [("by", by if by != "province" else ""), ("span", span if span != "mention" else "")]
    ctx = _context(params, "trend", "/trend", extra, by=by, span=span, result=t,
                   by_labels=BY_LABELS, span_labels=SPAN_LABELS, legend=svg.shade_legend(), shade=svg.shade)
    if t is not None:
        cells, row_urls, col_urls = _trend_urls(params, t)
        ctx.update(cell_urls=cells, row_urls=row_urls, col_urls=col_urls, search_url=params.search_url(),
                   by_links=[Link(BY_LABELS[b], params.url("/trend", [("by", b), extra[1]]), b == by) for b in views.BYS],
                   span_links=[Link(SPAN_LABELS[s], params.url("/trend", [extra[0], ("span", s)]), s == span)
                               for s in SPAN_LABELS])
    return render_template("research/trend.html", **ctx)


@bp.get("/api/trend")
def trend_api() -> Response:
    """The trend table as JSON (cells carry their search URLs)."""
    params, by, span, t = _trend(request.args)
    _need_query(params)
    return jsonify(trend_json(params, t))


@bp.get("/trend.csv")
def trend_csv() -> Response:
    """The trend table as CSV, one row per place and year column (coverage gaps included, share empty).

    Like the page, each place ends with its total over the years, then come the totals of each year over
    the places and the grand total: rows whose place or years column reads TOTAL_LABEL (value empty).
    """
    params, by, span, t = _trend(request.args)
    _need_query(params)
    base = base_url()
    cells, row_urls, col_urls = _trend_urls(params, t)

    def line(label: str, value: str, years: str, low: int | None, high: int | None, cell: views.Cell,
             url: str | None) -> list:
        return [label, value, years, low, high, cell.mentions, cell.indexed,
                "" if cell.share is None else f"{cell.share:.4f}", cell.paragraphs, base + url if url else ""]

    def rows() -> Iterator[list]:
        for row, urls, row_url in zip(t.rows, cells, row_urls):
            for col, cell, url in zip(t.columns, row.cells, urls):
                yield line(row.group.label, row.group.value, col.label, col.low, col.high, cell, url)
            yield line(row.group.label, row.group.value, TOTAL_LABEL, None, None, row.total, row_url)
        for col, cell, url in zip(t.columns, t.totals, col_urls):
            yield line(TOTAL_LABEL, "", col.label, col.low, col.high, cell, url)
        yield line(TOTAL_LABEL, "", TOTAL_LABEL, None, None, t.total, params.search_url())

    header = [by, "value", "years", "year_from", "year_to", "reports_mentioning", "reports_indexed",
              "share", "paragraphs", "search_url"]
    return _csv_response(rows(), header, "trend", params.q)


# -- first appearance ------------------------------------------------------------------------------------
FIRST_BYS = ("province", "city")


def _first(args: MultiArgs) -> tuple[ViewParams, str, views.FirstAppearance | None]:
    params = parse_view(args)
    by = parse_by(args, FIRST_BYS)
    result = _lib(views.first, _searcher(), params.request(), by) if params.q else None
    return params, by, result


def _when(use: views.FirstUse) -> str:
    if use.precision == "date":
        return use.date
    if use.precision == "year":
        return f"{use.year}年（日期不详）"
    return "年份不详"


def _first_rows(params: ViewParams, fa: views.FirstAppearance) -> list[dict]:
    out = []
    for use in fa.firsts:
        search_url = params.search_url(params.narrowed(use.group), sort="oldest") if use.group.filters else None
        doc = use.document
        out.append({
            "use": use, "when": _when(use), "place": _place(doc), "excerpt": _excerpt(use.hit),
            "permalink": _permalink(use.hit.id, params.q) if use.hit else f"/doc/{quote(doc.doc_id)}",
            "search_url": search_url,
        })
    return out


def first_json(params: ViewParams, fa: views.FirstAppearance) -> dict:
    base = base_url()
    firsts = []
    for use, row in zip(fa.firsts, _first_rows(params, fa)):
        hit = use.hit
        firsts.append({
            "place": use.group.label, "value": use.group.value, "context": use.group.context, "counted": use.counted,
            "year": use.year, "date": use.date or None, "precision": use.precision,
            "document": use.document.metadata(), "reports": use.reports, "paragraphs": use.paragraphs,
            "same_year": use.same_year, "paragraph": hit.to_dict() if hit else None,
            "permalink": base + row["permalink"], "search_url": base + row["search_url"] if row["search_url"] else None,
        })
    return {
        "query": params.q, "mode": params.mode, "by": fa.by, "filters": _filters_json(fa.filters),
        "interpretation": asdict(fa.query), "places": fa.places,
        "places_used": sum(1 for f in fa.firsts if f.counted),
        "firsts": firsts,
        "spread": [asdict(p) for p in fa.spread],
        "silent": [g.label for g in fa.silent],
    }


def _spread_chart(fa: views.FirstAppearance, label: str) -> svg.LineChart | None:
    if len(fa.spread) < 2:
        return None
    xs = [p.year for p in fa.spread]
    return svg.line_chart(
        xs, [(f"{label}数", [float(p.total) for p in fa.spread])], title=f"已提及的{label}数（累计）",
        y_max=float(max(fa.places, 1)), y_format=lambda v: f"{v:.0f}",
        value_title=lambda year, v: f"{year}年：{v:.0f} 个", width=560, plot_height=200,
    )


def _tiles(params: ViewParams, fa: views.FirstAppearance) -> svg.TileMap:
    values: dict[str, svg.TileValue] = {}
    used = {f.group.value: f for f in fa.firsts if f.counted}
    for group in [f.group for f in fa.firsts if f.counted] + list(fa.silent):
        name = svg.short_name(group.value)
        if name is None:
            continue
        use = used.get(group.value)
        url = params.search_url(params.narrowed(group), sort="oldest")
        if use is not None:
            title = f"{group.label}：{_when(use)} 首次提及（{use.reports} 份报告提及）"
            values[name] = svg.TileValue(use.year, True, url, title)
        else:
            values[name] = svg.TileValue(None, True, url, f"{group.label}：有报告，未提及")
    return svg.tile_map(values, title="各省份首次提及的年份")


@bp.get("/first")
def first_page() -> str:
    """Each place's earliest report mentioning the query, the spread by year, and a tile map of provinces."""
    params, by, fa = _first(request.args)
    extra = [("by", by if by != "province" else "")]
    ctx = _context(params, "first", "/first", extra, by=by, result=fa, by_labels=BY_LABELS,
                   by_options=[(b, BY_LABELS[b]) for b in FIRST_BYS],
                   by_links=[Link(BY_LABELS[b], params.url("/first", [("by", b)]), b == by) for b in FIRST_BYS])
    if fa is not None:
        ctx.update(rows=_first_rows(params, fa), chart=_spread_chart(fa, BY_LABELS[by]),
                   tiles=_tiles(params, fa) if by == "province" and fa.firsts else None,
                   used=sum(1 for f in fa.firsts if f.counted))
    return render_template("research/first.html", **ctx)


@bp.get("/api/first")
def first_api() -> Response:
    """First appearances and the spread as JSON."""
    params, by, fa = _first(request.args)
    _need_query(params)
    return jsonify(first_json(params, fa))


@bp.get("/first.csv")
def first_csv() -> Response:
    """First appearances as CSV, one row per place, in date order."""
    params, by, fa = _first(request.args)
    _need_query(params)
    base = base_url()

    def rows() -> Iterator[list]:
        for use, row in zip(fa.firsts, _first_rows(params, fa)):
            doc = use.document
            yield [use.group.label, use.group.value, use.year or "", use.date, use.precision, doc.title, doc.doc_id,
                   use.hit.id if use.hit else "", base + row["permalink"], use.reports, use.paragraphs, use.same_year,
                   use.hit.text if use.hit else ""]

    header = [by, "value", "year", "date", "precision", "title", "doc_id", "paragraph_id", "permalink",
              "reports_mentioning", "paragraphs", "same_year_reports", "text"]
    return _csv_response(rows(), header, "first", params.q)


# -- concordance -----------------------------------------------------------------------------------------
@dataclass
class KwicArgs:
    """The concordance's own parameters."""

    width: int
    sort: str
    unit: str
    left: str
    right: str
    page: int
    per_page: int

    def extra(self, **changes: Any) -> list[tuple[str, str]]:
        values = {**asdict(self), **changes}
        defaults = {"width": 20, "sort": "oldest", "unit": "word", "left": "", "right": "", "page": 1,
                    "per_page": int(settings.get("kwic_page"))}
        return [(k, str(values[k])) for k in ("width", "sort", "unit", "left", "right", "per_page", "page")
                if values[k] != defaults[k]]


def _kwic_args(args: MultiArgs) -> KwicArgs:
    return KwicArgs(parse_width(args), parse_kwic_sort(args), parse_unit(args), parse_neighbour(args, "left"),
                    parse_neighbour(args, "right"), parse_page(args), parse_kwic_per_page(args))


def _line_dict(line: views.Line, q: str, base: str) -> dict:
    doc = line.document
    return {
        "left": line.left, "match": line.match, "right": line.right, "left_cut": line.left_cut,
        "right_cut": line.right_cut, "paragraph_id": line.paragraph_id, "doc_id": doc.doc_id, "title": doc.title,
        "place": _place(doc), "province": doc.province, "city": doc.city, "year": doc.year, "date": doc.date or None,
        "start": line.start, "end": line.end, "permalink": base + _permalink(line.paragraph_id, q),
    }


@bp.get("/kwic")
def kwic_page() -> str:
    """Every occurrence as a line aligned on the match, with the neighbours that narrow it."""
    params = parse_view(request.args)
    k = _kwic_args(request.args)
    extra = k.extra()
    ctx = _context(params, "kwic", "/kwic", extra, k=k, sort_labels=KWIC_SORT_LABELS, unit_labels=UNIT_LABELS)
    if params.q:
        c = _lib(views.concordance, _searcher(), params.request(), k.width, k.sort, k.unit, k.left, k.right,
                 k.page, k.per_page)
        longest = max((len(line.match) for line in c.lines), default=2)

        def nav(**changes: Any) -> str:
            return params.url("/kwic", k.extra(**changes))

        ctx.update(
            result=c, match_class=f"mw{min(max(longest, 1), 16)}",
            lines=[{"line": line, "permalink": _permalink(line.paragraph_id, params.q), "place": _place(line.document),
                    "short": _short_place(line.document)} for line in c.lines],
            sort_links=[Link(label, nav(sort=s, page=1), s == k.sort) for s, label in KWIC_SORT_LABELS.items()],
            unit_links=[Link(label, nav(unit=u, page=1, left="", right=""), u == k.unit)
                        for u, label in UNIT_LABELS.items()],
            left_links=[Link(f"{x.text}", nav(left=x.text, page=1), x.text == k.left) for x in c.left_collocates],
            right_links=[Link(f"{x.text}", nav(right=x.text, page=1), x.text == k.right) for x in c.right_collocates],
            narrow_chips=[Chip(f"左邻：{k.left}", nav(left="", page=1))] * bool(k.left)
            + [Chip(f"右邻：{k.right}", nav(right="", page=1))] * bool(k.right),
            prev_url=nav(page=k.page - 1) if k.page > 1 else None,
            next_url=nav(page=k.page + 1) if k.page < c.pages else None,
            search_url=params.search_url(),
        )
    return render_template("research/kwic.html", **ctx)


@bp.get("/api/kwic")
def kwic_api() -> Response:
    """A page of the concordance and its collocates as JSON."""
    params = parse_view(request.args)
    k = _kwic_args(request.args)
    _need_query(params)
    c = _lib(views.concordance, _searcher(), params.request(), k.width, k.sort, k.unit, k.left, k.right, k.page, k.per_page)
    base = base_url()

    def narrow(side: str, text: str) -> str:
        return base + params.url("/kwic", k.extra(**{side: text, "page": 1}))

    return jsonify({
        "query": params.q, "mode": params.mode, "filters": _filters_json(c.filters), "interpretation": asdict(c.query),
        "width": c.width, "sort": c.sort, "unit": c.unit, "left": c.left or None, "right": c.right or None,
        "total": c.total, "occurrences": c.occurrences, "paragraphs": c.paragraphs, "reports": c.reports,
        "matched_paragraphs": c.matched, "capped": c.capped,
        "page": c.page, "per_page": c.per_page, "pages": c.pages,
        "collocates": {
            "left": [{"text": x.text, "count": x.count, "url": narrow("left", x.text)} for x in c.left_collocates],
            "right": [{"text": x.text, "count": x.count, "url": narrow("right", x.text)} for x in c.right_collocates],
        },
        "lines": [_line_dict(line, params.q, base) for line in c.lines],
        "csv": base + params.url("/kwic.csv", k.extra(page=1)),
    })


@bp.get("/kwic.csv")
def kwic_csv() -> Response:
    """Every line of the concordance (narrowing and order as asked), uncapped, streamed."""
    params = parse_view(request.args)
    k = _kwic_args(request.args)
    _need_query(params)
    lines = views.iter_lines(_searcher(), params.request(), k.width, k.sort, k.unit, k.left, k.right)
    first = _lib(next, lines, None)  # computed now: a bad request is a 400, not a broken stream
    base = base_url()

    def rows() -> Iterator[list]:
        for line in itertools.chain([first] if first is not None else [], lines):
            d = _line_dict(line, params.q, base)
            yield [d["place"], d["year"] or "", d["date"] or "", d["title"], d["left"], d["match"], d["right"],
                   d["permalink"], d["paragraph_id"]]

    header = ["place", "year", "date", "title", "left", "match", "right", "permalink", "paragraph_id"]
    return _csv_response(rows(), header, "kwic", params.q)


# -- compare ---------------------------------------------------------------------------------------------
def _compare(args: MultiArgs) -> tuple[ViewParams, list[str], str, views.Comparison | None]:
    params = parse_view(args)
    terms = parse_terms(args) or ([params.q] if params.q else [])
    span = parse_span(args)
    result = _lib(views.compare, _searcher(), terms, params.request(), "province", span) if terms else None
    return params, terms, span, result


def _term_urls(params: ViewParams, c: views.Comparison) -> tuple[list[list[str | None]], list[list[str | None]]]:
    by_year = [[params.search_url(params.narrowed(None, col.filter), q=row.term) if col.filter else None
                for col in c.columns] for row in c.terms]
    by_place = [[params.search_url(params.narrowed(g), q=row.term) if g.filters else None for g in c.groups]
                for row in c.terms]
    return by_year, by_place


def compare_json(params: ViewParams, terms: list[str], c: views.Comparison) -> dict:
    base = base_url()
    by_year, by_place = _term_urls(params, c)

    def absolute(url: str | None) -> str | None:
        return base + url if url else None

    return {
        "terms": terms, "mode": params.mode, "filters": _filters_json(c.filters),
        "columns": [{"kind": col.kind, "label": col.label, "low": col.low, "high": col.high, "indexed": n}
                    for col, n in zip(c.columns, c.indexed)],
        "places": [{"label": g.label, "value": g.value, "indexed": n} for g, n in zip(c.groups, c.indexed_places)],
        "series": [
            {"term": row.term, "interpretation": asdict(row.query), "total": _cell_dict(row.total),
             "by_year": [_cell_dict(cell, absolute(u)) for cell, u in zip(row.cells, urls_y)],
             "by_place": [_cell_dict(cell, absolute(u)) for cell, u in zip(row.places, urls_p)]}
            for row, urls_y, urls_p in zip(c.terms, by_year, by_place)
        ],
    }


def _compare_chart(c: views.Comparison) -> svg.LineChart | None:
    years = [(i, col) for i, col in enumerate(c.columns) if col.kind == "year"]
    if len(years) < 2:  # one year is a table row, not a line
        return None
    series = [(row.term, [row.cells[i].share for i, _ in years]) for row in c.terms]
    return svg.line_chart([col.low for _, col in years], series, title="提及各词的报告占比（按年份）")


@bp.get("/compare")
def compare_page() -> str:
    """Terms side by side: share of reports mentioning each, by year (chart and table) and by province."""
    params, terms, span, c = _compare(request.args)
    extra = [("terms", "\n".join(terms)), ("span", span if span != "mention" else "")]
    ctx = _context(params, "compare", "/compare", extra, terms=terms, span=span, result=c, q_override="",
                   limit=int(settings.get("compare_terms")), shade=svg.shade, legend=svg.shade_legend())
    if c is not None:
        by_year, by_place = _term_urls(params, c)
        messages = [m for row in c.terms for m in row.query.messages]
        ctx.update(chart=_compare_chart(c), year_urls=by_year, place_urls=by_place,
                   messages=list(dict.fromkeys(messages)),
                   span_links=[Link(SPAN_LABELS[s], params.url("/compare", [extra[0], ("span", s)], q=""), s == span)
                               for s in SPAN_LABELS],
                   csv_place_url=params.url("/compare.csv", extra + [("by", "province")], q=""))
    return render_template("research/compare.html", **ctx)


@bp.get("/api/compare")
def compare_api() -> Response:
    """The comparison as JSON."""
    params, terms, span, c = _compare(request.args)
    if c is None:
        raise ParamError("terms", "请提供要对比的词（参数 terms，逗号或换行分隔）")
    return jsonify(compare_json(params, terms, c))


@bp.get("/compare.csv")
def compare_csv() -> Response:
    """The comparison as CSV: one row per term and year (by=year, default) or term and province (by=province)."""
    params, terms, span, c = _compare(request.args)
    if c is None:
        raise ParamError("terms", "请提供要对比的词（参数 terms，逗号或换行分隔）")
    by = _choice(request.args, "by", {"year": "年份", "province": "省份"}, "year", "分组方式")

    def rows() -> Iterator[list]:
        for row in c.terms:
            if by == "year":
                for col, cell in zip(c.columns, row.cells):
                    yield [row.term, col.label, col.low, col.high, cell.mentions, cell.indexed,
                           "" if cell.share is None else f"{cell.share:.4f}", cell.paragraphs]
            else:
                for g, cell in zip(c.groups, row.places):
                    yield [row.term, g.label, "", "", cell.mentions, cell.indexed,
                           "" if cell.share is None else f"{cell.share:.4f}", cell.paragraphs]

    header = ["term", "year" if by == "year" else "province", "year_from", "year_to", "reports_mentioning",
              "reports_indexed", "share", "paragraphs"]
    return _csv_response(rows(), header, "compare", "-".join(terms)[:30])


# -- Atom feed -------------------------------------------------------------------------------------------
@dataclass
class AtomEntry:
    """An entry as the template writes it."""

    id: str
    title: str
    link: str
    updated: str
    published: str
    place: str
    summary: str
    content: str  # HTML (escaped again by the template)
    categories: list[str] = field(default_factory=list)


def _rfc3339(stamp: str) -> str:
    return stamp if stamp else "1970-01-01T00:00:00Z"


@bp.get("/search.atom")
def search_atom() -> Response:
    """An Atom feed of the newest paragraphs matching the search (same parameters as /search)."""
    params = parse_view(request.args)
    size = parse_feed_size(request.args)
    _need_query(params)
    f = _lib(views.feed, _searcher(), params.request(), size)
    base = base_url()
    entries = []
    for e in f.entries:
        hit, doc = e.hit, e.hit.document
        where = _place(doc)
        when = e.published if e.precision == "date" else (f"{doc.year}年" if doc.year else "")
        title = "，".join(p for p in (doc.title or "（无标题）", where, when) if p)
        section = " › ".join(hit.section)
        head = "，".join(p for p in (where, when, section) if p)
        content = (f"<p>{html.escape(head)}</p>" if head else "") + f"<p>{_marked(hit.text, hit.spans)}</p>"
        entries.append(AtomEntry(
            id=f"{base}/p/{quote(hit.id)}", title=title, link=base + _permalink(hit.id, params.q),
            updated=_rfc3339(e.updated), published=_rfc3339(f"{e.published}T00:00:00Z" if e.published else ""),
            place=where, summary=hit.text[:200], content=content,
            categories=[c for c in (doc.province, doc.city, doc.level, str(doc.year or "")) if c],
        ))
    updated = f.updated or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    filters = "；".join(f"{FACET_LABELS.get(x.field, x.field)}：{x.label}" for x in f.filters)
    body = render_template(
        "research/feed.xml", title=f"政府工作报告检索：{params.q}" + (f"（{filters}）" if filters else ""),
        feed_id=base + params.url("/search.atom"), self_url=base + params.url("/search.atom"),
        alternate=base + params.search_url(sort="newest"), updated=updated, entries=entries, total=f.total,
    )
    response = Response(body, mimetype="application/atom+xml")
    response.headers["Content-Type"] = "application/atom+xml; charset=utf-8"
    return response


@bp.app_template_filter("pct")
def pct_filter(value: float | None) -> str:
    """A share as a percentage ("—" for none)."""
    return "—" if value is None else svg.percent(value)


__all__ = ["bp", "ViewParams", "parse_view", "parse_terms", "parse_width"]
