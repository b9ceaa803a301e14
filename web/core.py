"""The one search code path shared by the HTML page, the API and the exports, and the page's view data.

`run_search` turns request arguments into a `SearchResult`; `page_view` turns that result into plain
data (facet values with their toggle URLs, chips, sort links, pages, chart bars) so templates only
render and never build URLs themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, request

import search

from .params import FACET_LABELS, SORT_LABELS, MultiArgs, ParamError, SearchParams, parse_search

EXTENSION_KEY = "report_search"
CHART_BARS = 12  # the chart shows the largest provinces only; the sidebar lists them all


def get_searcher() -> search.Searcher:
    """The app's searcher, opened once by create_app."""
    return current_app.extensions[EXTENSION_KEY]


def absolute(path: str) -> str:
    """`path` as an absolute URL on the host the request came to (for citations and exports)."""
    return request.host_url.rstrip("/") + path


def run_search(args: MultiArgs) -> tuple[SearchParams, search.SearchResult]:
    """Parse the arguments and run the search; ParamError (→ 400) for anything invalid."""
    params = parse_search(args)
    try:
        result = get_searcher().search(params.to_request())
    except search.InvalidRequest as exc:  # e.g. an unknown facet value: the user's input, so a 400
        raise ParamError(exc.param, exc.message) from exc
    return params, result


def facet_url(params: SearchParams) -> Callable[[str, str], str]:
    """The callback giving the HTML page's toggle URL of a facet value (used by the API as well)."""
    return lambda name, value: params.toggled(name, value).url()


@dataclass
class FacetLink:
    """A facet value as the sidebar shows it."""

    value: str
    label: str
    count: int
    selected: bool
    url: str


@dataclass
class FacetGroup:
    """One facet with its values."""

    name: str
    label: str
    values: list[FacetLink]


@dataclass
class Chip:
    """A selected filter with the URL that removes it."""

    facet: str
    facet_label: str
    label: str
    url: str


@dataclass
class Link:
    """A labelled link; `current` marks the one in effect."""

    label: str
    url: str
    current: bool = False


@dataclass
class Bar:
    """One bar of a chart, its SVG geometry computed here so the template does no arithmetic."""

    label: str
    count: int
    url: str
    selected: bool
    y: int  # top of the row
    width: int  # of the bar
    text_y: int  # baseline of the label and the count
    count_x: int  # where the count starts, just after the bar
    squeeze: int | None  # textLength for a label too long for its column, else None


@dataclass
class Chart:
    """A horizontal bar chart drawn as inline SVG."""

    title: str
    bars: list[Bar]
    height: int
    width: int = 0
    label_x: int = 0
    bar_x: int = 0


def value_label(name: str, value: str) -> str:
    """How a facet value reads on the page."""
    return f"{value}年" if name == "year" else value


def facet_groups(params: SearchParams, facets: dict[str, list[search.FacetValue]]) -> list[FacetGroup]:
    """The sidebar: every facet, each value with its count and toggle URL."""
    toggle = facet_url(params)
    return [
        FacetGroup(name, FACET_LABELS[name], [
            FacetLink(fv.value, value_label(name, fv.value), fv.count, fv.selected, toggle(name, fv.value))
            for fv in facets.get(name, [])
        ])
        for name in search.FACETS
    ]


def chips(params: SearchParams) -> list[Chip]:
    """The selected filters, each removable."""
    return [
        Chip(name, FACET_LABELS[name], value_label(name, v), params.toggled(name, v).url())
        for name in search.FACETS
        for v in params.filters.get(name, ())
    ]


def sort_links(params: SearchParams) -> list[Link]:
    """One link per sort order."""
    return [Link(SORT_LABELS[s], params.with_sort(s).url(), s == params.sort) for s in search.SORTS]


def page_links(params: SearchParams, pages: int, window: int = 2) -> list[Link | None]:
    """Page number links around the current page, first and last always; None marks a gap."""
    wanted = {1, pages, *range(params.page - window, params.page + window + 1)}
    numbers = sorted(n for n in wanted if 1 <= n <= pages)
    out: list[Link | None] = []
    previous = 0
    for n in numbers:
        if n - previous > 1:
            out.append(None)
        out.append(Link(str(n), params.with_page(n).url(), n == params.page))
        previous = n
    return out


# Chart geometry in SVG user units, chosen so one unit is about one CSS pixel in the desktop sidebar
# (the SVG scales with its container's width on a phone).
CHART_WIDTH = 260
LABEL_END = 90  # labels are right-aligned here; 7 characters of 12-unit text fit
BAR_X = 96
BAR_SPACE = 124  # leaves room for a five-digit count after the longest bar
ROW_HEIGHT = 22
LABEL_CHARS = 7


def chart(title: str, name: str, params: SearchParams, values: list[search.FacetValue]) -> Chart:
    """Bars of hit counts for one facet, each linking to the toggle of its value."""
    peak = max((fv.count for fv in values), default=0) or 1
    bars = []
    for i, fv in enumerate(values):
        label = value_label(name, fv.value)
        width = max(2, round(fv.count / peak * BAR_SPACE)) if fv.count else 0
        y = i * ROW_HEIGHT
        bars.append(Bar(
            label, fv.count, params.toggled(name, fv.value).url(), fv.selected, y, width, y + 15,
            BAR_X + width + 4, LABEL_END - 2 if len(label) > LABEL_CHARS else None,
        ))
    return Chart(title, bars, max(1, len(bars)) * ROW_HEIGHT, CHART_WIDTH, LABEL_END, BAR_X)


def charts(params: SearchParams, result: search.SearchResult) -> list[Chart]:
    """Hits by province (largest first) and by year (in time order)."""
    provinces = result.facets.get("province", [])[:CHART_BARS]
    years = sorted(result.facets.get("year", []), key=lambda fv: fv.value)
    out = []
    if provinces:
        out.append(chart("按省份", "province", params, provinces))
    if years:
        out.append(chart("按年份", "year", params, years))
    return out


def page_view(params: SearchParams, result: search.SearchResult) -> dict:
    """Everything the results template renders, as plain data."""
    pages = result.pages
    return {
        "params": params,
        "result": result,
        "facets": facet_groups(params, result.facets),
        "chips": chips(params),
        "sorts": sort_links(params),
        "pages": page_links(params, pages) if pages > 1 else [],
        "prev_url": params.with_page(params.page - 1).url() if params.page > 1 else None,
        "next_url": params.with_page(params.page + 1).url() if params.page < pages else None,
        "charts": charts(params, result),
        "first": (params.page - 1) * params.per_page + 1,
        "last": (params.page - 1) * params.per_page + len(result.hits),
        "clear_url": SearchParams(q=params.q, sort=params.sort).url() if params.has_filters() else None,
    }


def place(hit_or_doc: search.Hit | search.Document) -> str:
    """Province and city of a hit or document, as one string ("江苏省 常州市")."""
    parts = [hit_or_doc.province, hit_or_doc.city]
    county = getattr(hit_or_doc, "county", "")
    if county:
        parts.append(county)
    return " ".join(dict.fromkeys(p for p in parts if p))


def citation(title: str, where: str, year: int | None, section: str, url: str) -> str:
    """A citation line for a paragraph: title, place, year, section and its permalink."""
    parts = [f"《{title}》" if title else "", where, f"{year}年" if year else "", section, url]
    return "，".join(p for p in parts if p)
