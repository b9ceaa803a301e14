"""report-search: full-text search over Chinese government reports.

The library never imports Flask. Its public API is engine-neutral: requests and results are plain
dataclasses (`search.models`); `open_index` returns a searcher with `search`, `iter_hits`,
`paragraph`, `document`, `facet_values` and `stats`.
"""

from .highlight import highlight, needles
from .indexer import IndexBusy, IndexSummary, build_index, default_index_dir
from .models import FACETS, SORTS, Document, FacetValue, Heading, Hit, Paragraph, QueryInfo, SearchRequest, SearchResult
from .normalize import normalize
from .query import parse_query
from .searcher import MAX_PER_PAGE, IndexUnavailable, InvalidRequest, Searcher, open_index, permalink
from .serialize import document_to_dict, result_to_dict

__all__ = [
    "FACETS", "MAX_PER_PAGE", "SORTS",
    "Document", "FacetValue", "Heading", "Hit", "IndexBusy", "IndexSummary", "IndexUnavailable", "InvalidRequest",
    "Paragraph", "QueryInfo", "SearchRequest", "SearchResult", "Searcher",
    "build_index", "default_index_dir", "document_to_dict", "highlight", "needles", "normalize",
    "open_index", "parse_query", "permalink", "result_to_dict",
]
