"""Trend: a table of places × years, each cell the reports mentioning the query among those indexed.

A cell with no report indexed has `indexed == 0` and no share: missing coverage, never "not said".
Rows are the values of a facet (`by`: province, level, tier, city) among the selection's reports,
most mentioning reports first; columns are every year of the range (see `common.year_columns`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import FilterValue, QueryInfo, SearchRequest
from ..service import Searcher, one_version
from .common import BYS, Cell, Column, Group, allowed_mask, grid, groups, select, year_columns


@dataclass
class TrendRow:
    """One place: a cell per column and the row's total."""

    group: Group
    cells: list[Cell]
    total: Cell


@dataclass
class Trend:
    """The place × year table of one request."""

    request: SearchRequest
    by: str
    span: str
    query: QueryInfo
    filters: list[FilterValue]
    columns: list[Column]
    rows: list[TrendRow]
    totals: list[Cell]  # per column, over every row
    total: Cell
    empty_query: bool = False  # no query text: every report "mentions" it
    notes: list[str] = field(default_factory=list)


@one_version
def trend(searcher: Searcher, request: SearchRequest, by: str = "province", span: str = "mention") -> Trend:
    """The table of `request` grouped by facet `by`; `span` picks the years (see `common.year_columns`)."""
    if by not in BYS:
        raise ValueError(f"by must be one of {BYS}, not {by!r}")
    sel = select(searcher, request)
    allowed = allowed_mask(sel)
    group_list, doc_group = groups(sel.catalog, by, allowed)
    columns, doc_column = year_columns(sel, span)
    g = grid(doc_group, len(group_list), doc_column, len(columns), sel)
    rows = [
        TrendRow(group, [g.cell(r, c) for c in range(len(columns))], g.row_total(r))
        for r, group in enumerate(group_list)
    ]
    # Most mentioning reports first, then most reports indexed, then the facet's own order.
    order = sorted(range(len(rows)), key=lambda r: (-rows[r].total.mentions, -rows[r].total.indexed, r))
    rows = [rows[r] for r in order]
    totals = [g.column_total(c) for c in range(len(columns))]
    return Trend(
        request, by, span, sel.interpretation.info, sel.filters, columns, rows, totals, g.total(),
        empty_query=sel.interpretation.tree is None,
    )


def cells_by_year(trend_: Trend) -> dict[int, Cell]:
    """The column totals of a trend keyed by year (one-year columns only)."""
    return {c.year: t for c, t in zip(trend_.columns, trend_.totals) if c.year is not None}


__all__ = ["Trend", "TrendRow", "trend", "cells_by_year"]
