"""Plain data passed between the layers: documents in, requests and results out.

Nothing here knows about Whoosh or Flask, so a second backend can produce the same objects.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# The facets every result carries counts for, in display order.
FACETS: tuple[str, ...] = ("province", "level", "tier", "year", "type")

SORTS: tuple[str, ...] = ("relevance", "newest", "oldest")


@dataclass
class Paragraph:
    """One body paragraph of a document, the unit of the index."""

    id: str
    doc_id: str
    ordinal: int  # position among the document's body paragraphs, from 0
    text: str  # as it reads in the document (repaired, not normalized)
    section: tuple[str, ...] = ()  # headings above it, outermost first


@dataclass
class Heading:
    """A heading line; kept so the document page can show the structure."""

    text: str
    level: int  # 1 = 一、, 2 = （一）, 3 = 1. ...
    before: int  # ordinal of the first paragraph that follows it


@dataclass
class Document:
    """One report (or other text) with its metadata and paragraphs."""

    doc_id: str
    source: str  # path relative to the indexed folder, with "#k" for the k-th report of a file
    title: str = ""
    year: int | None = None
    date: str = ""  # ISO yyyy-mm-dd where stated
    speaker: str = ""
    type: str = ""  # 政府工作报告, 新闻, 评论, 其他
    level: str = ""  # 国务院, 省, 自治区, 直辖市, 市, 区, 县, 旗, 镇, 乡, 街道 ...
    tier: str = ""  # 国家, 省级, 地级, 县级, 乡级
    province: str = ""
    city: str = ""
    county: str = ""
    url: str = ""  # where the text was published, if known
    paragraphs: list[Paragraph] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)

    def metadata(self) -> dict[str, Any]:
        """The document's fields without its paragraphs and headings."""
        data = asdict(self)
        data.pop("paragraphs")
        data.pop("headings")
        return data


@dataclass
class SkippedFile:
    """A file that could not be read, with the reason, reported instead of indexed."""

    path: str
    reason: str


@dataclass
class SearchRequest:
    """What the user asked for; built by the CLI or the web layer after validation."""

    q: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)  # facet → allowed values (OR)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    highlight: bool = True


@dataclass
class Hit:
    """One matching paragraph with its document's metadata and the highlighted text."""

    id: str
    doc_id: str
    title: str
    province: str
    city: str
    level: str
    tier: str
    year: int | None
    type: str
    section: str
    source: str
    text: str
    highlight: str
    url: str
    ordinal: int = 0
    score: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


@dataclass
class FacetValue:
    """A value of a facet with its count under the current query and the other filters."""

    value: str
    count: int
    selected: bool = False


@dataclass
class QueryInfo:
    """How the query string was read, for the user to see."""

    text: str  # the normalized query
    terms: list[str] = field(default_factory=list)  # positive search terms, normalized
    phrases: list[str] = field(default_factory=list)  # terms that ran as exact phrases
    segmentation: list[list[str]] = field(default_factory=list)  # jieba words per term
    filters: dict[str, list[str]] = field(default_factory=dict)  # field filters written in the query
    messages: list[str] = field(default_factory=list)  # what was ignored or repaired, in Chinese


@dataclass
class SearchResult:
    """A page of hits, the totals and the facet counts for one request."""

    request: SearchRequest
    total: int
    documents: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    query: QueryInfo
    elapsed_ms: float = 0.0

    @property
    def pages(self) -> int:
        """Number of pages of `request.per_page` hits."""
        per = max(1, self.request.per_page)
        return max(1, (self.total + per - 1) // per)
