"""Follow a search: the newest matching paragraphs, for an Atom feed.

Reports come newest first by their date — year, then delivery date where stated (a dated report
before an undated one of the same year), as the shared `newest` order — then by when the index
first saw them (`seen`, latest first, when recorded), then document order; the paragraphs of one
report in reading order. A feed reader keys entries by paragraph id (stable across rebuilds), so a
newly indexed report that uses the phrase shows up as new entries.
"""

from __future__ import annotations

from .. import settings

from dataclasses import dataclass, field

import numpy as np

from ..models import FilterValue, Hit, QueryInfo, SearchRequest
from ..service import Searcher, one_version
from .common import mentioned_mask, select
from .seen import first_seen

ENTRIES = int(settings.get("feed_entries"))


@dataclass
class FeedEntry:
    """A matching paragraph with the times a feed needs."""

    hit: Hit  # with spans to mark
    published: str  # the report's delivery date, or 1 January of its year when only the year is known; "" unknown
    precision: str  # "date", "year" or "none"
    seen: str  # when the index first saw the report (ISO 8601, UTC), "" when not recorded

    @property
    def updated(self) -> str:
        """The entry's time for a feed: first seen if recorded, else the report's date."""
        if self.seen:
            return self.seen
        return f"{self.published}T00:00:00Z" if self.published else ""


@dataclass
class Feed:
    """The newest matching paragraphs of a request."""

    request: SearchRequest
    query: QueryInfo
    filters: list[FilterValue]
    entries: list[FeedEntry]
    total: int  # matching paragraphs (under the filters)
    reports: int
    seen_recorded: bool  # whether the index records first-seen times
    notes: list[str] = field(default_factory=list)

    @property
    def updated(self) -> str:
        """The latest entry time ("" without entries)."""
        return max((e.updated for e in self.entries), default="")


def _published(year: int, date: str) -> tuple[str, str]:
    if date and year:
        return date, "date"
    if year:
        return f"{year:04d}-01-01", "year"
    return "", "none"


@one_version
def feed(searcher: Searcher, request: SearchRequest, limit: int = ENTRIES) -> Feed:
    """The newest `limit` matching paragraphs of `request` (its page and sort are not used)."""
    sel = select(searcher, request)
    catalog = sel.catalog
    counts = sel.doc_counts
    seen = first_seen(searcher)
    codes = np.flatnonzero(mentioned_mask(sel)).tolist()

    def key(code: int) -> tuple:
        doc = catalog.documents[code]
        year, date = int(doc.year or 0), doc.date or ""
        stamp = seen.get(doc.doc_id, "")
        return (year == 0, -year, date == "", _Desc(date), stamp == "", _Desc(stamp), code)

    codes.sort(key=key)
    chosen: list[int] = []
    need = 0
    for code in codes:
        if need >= limit:
            break
        chosen.append(code)
        need += int(counts[code])
    entries: list[FeedEntry] = []
    if chosen:
        mask = np.zeros(len(catalog), dtype=bool)
        mask[chosen] = True
        rows = searcher.backend.page(sel.interpretation.tree, mask, "document", 0, need)
        by_doc: dict[str, list[Hit]] = {}
        for hit in searcher.hits(rows, sel.interpretation.needles):
            by_doc.setdefault(hit.doc_id, []).append(hit)
        for code in chosen:
            doc = catalog.documents[code]
            published, precision = _published(int(doc.year or 0), doc.date or "")
            for hit in by_doc.get(doc.doc_id, []):
                entries.append(FeedEntry(hit, published, precision, seen.get(doc.doc_id, "")))
    return Feed(
        sel.request, sel.interpretation.info, sel.filters, entries[:limit], int(counts.sum()), len(codes),
        seen_recorded=bool(seen),
    )


class _Desc:
    """A string compared in descending order."""

    __slots__ = ("value",)

    def __init__(self, value: str):
        self.value = value

    def __lt__(self, other: "_Desc") -> bool:
        return self.value > other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.value == other.value
