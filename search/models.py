"""Plain data passed between the layers: documents in, requests and results out.

Nothing here knows about an engine or about Flask, so every backend produces the same objects and
every front end (web, CLI) reads them. Words used throughout (see also the package docstring):

- *document*: one report (or other text) with its metadata;
- *paragraph*: a unit of text a reader sees in a document — its title, a front line (delivery line,
  speaker), a heading, a body paragraph, a table row or a note. Every paragraph is searchable;
- *row*: a paragraph's number inside one index generation (never shown, never in a URL);
- *generation*: one built index (folder or cluster state); rows are only meaningful inside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

# What a paragraph is, in reading order of a typical report.
KINDS: tuple[str, ...] = ("title", "front", "heading", "paragraph", "row", "note")
# Cells of a table row are joined with this separator, so a phrase never runs from one cell into the next.
CELL_SEPARATOR = " │ "


@dataclass
class Paragraph:
    """One unit of text of a document, the unit of the index."""

    id: str  # stable: derived from the document id and the normalized text
    doc_id: str
    ordinal: int  # position in the document's reading order, from 0 (the title)
    text: str  # as it reads in the document (repaired, not normalized)
    section: tuple[str, ...] = ()  # headings above it, outermost first (a heading's own text is not included)
    kind: str = "paragraph"  # one of KINDS
    level: int = 0  # heading level: 1 = 一、, 2 = （一）, 3 = 1. …; 0 for other kinds


@dataclass
class Document:
    """One report (or other text) with its metadata and, when asked for, its paragraphs."""

    doc_id: str
    source: str  # path relative to the indexed folder, with "#k" for the k-th report of a file
    title: str = ""
    year: int | None = None  # the year whose work the report plans, in which it is delivered
    date: str = ""  # ISO yyyy-mm-dd of delivery where stated
    speaker: str = ""
    type: str = ""  # 政府工作报告, 新闻, 评论, 其他
    level: str = ""  # 国务院, 省, 自治区, 直辖市, 市, 区, 县, 旗, 镇, 乡, 街道 ...
    tier: str = ""  # 国家, 省级, 地级, 县级, 乡级
    province: str = ""
    city: str = ""
    county: str = ""
    url: str = ""  # where the text was published, if known
    paragraphs: list[Paragraph] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what ingest noticed: metadata conflicts, repairs (Chinese)

    def metadata(self) -> dict[str, Any]:
        """The document's fields without its paragraphs (asdict would deep-copy every paragraph first)."""
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), list) else v
                for f in fields(self) if f.name != "paragraphs"}

    def without_paragraphs(self) -> "Document":
        """A copy with metadata only."""
        return replace(self, paragraphs=[])

    @classmethod
    def from_metadata(cls, data: dict[str, Any]) -> "Document":
        """A document from a metadata dict (unknown keys ignored)."""
        names = {f.name for f in fields(cls)} - {"paragraphs"}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class SkippedFile:
    """A file (or report) not indexed, with the reason, reported instead of indexed."""

    path: str
    reason: str


@dataclass(frozen=True)
class SearchRequest:
    """What the user asked for, validated; frozen and hashable, so it is its own cache key.

    `filters` holds (facet, values) pairs as the user gave them ("江苏" is fine: the service resolves
    it to "江苏省"); values of one facet combine with OR, facets with AND. `doc` restricts the search
    to one document.
    """

    q: str = ""
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    mode: str = "exact"  # exact: each unquoted run is a phrase; words: all of its jieba words, anywhere
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    doc: str = ""

    @classmethod
    def make(cls, q: str = "", filters: dict[str, Any] | None = None, **kw: Any) -> "SearchRequest":
        """A request from a plain dict of filters (a value may be a string or a sequence of strings)."""
        pairs = []
        for name, values in (filters or {}).items():
            vals = (values,) if isinstance(values, str) else tuple(values)
            if vals:
                pairs.append((name, vals))
        return cls(q=q, filters=tuple(pairs), **kw)

    def filter_dict(self) -> dict[str, tuple[str, ...]]:
        """Filters as a dict."""
        return dict(self.filters)


@dataclass
class Hit:
    """One matching paragraph with its document's metadata and where the query matched (no HTML)."""

    id: str
    doc_id: str
    ordinal: int
    kind: str
    level: int
    text: str
    section: tuple[str, ...]
    spans: list[tuple[int, int]]  # [start, end) character ranges of `text` to mark
    document: Document  # metadata only

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (built field by field: asdict deep-copied the document of every hit)."""
        return {
            "id": self.id, "doc_id": self.doc_id, "ordinal": self.ordinal, "kind": self.kind, "level": self.level,
            "text": self.text, "section": list(self.section), "spans": [list(s) for s in self.spans],
            "document": self.document.metadata(),
        }


@dataclass
class FilterValue:
    """A filter the user asked for (URL parameter or typed in the box) and what it selects in this index."""

    field: str
    raw: str  # as given: "江苏", "2015-2020"
    values: tuple[str, ...]  # stored values it selects ("江苏省"); empty when nothing matches
    label: str  # how to show it: "江苏省", "2015–2020年"
    typed: bool = False  # written in the query box
    known: bool = True  # False: no report of this index has such a value


@dataclass
class FacetValue:
    """A value of a facet with its counts under the query and the other filters."""

    value: str
    count: int  # paragraphs
    documents: int  # reports
    selected: bool = False
    known: bool = True  # False: selected by the user but not a value of this index

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (dataclasses.asdict deep-copies: most of an API answer's time went there)."""
        return {"value": self.value, "count": self.count, "documents": self.documents, "selected": self.selected,
                "known": self.known}


@dataclass
class Suggestion:
    """Something to try instead, with what it would find."""

    kind: str  # words (the looser mode), part (the longest part that occurs), spelling (did you mean)
    q: str  # the query to run
    mode: str  # the mode to run it in
    count: int  # paragraphs it finds under the same filters
    text: str = ""  # what to show (the corrected or shortened phrase)


@dataclass
class TermInfo:
    """How one search term was read."""

    text: str  # normalized
    exact: bool  # matched as one string (True) or by its jieba words (False)
    words: list[str] = field(default_factory=list)  # jieba words, for words mode and for the explanation
    quoted: bool = False  # the user put it in quotes


@dataclass
class QueryInfo:
    """How the query string was read, for the user to see."""

    text: str  # the normalized query
    mode: str = "exact"
    terms: list[TermInfo] = field(default_factory=list)  # positive terms
    excluded: list[str] = field(default_factory=list)  # NOT terms
    operators: list[str] = field(default_factory=list)  # boolean operators used (AND/OR/NOT)
    structure: str = ""  # how the terms combine, when not simply all of them ("（“养老” 或 “托育”） 且 “服务”")
    filters: dict[str, list[str]] = field(default_factory=dict)  # field filters written in the query
    messages: list[str] = field(default_factory=list)  # what was ignored, repaired or not found (Chinese)
    loose: int | None = None  # words mode: paragraphs with all the words but not the exact string
    loose_documents: int | None = None
    suggestions: list[Suggestion] = field(default_factory=list)


@dataclass
class SearchResult:
    """A page of hits, the totals and the facet counts for one request."""

    request: SearchRequest
    total: int  # paragraphs
    documents: int  # reports
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    query: QueryInfo
    filters: list[FilterValue] = field(default_factory=list)  # every filter in effect, as resolved
    elapsed_ms: float = 0.0
    notes: list[str] = field(default_factory=list)  # limits applied, partial answers (Chinese)

    @property
    def pages(self) -> int:
        """Number of pages of `request.per_page` hits."""
        per = max(1, self.request.per_page)
        return max(1, (self.total + per - 1) // per)


@dataclass
class DocumentView:
    """A whole document, with where a query matches in it (for the document page)."""

    document: Document  # with its paragraphs
    spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # paragraph id → ranges to mark
    matches: list[str] = field(default_factory=list)  # ids of matching paragraphs, in reading order
    query: QueryInfo | None = None


@dataclass
class ReportHit:
    """A matching report: how many of its paragraphs match, and its best one."""

    document: Document
    count: int
    best: Hit


@dataclass
class ReportResult:
    """Matching reports of a request (the "按报告" view), a page of them, ordered by the request's sort."""

    request: SearchRequest
    total: int  # reports
    paragraphs: int
    reports: list[ReportHit]
    query: QueryInfo
    filters: list[FilterValue] = field(default_factory=list)
    elapsed_ms: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        """Number of pages of `request.per_page` reports."""
        per = max(1, self.request.per_page)
        return max(1, (self.total + per - 1) // per)


@dataclass
class Duplicate:
    """A report not indexed (or removed) because another copy of it is kept."""

    dropped: str  # source of the copy left out
    kept: str  # source of the copy indexed
    reason: str


@dataclass
class IndexSummary:
    """What an index run did, for the closing summary (CLI) and the status page."""

    index_dir: str
    generation: str = ""
    files: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    documents: int = 0  # documents in the index after the run
    paragraphs: int = 0
    characters: int = 0  # characters read in this run
    seconds: float = 0.0
    skipped: list[SkippedFile] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    conflicts: list[SkippedFile] = field(default_factory=list)  # (source, what ingest noticed) per report
    short_paragraphs: int = 0  # paragraphs under 8 characters in the documents the index holds after the run
    short_examples: list[tuple[str, int]] = field(default_factory=list)  # the most common, with counts
    segments: int = 0
