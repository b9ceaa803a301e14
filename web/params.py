"""Request arguments → a validated `SearchParams`, one small function per parameter.

Each parser raises `ParamError(param, message)` with a Chinese message; the blueprints turn it into a
400 (an HTML page that keeps the query in the box, or JSON). Only what no reading can fix is an error:
an unknown filter *value* (province=火星) is the library's to read and explain, never a 400.
The library never sees raw request arguments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from typing import Protocol
from urllib.parse import quote_plus

import search
from search import settings
from search.fields import FIELDS, MODE_LABELS, SORT_LABELS

# Filters a URL may carry: every field of the library (facets, and county/title which match by part).
FILTER_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
FILTER_LABELS: dict[str, str] = {f.name: f.label for f in FIELDS}
VIEWS: tuple[str, ...] = ("paragraphs", "reports")  # the 按段落 list and the 按报告 list
COUNTS: tuple[str, ...] = ("paragraphs", "reports")  # what the charts count
COUNT_LABELS: dict[str, str] = {"paragraphs": "段落", "reports": "报告"}
# Ids are hex with a dash (document 12 hex, paragraph 12-8); anything else cannot name one.
_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
MAX_FILTER_CHARS = 100  # one filter value; province names are short, titles a little longer


def _limit(name: str) -> int:
    return int(settings.get(name))


class ParamError(ValueError):
    """A request parameter that cannot be accepted; `param` names it, `message` says why in Chinese."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param
        self.message = message


class MultiArgs(Protocol):
    """The part of werkzeug's MultiDict the parsers use (a plain dict of lists works in tests too)."""

    def get(self, key: str, default: str | None = None) -> str | None: ...  # noqa: D102

    def getlist(self, key: str) -> list[str]: ...  # noqa: D102


# A result page links every facet value with the same query string: each piece is quoted once
# (urlencode quoted it again for every link, half of an API answer's time on a cached search).
_quoted = lru_cache(maxsize=4096)(quote_plus)


@dataclass(frozen=True)
class SearchParams:
    """The validated search state of a URL; rebuilds its own canonical URL and every variation of it."""

    q: str = ""
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (field, values) in FILTER_NAMES order
    mode: str = "exact"
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    doc: str = ""  # restrict to one report
    view: str = "paragraphs"
    count: str = "paragraphs"

    # -- reading -----------------------------------------------------------------------------------
    def values(self, name: str) -> tuple[str, ...]:
        """The values given for one filter."""
        return dict(self.filters).get(name, ())

    def has_filters(self) -> bool:
        """Whether any filter (or a report) restricts the search."""
        return bool(self.filters) or bool(self.doc)

    def to_request(self) -> search.SearchRequest:
        """The library request for these parameters."""
        return search.SearchRequest(
            q=self.q, filters=self.filters, mode=self.mode, sort=self.sort, page=self.page,
            per_page=self.per_page, doc=self.doc,
        )

    def items(self) -> list[tuple[str, str]]:
        """URL arguments in a fixed order, defaults left out so links stay short."""
        out: list[tuple[str, str]] = []
        if self.q:
            out.append(("q", self.q))
        if self.mode != "exact":
            out.append(("mode", self.mode))
        for name, values in self.filters:
            out.extend((name, v) for v in values)
        if self.doc:
            out.append(("doc", self.doc))
        if self.view != "paragraphs":
            out.append(("view", self.view))
        if self.count != "paragraphs":
            out.append(("count", self.count))
        if self.sort != "relevance":
            out.append(("sort", self.sort))
        if self.per_page != _limit("per_page"):
            out.append(("per_page", str(self.per_page)))
        if self.page != 1:
            out.append(("page", str(self.page)))
        return out

    def url(self, path: str = "/search") -> str:
        """`path` with these parameters as its query string (relative: no host is ever written)."""
        query = "&".join(f"{_quoted(k)}={_quoted(v)}" for k, v in self.items())
        return f"{path}?{query}" if query else path

    # -- variations ----------------------------------------------------------------------------------
    def with_filters(self, filters: dict[str, tuple[str, ...]]) -> SearchParams:
        """The same search with these filters (put in canonical order), back on page 1."""
        ordered = tuple((n, tuple(dict.fromkeys(filters[n]))) for n in FILTER_NAMES if filters.get(n))
        return replace(self, filters=ordered, page=1)

    def _toggled_values(self, name: str, value: str, selects: dict[str, tuple[str, ...]] | None) -> tuple[str, ...]:
        values = self.values(name)
        selects = selects or {}
        if value in values:
            return tuple(v for v in values if v != value)
        if any(value in selects.get(v, ()) for v in values):
            kept: list[str] = []
            for v in values:
                chosen = selects.get(v, ())
                kept.extend([x for x in chosen if x != value] if value in chosen else [v])
            return tuple(kept)
        return (*values, value)

    def toggled(self, name: str, value: str, selects: dict[str, tuple[str, ...]] | None = None) -> SearchParams:
        """The same search with one filter value added or removed, back on page 1.

        `selects` maps each given value of this filter to the stored values it selects ("2015-2020" →
        the years): removing a value selected through a range replaces the range by the rest of it.
        """
        current = dict(self.filters)
        current[name] = self._toggled_values(name, value, selects)
        return self.with_filters(current)

    @cached_property
    def _toggle_parts(self) -> tuple[list[str], dict[str, list[str]], list[str]]:
        # The quoted pieces of this URL around its filters (page left out: a toggle goes back to page 1),
        # computed once for the sixty-odd facet toggles of one answer.
        head, filters, tail = [], {}, []
        for k, v in replace(self, page=1).items():
            if k in FILTER_NAMES:
                filters.setdefault(k, []).append(f"{_quoted(k)}={_quoted(v)}")
            else:
                (tail if filters or k not in ("q", "mode") else head).append(f"{_quoted(k)}={_quoted(v)}")
        return head, filters, tail

    def toggled_url(self, name: str, value: str, selects: dict[str, tuple[str, ...]] | None = None) -> str:
        """`toggled(name, value, selects).url()`, without building the parameters again (one per facet value)."""
        head, filters, tail = self._toggle_parts
        values = tuple(dict.fromkeys(self._toggled_values(name, value, selects)))
        middle: list[str] = []
        for n in FILTER_NAMES:
            if n == name:
                middle.extend(f"{_quoted(n)}={_quoted(v)}" for v in values)
            else:
                middle.extend(filters.get(n, ()))
        query = "&".join(head + middle + tail)
        return f"/search?{query}" if query else "/search"

    def without(self, name: str) -> SearchParams:
        """The same search without any value of one filter (or without the report, for "doc")."""
        if name == "doc":
            return replace(self, doc="", page=1)
        return self.with_filters({n: v for n, v in self.filters if n != name})

    def with_sort(self, sort: str) -> SearchParams:
        """The same search in another order, back on page 1."""
        return replace(self, sort=sort, page=1)

    def with_mode(self, mode: str) -> SearchParams:
        """The same search in another mode (exact or words), back on page 1."""
        return replace(self, mode=mode, page=1)

    def with_view(self, view: str) -> SearchParams:
        """The same search as paragraphs or as reports, back on page 1."""
        return replace(self, view=view, page=1)

    def with_count(self, count: str) -> SearchParams:
        """The same page with the charts counting paragraphs or reports (the page number is kept)."""
        return replace(self, count=count)

    def with_page(self, page: int) -> SearchParams:
        """The same search on another page."""
        return replace(self, page=page)

    def with_query(self, q: str, mode: str | None = None) -> SearchParams:
        """Another query under the same filters, back on page 1."""
        return replace(self, q=q, mode=mode or self.mode, page=1)

    def in_document(self, doc_id: str) -> SearchParams:
        """The paragraph list of one report under the same query and filters."""
        return replace(self, doc=doc_id, view="paragraphs", page=1)


# -- the parsers, one per parameter -------------------------------------------------------------------
def parse_q(args: MultiArgs) -> str:
    """The query text, stripped; refused above the max_q_chars setting."""
    q = (args.get("q") or "").strip()
    high = _limit("max_q_chars")
    if len(q) > high:
        raise ParamError("q", f"检索词太长（{len(q)} 个字符），最多 {high} 个字符")
    return q


def _positive_int(args: MultiArgs, name: str, label: str, default: int, high: int) -> int:
    raw = args.get(name)
    if raw is None or raw.strip() == "":
        return default
    raw = raw.strip()
    # isdigit rejects signs, decimals and exponents; the length check keeps int() away from huge strings.
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise ParamError(name, f"{label}必须是 1 到 {high} 之间的整数，收到“{raw[:20]}”")
    value = int(raw)
    if not 1 <= value <= high:
        raise ParamError(name, f"{label}必须是 1 到 {high} 之间的整数，收到 {value}")
    return value


def parse_page(args: MultiArgs) -> int:
    """The page number, from 1."""
    return _positive_int(args, "page", "页码", 1, _limit("max_page"))


def parse_per_page(args: MultiArgs) -> int:
    """Hits per page, 1 to the max_per_page setting."""
    return _positive_int(args, "per_page", "每页条数", _limit("per_page"), _limit("max_per_page"))


def _choice(args: MultiArgs, name: str, label: str, choices: dict[str, str], default: str) -> str:
    raw = (args.get(name) or default).strip()
    if raw not in choices:
        names = "、".join(f"{k}（{v}）" for k, v in choices.items())
        raise ParamError(name, f"未知的{label}“{raw[:20]}”，可选：{names}")
    return raw


def parse_sort(args: MultiArgs) -> str:
    """One of the library's sorts; relevance by default."""
    return _choice(args, "sort", "排序方式", SORT_LABELS, "relevance")


def parse_mode(args: MultiArgs) -> str:
    """exact (the default: unquoted text is matched as written) or words (all of its jieba words)."""
    return _choice(args, "mode", "检索方式", MODE_LABELS, "exact")


def parse_view(args: MultiArgs) -> str:
    """paragraphs (default) or reports."""
    return _choice(args, "view", "视图", {"paragraphs": "按段落", "reports": "按报告"}, "paragraphs")


def parse_count(args: MultiArgs) -> str:
    """What the charts count: paragraphs (default) or reports."""
    return _choice(args, "count", "计数方式", {"paragraphs": "段落", "reports": "报告"}, "paragraphs")


def parse_id(raw: str | None, name: str = "doc") -> str:
    """A document or paragraph id ("" when absent); refused when it cannot be one."""
    raw = (raw or "").strip()
    if raw and not _ID.match(raw):
        raise ParamError(name, f"编号“{raw[:20]}”格式不对：只能由字母、数字和连字符组成")
    return raw


def parse_filters(args: MultiArgs) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Filter values as given (repeats combined); the library reads them ("江苏" → 江苏省, "2015-")."""
    out = []
    high = _limit("max_facet_values")
    for name in FILTER_NAMES:
        values = tuple(dict.fromkeys(v.strip() for v in args.getlist(name) if v.strip()))
        if len(values) > high:
            raise ParamError(name, f"{FILTER_LABELS[name]}最多选择 {high} 个")
        for v in values:
            if len(v) > MAX_FILTER_CHARS:
                raise ParamError(name, f"{FILTER_LABELS[name]}的值太长（最多 {MAX_FILTER_CHARS} 个字符）")
        if values:
            out.append((name, values))
    return tuple(out)


def parse_search(args: MultiArgs) -> SearchParams:
    """Every search parameter of a request, validated."""
    return SearchParams(
        q=parse_q(args), filters=parse_filters(args), mode=parse_mode(args), sort=parse_sort(args),
        page=parse_page(args), per_page=parse_per_page(args), doc=parse_id(args.get("doc")),
        view=parse_view(args), count=parse_count(args),
    )
