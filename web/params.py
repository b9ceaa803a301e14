"""Request arguments → a validated `SearchParams`, one small function per parameter.

Each parser raises `ParamError(param, message)` with a Chinese message; the blueprints turn it into a
400 (an HTML page or JSON). The library never sees raw request arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol
from urllib.parse import urlencode

import search

# Above this the query is refused outright; between the library's own limit (500) and this one the
# library truncates and says so in the query messages.
MAX_Q_CHARS = 1000
MAX_PAGE = 100_000  # far past any real result; keeps offsets and int parsing small
DEFAULT_PER_PAGE = 20
MAX_FACET_VALUES = 50  # per facet; more selected values than any facet has is an abuse, not a search

FACET_LABELS: dict[str, str] = {"province": "省份", "level": "级别", "tier": "行政层级", "year": "年份", "type": "类型"}
SORT_LABELS: dict[str, str] = {"relevance": "相关度", "newest": "最新", "oldest": "最早"}


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


@dataclass(frozen=True)
class SearchParams:
    """The validated search state of a URL; rebuilds its own URL and every variation of it."""

    q: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def to_request(self, highlight: bool = True) -> search.SearchRequest:
        """The library request for these parameters."""
        return search.SearchRequest(
            q=self.q, filters=dict(self.filters), sort=self.sort, page=self.page,
            per_page=self.per_page, highlight=highlight,
        )

    def items(self) -> list[tuple[str, str]]:
        """URL arguments in a fixed order, defaults left out so links stay short."""
        out: list[tuple[str, str]] = []
        if self.q:
            out.append(("q", self.q))
        for name in search.FACETS:
            out.extend((name, v) for v in self.filters.get(name, ()))
        if self.sort != "relevance":
            out.append(("sort", self.sort))
        if self.per_page != DEFAULT_PER_PAGE:
            out.append(("per_page", str(self.per_page)))
        if self.page != 1:
            out.append(("page", str(self.page)))
        return out

    def url(self, path: str = "/search") -> str:
        """`path` with these parameters as its query string."""
        query = urlencode(self.items())
        return f"{path}?{query}" if query else path

    def has_filters(self) -> bool:
        """Whether any facet value is selected."""
        return any(self.filters.values())

    def toggled(self, name: str, value: str) -> SearchParams:
        """The same search with one facet value added or removed, back on page 1."""
        current = self.filters.get(name, ())
        values = tuple(v for v in current if v != value) if value in current else (*current, value)
        filters = {k: v for k, v in self.filters.items() if k != name}
        if values:
            filters[name] = values
        return replace(self, filters=filters, page=1)

    def with_sort(self, sort: str) -> SearchParams:
        """The same search in another order, back on page 1."""
        return replace(self, sort=sort, page=1)

    def with_page(self, page: int) -> SearchParams:
        """The same search on another page."""
        return replace(self, page=page)


def parse_q(args: MultiArgs) -> str:
    """The query text, stripped; refused above MAX_Q_CHARS characters."""
    q = (args.get("q") or "").strip()
    if len(q) > MAX_Q_CHARS:
        raise ParamError("q", f"检索词太长（{len(q)} 个字符），最多 {MAX_Q_CHARS} 个字符")
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
    return _positive_int(args, "page", "页码", 1, MAX_PAGE)


def parse_per_page(args: MultiArgs) -> int:
    """Hits per page, 1 to search.MAX_PER_PAGE."""
    return _positive_int(args, "per_page", "每页条数", DEFAULT_PER_PAGE, search.MAX_PER_PAGE)


def parse_sort(args: MultiArgs) -> str:
    """One of search.SORTS; relevance by default."""
    sort = (args.get("sort") or "relevance").strip()
    if sort not in search.SORTS:
        names = "、".join(f"{s}（{SORT_LABELS[s]}）" for s in search.SORTS)
        raise ParamError("sort", f"未知的排序方式“{sort[:20]}”，可选：{names}")
    return sort


def parse_filters(args: MultiArgs) -> dict[str, tuple[str, ...]]:
    """Selected facet values, repeated arguments combined; unknown values are left to the library."""
    filters: dict[str, tuple[str, ...]] = {}
    for name in search.FACETS:
        values = tuple(dict.fromkeys(v.strip() for v in args.getlist(name) if v.strip()))
        if len(values) > MAX_FACET_VALUES:
            raise ParamError(name, f"{FACET_LABELS[name]}最多选择 {MAX_FACET_VALUES} 个")
        if values:
            filters[name] = values
    return filters


def parse_search(args: MultiArgs) -> SearchParams:
    """Every search parameter of a request, validated."""
    return SearchParams(
        q=parse_q(args), filters=parse_filters(args), sort=parse_sort(args),
        page=parse_page(args), per_page=parse_per_page(args),
    )

