"""Compare terms: for each term, the share of reports mentioning it, by year and by place.

Each term is a query of its own, read in the request's mode under the request's filters; the
denominators are the reports indexed (the selection's reports, query aside), so shares of different
terms in one year compare directly. Raw counts (reports and paragraphs) go beside every share.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .. import settings
from ..models import FilterValue, QueryInfo, SearchRequest
from ..service import Searcher, one_version
from .common import Cell, Column, Group, allowed_mask, grid, groups, mentioned_mask, select, year_columns


@dataclass
class TermRow:
    """One term: a cell per year column, a cell per place, and its total."""

    term: str
    query: QueryInfo
    cells: list[Cell]
    places: list[Cell]
    total: Cell


@dataclass
class Comparison:
    """Terms × years and terms × places, over the same reports."""

    request: SearchRequest  # the shared filters and mode (its q is not used)
    by: str  # the facet of `groups`
    filters: list[FilterValue]
    columns: list[Column]
    groups: list[Group]
    terms: list[TermRow]
    indexed: list[int]  # reports indexed per column
    indexed_places: list[int]  # reports indexed per place


@one_version
def compare(searcher: Searcher, terms: list[str], request: SearchRequest, by: str = "province",
            span: str = "mention") -> Comparison:
    """Terms side by side over the reports `request`'s filters select (its q is ignored)."""
    limit = int(settings.get("compare_terms"))
    if not terms or len(terms) > limit:
        raise ValueError(f"between 1 and {limit} terms, not {len(terms)}")
    base = select(searcher, replace(request, q=""))
    allowed = allowed_mask(base)
    selections = [select(searcher, replace(request, q=t)) for t in terms]
    mentioned = np.zeros(len(base.catalog), dtype=bool)
    for sel in selections:
        mentioned |= mentioned_mask(sel)
    columns, doc_column = year_columns(base, span, mentioned)
    group_list, doc_group = groups(base.catalog, by, allowed)
    one = np.where(allowed, 0, -1)
    rows: list[TermRow] = []
    for term, sel in zip(terms, selections):
        years = grid(one, 1, doc_column, len(columns), sel)
        places = grid(doc_group, len(group_list), np.zeros_like(one), 1, sel)
        rows.append(TermRow(
            term, sel.interpretation.info, [years.cell(0, c) for c in range(len(columns))],
            [places.cell(r, 0) for r in range(len(group_list))], years.total(),
        ))
    counted = grid(one, 1, doc_column, len(columns), base)
    counted_places = grid(doc_group, len(group_list), np.zeros_like(one), 1, base)
    # Places with the most mentions over all terms first.
    weight = [sum(row.places[r].mentions for row in rows) for r in range(len(group_list))]
    order = sorted(range(len(group_list)), key=lambda r: (-weight[r], -int(counted_places.indexed[r, 0]), r))
    for row in rows:
        row.places = [row.places[r] for r in order]
    return Comparison(
        request, by, base.filters, columns, [group_list[r] for r in order], rows,
        [int(x) for x in counted.indexed[0]], [int(counted_places.indexed[r, 0]) for r in order],
    )
