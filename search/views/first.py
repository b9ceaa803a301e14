"""First appearance and spread: each place's earliest report mentioning the query, and the count of
places that had used it by each year.

"Earliest" is the first report in the `oldest` order every engine shares (`search.backends.base`):
by year, then by delivery date where stated (a dated report before an undated one of the same year,
whose place in that year is unknown), then document order. Each first use says whether its date or
only its year is known, and how many other reports of the same place mention the query that year
(when it is more than zero and a date is missing, which came first is not certain).

The spread counts places (the facet's values), not the reports without a value: by province, the
State Council's reports are listed as 全国 but not counted as a place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..models import Document, FilterValue, Hit, QueryInfo, SearchRequest
from ..service import Searcher, one_version
from .common import BYS, Group, allowed_mask, groups, mentioned_mask, select, year_columns


@dataclass
class FirstUse:
    """A place's earliest report mentioning the query, with its first matching paragraph."""

    group: Group
    document: Document
    hit: Hit | None  # the report's first matching paragraph in reading order (spans to mark)
    precision: str  # "date": the delivery date is known; "year": only the year; "none": neither
    reports: int  # reports of this place mentioning the query (under the filters)
    paragraphs: int  # their matching paragraphs
    same_year: int  # other reports of this place mentioning it in the same year
    counted: bool  # a place of the spread (False for reports without a value of the facet)

    @property
    def year(self) -> int | None:
        """The report's year."""
        return self.document.year or None

    @property
    def date(self) -> str:
        """The report's delivery date (ISO), or ""."""
        return self.document.date or ""


@dataclass
class SpreadPoint:
    """How many places had used the query by the end of a year, and which began that year."""

    year: int
    new: list[str]  # labels of the places whose first report is of this year
    total: int  # places whose first report is of this year or earlier


@dataclass
class FirstAppearance:
    """First uses in date order, the spread by year, and the places that never used the query."""

    request: SearchRequest
    by: str
    query: QueryInfo
    filters: list[FilterValue]
    firsts: list[FirstUse]
    spread: list[SpreadPoint]
    places: int  # places with at least one report in the selection
    silent: list[Group] = field(default_factory=list)  # places with reports, none mentioning the query
    empty_query: bool = False


@one_version
def first(searcher: Searcher, request: SearchRequest, by: str = "province") -> FirstAppearance:
    """Each place's earliest report mentioning `request`'s query (by `by`: province or city …)."""
    if by not in BYS:
        raise ValueError(f"by must be one of {BYS}, not {by!r}")
    sel = select(searcher, request)
    catalog = sel.catalog
    allowed = allowed_mask(sel)
    mentioned = mentioned_mask(sel)
    group_list, doc_group = groups(catalog, by, allowed)
    counts = sel.doc_counts
    oldest = catalog.ranks().oldest
    codes = np.flatnonzero(mentioned & (doc_group >= 0))
    codes = codes[np.argsort(oldest[codes], kind="stable")]
    n = len(group_list)
    reports = np.bincount(doc_group[codes], minlength=n)
    paragraphs = np.bincount(doc_group[codes], weights=counts[codes], minlength=n).astype(np.int64)
    # The first code of each group in the oldest order.
    seen_groups, first_index = np.unique(doc_group[codes], return_index=True)
    chosen = sorted(zip(first_index.tolist(), seen_groups.tolist()))
    years = catalog.years
    picks: list[tuple[int, int]] = []  # (doc code, group)
    for i, gi in chosen:
        group = group_list[gi]
        if by == "city" and not group.value:
            continue  # reports above the cities are not a city
        picks.append((int(codes[i]), gi))
    hits = _first_hits(searcher, sel, [code for code, _ in picks])
    firsts: list[FirstUse] = []
    for (code, gi), hit in zip(picks, hits):
        doc = catalog.documents[code]
        group = group_list[gi]
        year = int(years[code])
        same = int(((doc_group[codes] == gi) & (years[codes] == year)).sum()) - 1 if year > 0 else 0
        precision = "date" if doc.date and year > 0 else "year" if year > 0 else "none"
        firsts.append(FirstUse(group, doc, hit, precision, int(reports[gi]), int(paragraphs[gi]), same, bool(group.value)))
    places = [g for g in group_list if g.value]
    used = {f.group for f in firsts}
    silent = [g for g in places if g not in used]
    return FirstAppearance(
        request, by, sel.interpretation.info, sel.filters, firsts, _spread(sel, firsts), len(places), silent,
        empty_query=sel.interpretation.tree is None,
    )


def _first_hits(searcher: Searcher, sel, codes: list[int]) -> list[Hit | None]:
    """The first matching paragraph (reading order) of each document, fetched in one call."""
    tree = sel.interpretation.tree
    rows: list[int] = []
    where: list[int | None] = []
    only = np.zeros(len(sel.catalog), dtype=bool)
    for code in codes:
        only[code] = True
        found = searcher.backend.page(tree, only, "document", 0, 1)
        only[code] = False
        where.append(len(rows) if found else None)
        rows.extend(found[:1])
    fetched = searcher.hits(rows, sel.interpretation.needles) if rows else []
    return [fetched[i] if i is not None else None for i in where]


def _spread(sel, firsts: list[FirstUse]) -> list[SpreadPoint]:
    """Places by the year of their first report, cumulated, for every year up to the last one indexed."""
    dated = [f for f in firsts if f.counted and f.year]
    if not dated:
        return []
    columns, _ = year_columns(sel, "all")
    last = max((c.high for c in columns if c.high is not None), default=max(f.year for f in dated))
    start = min(f.year for f in dated)
    out: list[SpreadPoint] = []
    total = 0
    for year in range(start, max(last, start) + 1):
        new = [f.group.label for f in dated if f.year == year]
        total += len(new)
        out.append(SpreadPoint(year, new, total))
    return out
