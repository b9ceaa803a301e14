"""What the research views share: cells of reports, groups of documents (places), year columns, caches.

All counting is per document over the catalog's arrays: `Selection.counts` says how many paragraphs of
each document match, `Selection.allowed` which documents pass the filters; a cell is then a pair of
`np.bincount`s over (group, column) codes — no hit is fetched to count.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np

from ..catalog import Catalog, field_label, parse_year_range
from ..models import FilterValue
from ..service import Searcher, Selection

# Ways to group reports into places (rows of a trend table); all are facets of the catalog.
BYS: tuple[str, ...] = ("province", "level", "tier", "city")
# Documents without a province are the State Council's when they are all of this tier.
NATIONAL_TIER = "国家"
NATIONAL_LABEL = "全国（国务院）"


@dataclass
class Cell:
    """Reports mentioning the query among the reports indexed, with the matching paragraphs alongside."""

    mentions: int = 0  # reports with at least one matching paragraph
    indexed: int = 0  # reports of the selection (query aside): the denominator
    paragraphs: int = 0  # matching paragraphs in those reports

    @property
    def share(self) -> float | None:
        """mentions / indexed; None where no report is indexed (missing coverage, not "never said")."""
        return self.mentions / self.indexed if self.indexed else None


@dataclass(frozen=True)
class Group:
    """A place (or level, tier) as a row: the facet value, how it reads, and the filters that select it.

    `filters` are (facet, value) pairs that, replacing the request's filters on the same facets and on
    the grouping facet, select exactly this group's reports; empty when no URL filter can (documents
    without a value), so the web layer shows such a row without links.
    """

    by: str
    value: str  # the facet value; "" for reports without one
    label: str
    filters: tuple[tuple[str, str], ...] = ()
    context: str = ""  # the province of a city, when every report of the city has the same one


@dataclass(frozen=True)
class Column:
    """A column of years: one year, or the years before (or after) the range shown, or unknown years."""

    kind: str  # "year", "earlier", "later", "unknown"
    label: str
    low: int | None = None
    high: int | None = None

    @property
    def year(self) -> int | None:
        """The year of a one-year column."""
        return self.low if self.kind == "year" else None

    @property
    def filter(self) -> str | None:
        """The `year` filter value that selects this column's reports ("2024", "1954-2020"), or None."""
        if self.kind == "unknown" or self.low is None or self.high is None:
            return None
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"


@dataclass
class Grid:
    """Per (group, column): mentions, indexed reports and paragraphs, as int64 arrays."""

    mentions: np.ndarray
    indexed: np.ndarray
    paragraphs: np.ndarray

    def cell(self, r: int, c: int) -> Cell:
        return Cell(int(self.mentions[r, c]), int(self.indexed[r, c]), int(self.paragraphs[r, c]))

    def row_total(self, r: int) -> Cell:
        return Cell(int(self.mentions[r].sum()), int(self.indexed[r].sum()), int(self.paragraphs[r].sum()))

    def column_total(self, c: int) -> Cell:
        return Cell(int(self.mentions[:, c].sum()), int(self.indexed[:, c].sum()), int(self.paragraphs[:, c].sum()))

    def total(self) -> Cell:
        return Cell(int(self.mentions.sum()), int(self.indexed.sum()), int(self.paragraphs.sum()))


def allowed_mask(sel: Selection) -> np.ndarray:
    """Documents of the selection (every filter applied; the query aside)."""
    return np.ones(len(sel.catalog), dtype=bool) if sel.allowed is None else sel.allowed


def mentioned_mask(sel: Selection) -> np.ndarray:
    """Documents of the selection with at least one matching paragraph."""
    return sel.doc_counts > 0


def grid(rows: np.ndarray, n_rows: int, cols: np.ndarray, n_cols: int, sel: Selection) -> Grid:
    """Count a selection's documents per (row code, column code); documents with a code of -1 are left out."""
    allowed = allowed_mask(sel)
    keep = allowed & (rows >= 0) & (cols >= 0)
    flat = rows[keep] * n_cols + cols[keep]
    size = n_rows * n_cols
    counts = sel.counts[keep]
    indexed = np.bincount(flat, minlength=size)
    mentions = np.bincount(flat, weights=counts > 0, minlength=size).astype(np.int64)
    paragraphs = np.bincount(flat, weights=counts, minlength=size).astype(np.int64)
    shape = (n_rows, n_cols)
    return Grid(mentions.reshape(shape), indexed.astype(np.int64).reshape(shape), paragraphs.reshape(shape))


# -- groups ----------------------------------------------------------------------------------------------
def groups(catalog: Catalog, by: str, allowed: np.ndarray) -> tuple[list[Group], np.ndarray]:
    """The groups of the allowed documents by facet `by`, and each document's group (-1: not allowed).

    Groups come in the facet's value order; reports without a value form one last group.
    """
    codes = catalog.codes[by]
    values = catalog.values[by]
    present = np.unique(codes[allowed])
    out: list[Group] = []
    index = np.full(len(values) + 1, -1, dtype=np.int64)
    for v in present.tolist():
        if v < 0:
            continue
        index[v] = len(out)
        out.append(Group(by, values[v], values[v], ((by, values[v]),), _context(catalog, by, codes == v)))
    if (present < 0).any():
        index[-1] = len(out)  # codes of -1 index the last slot
        out.append(_none_group(catalog, by, allowed & (codes < 0)))
    doc_group = np.where(allowed, index[codes], -1)
    return out, doc_group


def _context(catalog: Catalog, by: str, mask: np.ndarray) -> str:
    if by != "city":
        return ""
    provinces = {catalog.documents[i].province for i in np.flatnonzero(mask).tolist()}
    return provinces.pop() if len(provinces) == 1 else ""


def _none_group(catalog: Catalog, by: str, mask: np.ndarray) -> Group:
    tiers = {catalog.documents[i].tier for i in np.flatnonzero(mask).tolist()}
    if by == "province" and tiers == {NATIONAL_TIER}:
        # The State Council's reports: selected by their tier (a URL cannot ask for "no province").
        return Group(by, "", NATIONAL_LABEL, (("tier", NATIONAL_TIER),))
    return Group(by, "", f"（无{field_label(by)}）")


# -- years -----------------------------------------------------------------------------------------------
def year_ranges(filters: list[FilterValue]) -> list[tuple[int | None, int | None]]:
    """The (low, high) ranges the year filters ask for; empty without a year filter."""
    return [parse_year_range(f.raw) for f in filters if f.field == "year" and f.known]


def year_bounds(filters: list[FilterValue]) -> tuple[int | None, int | None] | None:
    """The span the year filters ask for (from the lowest to the highest year), or None without a year filter."""
    ranges = year_ranges(filters)
    if not ranges:
        return None
    lows = [lo for lo, _ in ranges]
    highs = [hi for _, hi in ranges]
    return (None if None in lows else min(lows)), (None if None in highs else max(highs))


def year_columns(
    sel: Selection, span: str = "mention", mentioned: np.ndarray | None = None
) -> tuple[list[Column], np.ndarray]:
    """The columns of years and each document's column (-1: not allowed).

    Every year from start to end is a column, whether or not a report is indexed for it. The range:
    - with a year filter, the filter's years (open ends bounded by the years indexed); of several
      filters (2015, 2020) only the years they choose, not the years between, which were filtered out;
    - `span="all"`: every year of the selection's reports;
    - `span="mention"` (default): from the first year a report of the selection mentions the query
      (`mentioned`, default the selection's matches) to the last year indexed; the years before are
      one column ("1954–2020年"), so that they read as "not said", with their denominator.
    Reports of an unknown year get a column of their own.
    """
    catalog = sel.catalog
    years = catalog.years
    allowed = allowed_mask(sel)
    known = allowed & (years > 0)
    column = np.full(len(catalog), -1, dtype=np.int64)
    columns: list[Column] = []
    if known.any():
        all_years = years[years > 0]
        first_indexed, last_indexed = int(years[known].min()), int(years[known].max())
        bounds = year_bounds(sel.filters)
        if bounds is not None:
            low, high = bounds
            start = max(int(all_years.min()), low if low is not None else first_indexed)
            end = min(int(all_years.max()), high if high is not None else last_indexed)
        else:
            start, end = first_indexed, last_indexed
            if span != "all":
                said = known & (mentioned if mentioned is not None else mentioned_mask(sel))
                if said.any():
                    start = int(years[said].min())
        start, end = min(start, end), max(start, end)
        shown = list(range(start, end + 1))
        if bounds is not None:
            # Years between two chosen ranges have no report because of the filter, not of the index:
            # a column of "—" there would read as missing coverage.
            ranges = year_ranges(sel.filters)
            shown = [y for y in shown if any((lo is None or y >= lo) and (hi is None or y <= hi) for lo, hi in ranges)]
        if (known & (years < start)).any():
            columns.append(Column("earlier", _span_label(first_indexed, start - 1), first_indexed, start - 1))
            column[known & (years < start)] = len(columns) - 1
        at = np.full(end - start + 1, -1, dtype=np.int64)  # year - start → column
        at[np.array(shown, dtype=np.int64) - start] = len(columns) + np.arange(len(shown))
        columns.extend(Column("year", str(y), y, y) for y in shown)
        inside = known & (years >= start) & (years <= end)
        column[inside] = at[years[inside] - start]  # every allowed report's year is shown: it passed the filter
        if (known & (years > end)).any():
            columns.append(Column("later", _span_label(end + 1, last_indexed), end + 1, last_indexed))
            column[known & (years > end)] = len(columns) - 1
    if (allowed & (years <= 0)).any():
        columns.append(Column("unknown", "年份不详"))
        column[allowed & (years <= 0)] = len(columns) - 1
    return columns, column


def _span_label(low: int, high: int) -> str:
    return f"{low}年" if low == high else f"{low}–{high}年"


# -- caches ----------------------------------------------------------------------------------------------
T = TypeVar("T")


class Lru:
    """A small thread-safe LRU of computed answers (per searcher and generation, by the caller's key)."""

    def __init__(self, size: int):
        self.size = size
        self.items: OrderedDict[Hashable, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], T]) -> T:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        value = make()  # outside the lock: two threads may compute the same answer once each
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


CACHES: list[Lru] = []


def cache(size: int) -> Lru:
    """A cache registered with `clear_caches`."""
    lru = Lru(size)
    CACHES.append(lru)
    return lru


def clear_caches() -> None:
    """Forget every computed answer of the views (benchmarks measure first answers this way)."""
    for lru in CACHES:
        lru.clear()


def selection_key(searcher: Searcher, sel: Selection) -> tuple:
    """What identifies a selection's matches within an engine's generation (paging and sorting aside)."""
    r = sel.request
    return (id(searcher), searcher.backend.generation(), r.q, r.mode, r.filters, r.doc)


def select(searcher: Searcher, request: Any) -> Selection:
    """`Searcher.select` on a request with the search's paging reset (the views page themselves)."""
    return searcher.select(replace(request, page=1, per_page=20))
