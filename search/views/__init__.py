"""Research views: who said it first, where, how often, in what words — computed from the service.

Every view takes a `SearchRequest` (the same query, exact/words mode and filters as a search) and
answers from `Searcher.select` (per-document counts and resolved filters), the catalog's per-document
arrays and, where text is needed, hits streamed from the engine. Nothing here reads index files, so
the views answer the same on every engine. They return plain dataclasses: no HTML, no URLs — the web
layer (`web/research.py`) adds links and marks.

Reports are the primary unit (a report *mentions* a query when at least one of its paragraphs
matches); paragraph counts go alongside. A report's year is the year whose work it plans; its date
is the delivery date where the source states it.

- `trend`: reports mentioning / reports indexed, per place (province, level, tier, city) and year;
- `first`: each place's earliest report mentioning the query, and how the places added up by year;
- `kwic`: every occurrence with its left and right context, and the words next to it (collocates);
- `compare`: several terms side by side, share of reports by year and by province;
- `feed`: the newest matching paragraphs, for an Atom feed (with `seen`, when the index first saw a report).
"""

from __future__ import annotations

from .common import BYS, Cell, Column, Group, clear_caches
from .compare import Comparison, TermRow, compare
from .feed import Feed, FeedEntry, feed
from .first import FirstAppearance, FirstUse, SpreadPoint, first
from .kwic import UNITS, Collocate, Concordance, Line, concordance, iter_lines
from .trend import Trend, TrendRow, trend

__all__ = [
    "BYS", "UNITS",
    "Cell", "Collocate", "Column", "Comparison", "Concordance", "Feed", "FeedEntry", "FirstAppearance", "FirstUse",
    "Group", "Line", "SpreadPoint", "TermRow", "Trend", "TrendRow",
    "clear_caches", "compare", "concordance", "feed", "first", "iter_lines", "trend",
]
