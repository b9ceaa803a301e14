"""report-search: full-text search over Chinese government reports.

Words used throughout: a *document* is one report with its metadata; a *paragraph* is a unit of text
a reader sees in it (title, front line, heading, body paragraph, table row, note), every one
searchable; a *row* is a paragraph's number inside one *generation* (one built index); a *facet* is a
document field counted in the sidebar, a *filter* restricts a search to some of its values.

The library never imports Flask. Its public API is engine-neutral: requests and results are plain
dataclasses (`search.models`); `open_index(location)` returns a `Searcher` over the engine the
location names (an embedded index folder, or a SphinxQL deployment).
"""

from __future__ import annotations

from pathlib import Path

from .backends import open_backend
from .backends.base import BackendError, IndexUnavailable
from .fields import FACETS, FIELDS, MODES, SORTS
from .indexer import IndexBusy, build_index, default_index_dir
from .models import (
    Document, DocumentView, FacetValue, FilterValue, Hit, IndexSummary, Paragraph, QueryInfo, ReportHit,
    ReportResult, SearchRequest, SearchResult, Suggestion,
)
from .normalize import normalize
from .query import parse_query
from .service import InvalidRequest, Searcher


def open_index(location: str | Path) -> Searcher:
    """A searcher over the index at `location`; raises IndexUnavailable with a clear message."""
    return Searcher(open_backend(location))


__all__ = [
    "FACETS", "FIELDS", "MODES", "SORTS",
    "BackendError", "Document", "DocumentView", "FacetValue", "FilterValue", "Hit", "IndexBusy", "IndexSummary",
    "IndexUnavailable", "InvalidRequest", "Paragraph", "QueryInfo", "ReportHit", "ReportResult", "SearchRequest",
    "SearchResult", "Searcher", "Suggestion",
    "build_index", "default_index_dir", "normalize", "open_index", "parse_query",
]
