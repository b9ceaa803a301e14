"""Newest and oldest across years, on the real collection (the sample's reports are all from 2024).

A phrase of nearly every report is paged to the end in both orders; the order is checked against the
documented rule (search.backends.base), computed here from each hit's document metadata: year, then
delivery date (a report without a date after the dated ones of its year), then document order (by
source path); the paragraphs of one report in reading order. Unknown years come last both ways.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from search import SearchRequest

from .conftest import LAWTEXT
from .oracle import _source_key

pytestmark = [pytest.mark.lawtext, pytest.mark.skipif(not LAWTEXT.exists(), reason="lawtext corpus not available")]

QUERY = "政府工作"  # in the title or text of nearly every report: every year, dated and undated ones


def _descending(text: str) -> str:
    """A string that sorts in the reverse order of `text` ("" still first, like any prefix)."""
    return "".join(chr(0x10FFFF - ord(c)) for c in text)


def _rule(hit, sort: str) -> tuple:
    """The documented position of a hit in `sort`, from its document's metadata and its ordinal."""
    d = hit.document
    year = d.year or 0
    sign = -1 if sort == "newest" else 1
    date = d.date or ""
    return (year == 0, sign * year, date == "", date if sign > 0 else _descending(date), _source_key(d.source), d.doc_id, hit.ordinal)


def _every_page(searcher, sort: str) -> tuple[list, int]:
    hits, page = [], 1
    while True:
        result = searcher.search(SearchRequest(q=QUERY, sort=sort, page=page, per_page=100))
        hits.extend(result.hits)
        if page >= result.pages:
            return hits, result.total
        page += 1


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_paging_to_the_end_follows_year_date_document_and_reading_order(lawtext_searcher, sort):
    hits, total = _every_page(lawtext_searcher, sort)
    assert len(hits) == total == len({h.id for h in hits}) > 5_000  # every hit once
    keys = [_rule(h, sort) for h in hits]
    assert keys == sorted(keys)
    # what makes the check mean something: many years, and years with both dated and undated reports
    years = [h.document.year for h in hits]
    assert len(set(years)) > 20 and (years[0] > years[-1] if sort == "newest" else years[0] < years[-1])
    dates: dict[int, set[str]] = defaultdict(set)
    for h in hits:
        dates[h.document.year].add(h.document.date or "")
    assert sum(1 for found in dates.values() if "" in found and len(found) > 1) > 20
    assert sum(1 for found in dates.values() if len(found - {""}) > 2) > 20  # dates ordered within a year
    assert len(hits) > len({h.doc_id for h in hits})  # reports with several paragraphs: reading order checked

