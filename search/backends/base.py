"""The interface every search engine implements, and the rules all of them share.

An engine (the embedded index, a SphinxQL cluster) answers a few primitive questions about one
generation of an index; everything else — parsing, exact/words mode, the rule that each facet is
counted under the other filters, highlight spans, hits, caches — lives in `search.service` and is
written once.

Matching. A match tree has `Phrase` leaves combined with `And`, `Or`, `Not` (from `search.query`).
A paragraph matches a phrase when its normalized text contains the phrase's (normalized) text:
exact substring semantics, punctuation, digits, Latin letters and single characters included. The
tree `None` matches every paragraph. `Not` is the complement within all paragraphs.

Orders. Every order is a total order on paragraphs, computed from integer keys each engine stores
(`order_keys` computes them; engines never invent their own):
- "relevance": paragraphs whose text is about the query first — a document title before a heading
  before everything else (`kind_rank`), then shorter paragraphs before longer ones (the query is a
  larger part of them), then newest first. (Within words mode the service puts paragraphs holding
  the whole term before those holding its words apart.)
- "newest": documents by year (descending), then delivery date (descending, unknown last), then
  document order; paragraphs of one document in reading order.
- "oldest": likewise ascending (unknown years and dates last).
- "document": documents by source path, paragraphs in reading order.
Ties are impossible: the last key of every order is unique per paragraph.

Documents are numbered 0…n-1 in document order ("doc codes"); `documents()` returns them in that
order and every per-document array uses those numbers. Rows are an engine's own paragraph numbers,
valid within one generation only.

Counts under filters. `doc_counts` (matching paragraphs per report) is the primitive every engine
answers; the service turns it into totals and facets with the catalog. An engine that can answer
totals, facets and report pages itself (the SphinxQL cluster: facet fields as attributes) sets
`native_counts` and overrides `summary`, `facet_counts`, `tally` and `report_page`; the defaults here
compute exactly what the service computes from `doc_counts` and the catalog, so the answers are the
same either way. Their filters are a `Filters`: facet fields by stored value (values of one field OR,
fields AND) and a document mask for what is not a facet field (county, title, one report).
"""

from __future__ import annotations

import contextlib
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..models import Document
from ..query import And, Not, Or

ORDERS: tuple[str, ...] = ("relevance", "newest", "oldest", "document")
# Title first, then headings, then the rest: the relevance order's first key.
KIND_RANK: dict[str, int] = {"title": 0, "heading": 1}
OTHER_KIND_RANK = 2


@dataclass(frozen=True)
class Phrase:
    """A leaf of a match tree: this normalized string occurs in the paragraph."""

    text: str


MatchNode = Phrase | And | Or | Not


@dataclass
class Unit:
    """A paragraph as an engine returns it."""

    row: int
    id: str
    doc: int  # doc code
    ordinal: int
    kind: str
    level: int
    text: str  # as the reader sees it
    section: tuple[str, ...] = ()


@dataclass
class Filters:
    """What a search is restricted to, in the form an engine can answer natively.

    `fields`: facet field → the stored values it allows (values of one field OR, fields AND; an empty
    tuple allows nothing). `docs`: a bool mask by doc code for the restrictions that are not facet
    fields (county and title — "the report's text contains the value" — and one report), None for all.
    """

    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    docs: np.ndarray | None = None

    def without(self, name: str) -> Filters:
        """The same filters without field `name` (a facet is counted under the other filters)."""
        return Filters({k: v for k, v in self.fields.items() if k != name}, self.docs)


@dataclass
class Tally:
    """Totals and facet counts of one search: matching paragraphs and reports, and per facet value both."""

    paragraphs: int
    reports: int
    facets: dict[str, dict[str, tuple[int, int]]]  # facet → value → (paragraphs, reports), values with matches


class BackendError(RuntimeError):
    """The engine could not answer (a shard down, a timeout); `message` says which, in Chinese."""

    def __init__(self, message: str, partial: bool = False):
        super().__init__(message)
        self.message = message
        self.partial = partial


class IndexUnavailable(BackendError):
    """The index is missing, empty, from another version, unsigned or unreadable; say so and stop."""


class PerThread:
    """A value one thread keeps for the length of a `with hold(...)` (re-entrant): what a pinned request answers from."""

    def __init__(self) -> None:
        self._local = threading.local()

    @property
    def value(self) -> Any:
        """The value this thread holds, or None."""
        return getattr(self._local, "value", None)

    @contextlib.contextmanager
    def hold(self, get: Callable[[], Any]) -> Iterator[None]:
        """Hold `get()` for the block, unless this thread already holds a value."""
        if self.value is not None:
            yield
            return
        self._local.value = get()
        try:
            yield
        finally:
            self._local.value = None


class Backend(ABC):
    """One search engine over one index; safe to share between threads."""

    name: str = ""
    # True: summary, facet_counts, tally and report_page are the engine's own (the service uses them
    # instead of doc_counts); the defaults below compute the same from doc_counts and the catalog.
    native_counts: bool = False

    @abstractmethod
    def generation(self) -> str:
        """Identity of the data being answered from; changes when the index changes (a cache key)."""

    @abstractmethod
    def documents(self) -> list[Document]:
        """Metadata of every document, in doc-code order (document order)."""

    @abstractmethod
    def doc_counts(self, tree: MatchNode | None) -> np.ndarray:
        """Per doc code, the number of its paragraphs matching `tree` (int64 array of len(documents()))."""

    @abstractmethod
    def page(
        self, tree: MatchNode | None, docs: np.ndarray | Filters | None, order: str, offset: int, limit: int
    ) -> list[int]:
        """Rows of the matching paragraphs of the allowed documents, in `order`.

        `docs`: a bool mask by doc code, `Filters`, or None for every document.
        """

    @abstractmethod
    def iter_rows(
        self, tree: MatchNode | None, docs: np.ndarray | Filters | None, order: str, batch: int = 1000
    ) -> Iterator[list[int]]:
        """Every matching row in `order`, in batches (exports); must not hold locks between batches."""

    @abstractmethod
    def fetch(self, rows: Sequence[int]) -> list[Unit]:
        """The paragraphs of these rows, in the same order."""

    @abstractmethod
    def document_units(self, doc: int) -> list[Unit]:
        """Every paragraph of a document in reading order."""

    @abstractmethod
    def find(self, paragraph_id: str) -> Unit | None:
        """A paragraph by its stable id, or None."""

    # -- counts under filters (defaults: from doc_counts and the catalog, as the service computes them) --
    def catalog(self):  # noqa: ANN201 - a search.catalog.Catalog (imported lazily: it imports this module)
        """The catalog of the current (pinned) generation's documents, built once per generation."""
        from ..catalog import Catalog

        gen = self.generation()
        cached = getattr(self, "_base_catalog", None)
        if cached is None or cached[0] != gen:
            cached = (gen, Catalog.of(self.documents()))
            self._base_catalog = cached
        return cached[1]

    def mask_of(self, docs: np.ndarray | Filters | None) -> np.ndarray | None:
        """The documents a mask or `Filters` allows, as a bool mask by doc code (None: all)."""
        if not isinstance(docs, Filters):
            return docs
        catalog = self.catalog()
        out = None if docs.docs is None else np.asarray(docs.docs, dtype=bool).copy()
        for name, values in docs.fields.items():
            index = {v: i for i, v in enumerate(catalog.values[name])}
            chosen = np.zeros(len(catalog.values[name]) + 1, dtype=bool)  # last slot: code -1 (no value)
            chosen[[index[v] for v in values if v in index]] = True
            m = chosen[catalog.codes[name]]
            out = m if out is None else out & m
        return out

    def summary(self, tree: MatchNode | None, filters: Filters) -> tuple[int, int]:
        """(matching paragraphs, matching reports) in the documents `filters` allows."""
        return summary_of(_filtered(self.doc_counts(tree), self.mask_of(filters)))

    def facet_counts(self, tree: MatchNode | None, filters: Filters, name: str) -> dict[str, tuple[int, int]]:
        """Value → (matching paragraphs, matching reports) of facet `name` under `filters` (values with matches)."""
        return facet_counts_of(self.catalog(), name, _filtered(self.doc_counts(tree), self.mask_of(filters)))

    def tally(self, tree: MatchNode | None, filters: Filters, facets: Mapping[str, Filters]) -> Tally:
        """The summary under `filters` and each facet under its own filters (usually the others) at once."""
        return tally_of(self, self.doc_counts(tree), filters, facets)

    def report_page(
        self, tree: MatchNode | None, filters: Filters, sort: str, offset: int, limit: int
    ) -> tuple[int, int, list[tuple[int, int]]]:
        """(matching paragraphs, matching reports, [(doc code, its matching paragraphs)] of one page of reports).

        "relevance": most matching paragraphs first, then newest; "newest"/"oldest": by the documents'
        newest/oldest rank.
        """
        return report_page_of(self.catalog(), _filtered(self.doc_counts(tree), self.mask_of(filters)), sort, offset, limit)

    def norm_texts(self, rows: Sequence[int]) -> list[tuple[int, str]]:
        """(doc code, normalized text) of rows, for scans over many matches (a concordance)."""
        from ..normalize import normalize

        return [(u.doc, normalize(u.text)) for u in self.fetch(rows)]

    def count_phrases(self, phrases: Sequence[str]) -> list[int]:
        """How many paragraphs contain each string (for suggestions); engines may batch this."""
        return [int(self.doc_counts(Phrase(p)).sum()) for p in phrases]

    def bigram_counts(self, pairs: Sequence[str]) -> list[int]:
        """Paragraphs holding each two-character string (an engine with a cheaper table overrides this)."""
        return self.count_phrases(pairs)

    def stats(self) -> dict:
        """Engine-specific figures for the status page (sizes, shards …)."""
        return {}

    def side_path(self, name: str) -> Path | None:
        """A folder of engine-neutral data kept beside this generation (e.g. "reuse"), or None when absent."""
        return None

    def clear_cache(self) -> None:
        """Forget cached match results (benchmarks measure cold answers)."""

    @contextlib.contextmanager
    def pin(self) -> Iterator[None]:
        """Answer every call inside from one version of the index (re-entrant; a no-op by default)."""
        yield

    def close(self) -> None:
        """Release files, sockets and processes."""


def _filtered(counts: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
    return counts if allowed is None else np.where(allowed, counts, 0)


def summary_of(matched: np.ndarray) -> tuple[int, int]:
    """(paragraphs, reports) from per-document matching paragraphs (after the filters)."""
    return int(matched.sum()), int((matched > 0).sum())


def facet_counts_of(catalog, name: str, matched: np.ndarray) -> dict[str, tuple[int, int]]:  # noqa: ANN001
    """Value → (paragraphs, reports) of a facet from per-document matching paragraphs (after the filters)."""
    codes = catalog.codes[name]
    n = len(catalog.values[name])
    present = codes >= 0
    paragraphs = np.bincount(codes[present], weights=matched[present], minlength=n).astype(np.int64)
    reports = np.bincount(codes[present], weights=(matched[present] > 0), minlength=n).astype(np.int64)
    return {v: (int(paragraphs[i]), int(reports[i])) for i, v in enumerate(catalog.values[name]) if paragraphs[i]}


def tally_of(backend: Backend, counts: np.ndarray, filters: Filters, facets: Mapping[str, Filters]) -> Tally:
    """`Backend.tally` from per-document matching paragraphs (before the filters)."""
    catalog = backend.catalog()
    paragraphs, reports = summary_of(_filtered(counts, backend.mask_of(filters)))
    return Tally(paragraphs, reports, {
        name: facet_counts_of(catalog, name, _filtered(counts, backend.mask_of(f))) for name, f in facets.items()
    })


def report_page_of(
    catalog, matched: np.ndarray, sort: str, offset: int, limit: int,  # noqa: ANN001
) -> tuple[int, int, list[tuple[int, int]]]:
    """`Backend.report_page` from per-document matching paragraphs (after the filters)."""
    codes = np.flatnonzero(matched > 0)
    ranks = catalog.ranks()
    if sort == "relevance":  # most matching paragraphs first, then newest
        codes = codes[np.lexsort((ranks.newest[codes], -matched[codes]))]
    else:
        order = ranks.newest if sort == "newest" else ranks.oldest
        codes = codes[np.argsort(order[codes], kind="stable")]
    page = [(int(c), int(matched[c])) for c in codes[offset:offset + limit]]
    return int(matched.sum()), int(codes.size), page


def paragraph_id(doc_id: str, digest: int, dup: int) -> str:
    """A paragraph's stable id from its parts: "<doc id>-<8 hex digits>" and "-<n>" for the n-th repeat."""
    return f"{doc_id}-{digest:08x}" + (f"-{dup}" if dup > 1 else "")


def parse_paragraph_id(paragraph_id: str) -> tuple[str, int, int] | None:
    """(doc id, 32-bit digest, repeat number) of a paragraph id, or None when it is not one."""
    doc_id, _, rest = paragraph_id.partition("-")
    digest, _, dup = rest.partition("-")
    if not doc_id or len(digest) != 8 or (dup and not (dup.isascii() and dup.isdigit())):
        return None
    try:
        value = int(digest, 16)
    except ValueError:
        return None
    return doc_id, value, int(dup) if dup else 1


def _source_key(source: str) -> tuple:
    """Sort "file#2" before "file#10", and "dir/x" as a path."""
    path, _, part = source.partition("#")
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", path)), int(part) if part.isdigit() else 0


def document_order(documents: Sequence[Document]) -> list[int]:
    """Indices of `documents` in document order (by source path, numbers in paths compared as numbers)."""
    return sorted(range(len(documents)), key=lambda i: (_source_key(documents[i].source), documents[i].doc_id))


@dataclass
class DocRanks:
    """Per doc code: its rank in the newest and oldest orders."""

    newest: np.ndarray
    oldest: np.ndarray


def doc_ranks(documents: Sequence[Document]) -> DocRanks:
    """Newest/oldest rank of each document (documents given in doc-code order)."""
    n = len(documents)

    def key(i: int, sign: int) -> tuple:
        d = documents[i]
        year = d.year or 0
        # unknown year and unknown date sort last in both directions
        date = d.date or ""
        return (year == 0, sign * year, date == "", _DateKey(date, sign), i)

    newest = np.empty(n, dtype=np.int64)
    oldest = np.empty(n, dtype=np.int64)
    newest[sorted(range(n), key=lambda i: key(i, -1))] = np.arange(n)
    oldest[sorted(range(n), key=lambda i: key(i, 1))] = np.arange(n)
    return DocRanks(newest, oldest)


class _DateKey:
    """A date string compared ascending (sign 1) or descending (sign -1)."""

    __slots__ = ("date", "sign")

    def __init__(self, date: str, sign: int):
        self.date, self.sign = date, sign

    def __lt__(self, other: _DateKey) -> bool:
        return self.date < other.date if self.sign > 0 else self.date > other.date

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _DateKey) and self.date == other.date


# A row key packs (primary, secondary, ordinal) into one int64; the bit budgets below hold 16 million
# documents, paragraphs of 1 million characters and 4,000 paragraphs per document, with room to spare.
_ORD_BITS = 20
_LEN_BITS = 24


def order_keys(
    kind: np.ndarray, length: np.ndarray, doc: np.ndarray, ordinal: np.ndarray, ranks: DocRanks
) -> dict[str, np.ndarray]:
    """Per row, an int64 key for each order (smaller first), from per-row kind rank, length, doc code, ordinal."""
    doc = doc.astype(np.int64)
    ordinal = np.minimum(ordinal.astype(np.int64), (1 << _ORD_BITS) - 1)
    newest_row = (ranks.newest[doc] << _ORD_BITS) | ordinal
    oldest_row = (ranks.oldest[doc] << _ORD_BITS) | ordinal
    document_row = (doc << _ORD_BITS) | ordinal
    length = np.minimum(length.astype(np.int64), (1 << _LEN_BITS) - 1)
    # relevance = (kind rank, length, newest): the newest part needs the row's position in the newest order
    position = np.empty(doc.size, dtype=np.int64)
    position[np.argsort(newest_row, kind="stable")] = np.arange(doc.size)
    relevance = (kind.astype(np.int64) << 58) | (length << 34) | position
    return {"relevance": relevance, "newest": newest_row, "oldest": oldest_row, "document": document_row}


def kind_ranks(kinds: Sequence[str]) -> np.ndarray:
    """The relevance order's first key for each kind name."""
    return np.fromiter((KIND_RANK.get(k, OTHER_KIND_RANK) for k in kinds), dtype=np.int8, count=len(kinds))


def phrases_of(tree: MatchNode | None) -> list[str]:
    """Every phrase of a tree (positive or not), in order, without repeats."""
    out: list[str] = []

    def walk(node: MatchNode | None) -> None:
        if node is None:
            return
        if isinstance(node, Phrase):
            out.append(node.text)
        elif isinstance(node, Not):
            walk(node.child)
        else:
            for child in node.children:
                walk(child)

    walk(tree)
    return list(dict.fromkeys(out))
