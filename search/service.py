"""The search service: what every engine shares, written once.

`Searcher` validates a request, answers it from a per-generation cache when it can, parses and
interprets the query (exact or words mode), resolves filters, asks the engine for per-document match
counts and a page of rows, applies the rule that each facet is counted under the other filters,
counts reports as well as paragraphs, builds hits with the ranges to mark, and says how the query
was read and what to try when it finds little. Engines implement `search.backends.base.Backend`.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from . import settings
from .backends.base import Backend, Filters, MatchNode, Phrase, Unit
from .catalog import Catalog, field_label
from .fields import BY_NAME, FACETS, MODES, SORTS
from .highlight import spans
from .interpret import Interpretation, exclude, interpret
from .models import (
    Document, DocumentView, FilterValue, Hit, Paragraph, ReportHit, ReportResult, SearchRequest, SearchResult,
    Suggestion,
)
from .query import parse_query
from .suggest import longest_part, spelling

# Exact finds fewer than this share of what the words find: offer the words and what exists.
FEW_SHARE = 0.25


class InvalidRequest(ValueError):
    """A request no reading can fix (page 0, 10⁶ per page); `param` names the parameter."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param
        self.message = message


_OTHER_QUOTES = str.maketrans({"'": '"', '"': "'"})  # the normalized quotation marks, one kind for the other


def _one_report(catalog: Catalog, doc_id: str | None) -> np.ndarray | None:
    """The mask of one report (all False when the index has no such report); None without `doc_id`."""
    if not doc_id:
        return None
    only = np.zeros(len(catalog), dtype=bool)
    code = catalog.by_id.get(doc_id)
    if code is not None:
        only[code] = True
    return only


def _and(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    """Both document masks (None: no restriction)."""
    return b if a is None else a if b is None else a & b


def one_version(method: Any) -> Any:
    """Run a function of a Searcher (its first argument) on one version of the index.

    Its calls must not straddle a swap: row numbers of one generation mean other paragraphs in the next.
    """
    @functools.wraps(method)
    def pinned(searcher: "Searcher", *args: Any, **kwargs: Any) -> Any:
        with searcher.backend.pin():
            return method(searcher, *args, **kwargs)
    return pinned


class _Lru:
    def __init__(self, size: int):
        self.size = size
        self.items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: Any, value: Any) -> Any:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value


@dataclasses.dataclass
class _State:
    """What is computed once per generation."""

    generation: str
    catalog: Catalog
    answers: _Lru
    counts: _Lru


@dataclasses.dataclass
class Selection:
    """A request made ready for an engine: trees, resolved filters and per-document counts."""

    request: SearchRequest
    interpretation: Interpretation
    filters: list[FilterValue]
    allowed: np.ndarray | None  # documents passing every filter (None: all)
    counts: np.ndarray | None  # per document: matching paragraphs (before filters); None: not asked
    catalog: Catalog
    native: Filters | None = None  # the filters as an engine answers them natively (see Backend.native_counts)

    @property
    def doc_counts(self) -> np.ndarray:
        """Per document: matching paragraphs after the filters."""
        return self.counts if self.allowed is None else np.where(self.allowed, self.counts, 0)


class Searcher:
    """Answers requests over one engine; safe to share between threads."""

    def __init__(self, backend: Backend):
        self.backend = backend
        self._state: _State | None = None
        self._lock = threading.Lock()
        self._state_now()

    # -- per generation ------------------------------------------------------------------------------
    def _state_now(self) -> _State:
        generation = self.backend.generation()
        state = self._state
        if state is not None and state.generation == generation:
            return state
        with self._lock:
            if self._state is None or self._state.generation != generation:
                self._state = _State(
                    generation, Catalog.of(self.backend.documents()),
                    _Lru(int(settings.get("answer_cache"))), _Lru(int(settings.get("count_cache"))),
                )
            return self._state

    def clear_caches(self) -> None:
        """Forget cached answers and counts (benchmarks measure cold answers with it)."""
        state = self._state_now()
        state.answers.items.clear()
        state.counts.items.clear()
        self.backend.clear_cache()

    def catalog(self) -> Catalog:
        """The current generation's documents and facet arrays."""
        return self._state_now().catalog

    def counts(self, tree: MatchNode | None) -> np.ndarray:
        """Per document, paragraphs matching a tree (cached per generation)."""
        state = self._state_now()
        cached = state.counts.get(tree)
        if cached is None:
            cached = state.counts.put(tree, self.backend.doc_counts(tree))
        return cached

    # -- requests ------------------------------------------------------------------------------------
    def validate(self, request: SearchRequest) -> None:
        """Raise InvalidRequest for what no reading can fix."""
        if request.page < 1 or request.page > settings.get("max_page"):
            raise InvalidRequest("page", f"页码必须在 1 到 {settings.get('max_page')} 之间")
        if not 1 <= request.per_page <= settings.get("max_per_page"):
            raise InvalidRequest("per_page", f"每页条数必须在 1 到 {settings.get('max_per_page')} 之间")
        if request.sort not in SORTS:
            raise InvalidRequest("sort", f"未知的排序方式：{request.sort}")
        if request.mode not in MODES:
            raise InvalidRequest("mode", f"未知的检索方式：{request.mode}")
        for name, values in request.filters:
            if name not in BY_NAME:
                raise InvalidRequest(name, f"未知的筛选项：{name}")
            if len(values) > settings.get("max_facet_values"):
                raise InvalidRequest(name, f"{field_label(name)}最多选择 {settings.get('max_facet_values')} 个")

    @one_version
    def select(self, request: SearchRequest) -> Selection:
        """Interpret a request and count its matches per document (the primitive every view uses)."""
        return self._select(request, counts=True)

    def _select(self, request: SearchRequest, counts: bool) -> Selection:
        """`select`; counts=False leaves out the per-document counts (the engine counts under the filters itself)."""
        self.validate(request)
        catalog = self.catalog()
        parsed = parse_query(request.q)
        interp = interpret(parsed, request.mode)
        filters: list[FilterValue] = []
        for name, values in request.filters:
            filters.extend(catalog.resolve(name, v) for v in values)
        filters.extend(catalog.resolve(name, v, typed=True) for name, v in parsed.filters)
        for flt in filters:
            if not flt.known:
                what = field_label(flt.field)
                interp.info.messages.append(f"本索引中没有{what}为“{flt.raw}”的报告，这一筛选找不到结果；可以移除它")
            elif flt.field in FACETS and flt.field != "year" and flt.values != (flt.raw,):
                interp.info.messages.append(f"{field_label(flt.field)}“{flt.raw}”按“{flt.label}”筛选")
        allowed = _and(catalog.allowed(filters), _one_report(catalog, request.doc))
        native = self._native_filters(catalog, request, filters) if self.backend.native_counts else None
        return Selection(request, interp, filters, allowed, self.counts(interp.tree) if counts else None, catalog, native)

    @staticmethod
    def _native_filters(catalog: Catalog, request: SearchRequest, filters: Sequence[FilterValue]) -> Filters:
        """Facet filters as field → stored values; county, title and one report as a document mask."""
        fields: dict[str, list[str]] = {}
        for flt in filters:
            if flt.field in FACETS:
                fields.setdefault(flt.field, []).extend(flt.values)
        docs = _and(catalog.allowed([f for f in filters if f.field not in FACETS]), _one_report(catalog, request.doc))
        return Filters({k: tuple(dict.fromkeys(v)) for k, v in fields.items()}, docs)

    @property
    def _native(self) -> bool:
        return bool(self.backend.native_counts)

    @staticmethod
    def _docs(sel: Selection) -> np.ndarray | Filters | None:
        """What the engine's page is restricted to: the native filters, else the document mask."""
        return sel.native if sel.native is not None else sel.allowed

    def _summary(self, sel: Selection, tree: MatchNode | None) -> tuple[int, int]:
        """(paragraphs, reports) matching `tree` under the selection's filters."""
        if sel.native is not None:
            return self.backend.summary(tree, sel.native)
        counts = self.counts(tree)
        matched = counts if sel.allowed is None else np.where(sel.allowed, counts, 0)
        return int(matched.sum()), int((matched > 0).sum())

    @one_version
    def search(self, request: SearchRequest) -> SearchResult:
        """Total, reports, a page of hits, facet counts under the other filters, and how the query was read."""
        started = time.perf_counter()
        self.validate(request)
        state = self._state_now()
        cached = state.answers.get(request)
        if cached is not None:
            return dataclasses.replace(cached, elapsed_ms=(time.perf_counter() - started) * 1000)
        sel = self._select(request, counts=not self._native)
        interp, catalog = sel.interpretation, sel.catalog
        facets = {}
        if sel.native is not None:
            # the engine counts: each facet under the other filters (inside one document, under all of them)
            tally = self.backend.tally(interp.tree, sel.native, {
                name: sel.native if request.doc else sel.native.without(name) for name in FACETS
            })
            total, documents = tally.paragraphs, tally.reports
            for name in FACETS:
                facets[name] = catalog.facet_of_counts(name, tally.facets[name], sel.filters)
        else:
            matched = sel.doc_counts
            total = int(matched.sum())
            documents = int((matched > 0).sum())
            for name in FACETS:
                others = catalog.allowed(sel.filters, skip=name)
                if request.doc:
                    others = sel.allowed  # inside one document the facets only describe it
                facets[name] = catalog.facet(name, sel.counts, others, sel.filters)
        offset = (request.page - 1) * request.per_page
        if sel.native is not None and offset >= total:
            rows = []  # the engine's total says the page is empty: no round trip for it
        else:
            rows = self._page(sel, self._order(request, interp), offset, request.per_page)
        hits = self.hits(rows, interp.needles)
        info = interp.info
        if interp.loose is not None:
            loose, loose_documents = self._summary(sel, interp.loose)
            info.loose = loose - total
            info.loose_documents = loose_documents - documents
        if total == 0 or (info.loose and total < FEW_SHARE * (total + info.loose)):
            info.suggestions = self._suggest(sel, total)
        elapsed = (time.perf_counter() - started) * 1000
        result = SearchResult(request, total, documents, hits, facets, info, sel.filters, elapsed)
        return state.answers.put(request, result)

    @staticmethod
    def _order(request: SearchRequest, interp: Interpretation) -> str:
        # Without query text, "relevance" means nothing: browse the newest first.
        if request.sort == "relevance" and interp.tree is None:
            return "newest"
        return request.sort

    def _page(self, sel: Selection, order: str, offset: int, limit: int) -> list[int]:
        """Rows of one page; in words mode under relevance, whole-term matches before words apart."""
        tree, tier = sel.interpretation.tree, sel.interpretation.tier
        docs = self._docs(sel)
        if tier is None or order != "relevance":
            return self.backend.page(tree, docs, order, offset, limit)
        n_first = self._summary(sel, tier)[0]
        rows: list[int] = []
        if offset < n_first:
            rows = self.backend.page(tier, docs, order, offset, limit)
        if len(rows) < limit:
            rest = exclude(tree, tier)
            rows += self.backend.page(rest, docs, order, max(0, offset - n_first), limit - len(rows))
        return rows

    @one_version
    def hits(self, rows: Sequence[int], needles: Sequence[str]) -> list[Hit]:
        """Hits for engine rows, with the ranges where the strings occur."""
        catalog = self.catalog()
        return [self._hit(unit, catalog, needles) for unit in self.backend.fetch(rows)]

    @staticmethod
    def _hit(unit: Unit, catalog: Catalog, needles: Sequence[str]) -> Hit:
        doc = catalog.documents[unit.doc]
        return Hit(
            id=unit.id, doc_id=doc.doc_id, ordinal=unit.ordinal, kind=unit.kind, level=unit.level,
            text=unit.text, section=unit.section, spans=spans(unit.text, needles), document=doc,
        )

    def _suggest(self, sel: Selection, total: int) -> list[Suggestion]:
        interp, request = sel.interpretation, sel.request
        out: list[Suggestion] = []
        if interp.loose is not None and interp.info.loose:
            out.append(Suggestion("words", request.q, "words", total + interp.info.loose, request.q))
        limit = int(settings.get("suggest_chars"))
        pairs = self.backend.bigram_counts
        for term in interp.info.terms:
            if not term.exact or len(term.text) > limit or len(term.text) < 2:
                continue
            if self.backend.count_phrases([term.text])[0]:
                continue  # the term occurs: the filters or another term make the answer empty
            replace = (lambda new, old=term.text: request.q.replace(old, new, 1) if old in request.q else new)
            for fixed, _n in spelling(term.text, self.backend.count_phrases, pairs):
                q = replace(fixed)
                out.append(Suggestion("spelling", q, request.mode, self._count_under(sel, fixed), fixed))
            # Single and double quotation marks are different characters: ‘双碳’目标 is written “双碳”目标.
            other = term.text.translate(_OTHER_QUOTES)
            if other != term.text and self.backend.count_phrases([other])[0]:
                out.append(Suggestion("spelling", replace(other), request.mode, self._count_under(sel, other), other))
            part = longest_part(term.text, self.backend.count_phrases)
            if part is not None:
                out.append(Suggestion("part", replace(part[0]), request.mode, self._count_under(sel, part[0]), part[0]))
        return out

    def _count_under(self, sel: Selection, phrase: str) -> int:
        return self._summary(sel, Phrase(phrase))[0]

    # -- reports -------------------------------------------------------------------------------------
    @one_version
    def reports(self, request: SearchRequest) -> ReportResult:
        """Matching reports with their number of matching paragraphs and their best paragraph."""
        started = time.perf_counter()
        sel = self._select(request, counts=not self._native)
        offset = (request.page - 1) * request.per_page
        if sel.native is not None:  # the engine counts and orders the reports under the filters
            paragraphs, n_reports, page = self.backend.report_page(
                sel.interpretation.tree, sel.native, request.sort, offset, request.per_page)
        else:
            matched = sel.doc_counts
            codes = np.flatnonzero(matched > 0)
            ranks = sel.catalog.ranks()
            if request.sort == "relevance":  # most matching paragraphs first, then newest
                codes = codes[np.lexsort((ranks.newest[codes], -matched[codes]))]
            else:
                order = ranks.newest if request.sort == "newest" else ranks.oldest
                codes = codes[np.argsort(order[codes], kind="stable")]
            paragraphs, n_reports = int(matched.sum()), int(codes.size)
            page = [(int(c), int(matched[c])) for c in codes[offset:offset + request.per_page]]
        order = self._order(request, sel.interpretation)
        reports = []
        for code, count in page:
            only = np.zeros(len(sel.catalog), dtype=bool)
            only[code] = True
            rows = self.backend.page(sel.interpretation.tier or sel.interpretation.tree, only, order, 0, 1)
            if not rows:
                rows = self.backend.page(sel.interpretation.tree, only, order, 0, 1)
            best = self.hits(rows, sel.interpretation.needles)[0]
            reports.append(ReportHit(sel.catalog.documents[code], count, best))
        return ReportResult(
            request, n_reports, paragraphs, reports, sel.interpretation.info, sel.filters,
            (time.perf_counter() - started) * 1000,
        )

    # -- streams, documents, paragraphs --------------------------------------------------------------
    def iter_hits(self, request: SearchRequest, marks: bool = False) -> Iterator[Hit]:
        """Every hit of a request, uncapped, streamed: newest/oldest when asked, else document order."""
        with self.backend.pin():
            sel = self._select(request, counts=False)
        order = request.sort if request.sort in ("newest", "oldest") else "document"
        needles = sel.interpretation.needles if marks else []
        for rows in self.backend.iter_rows(sel.interpretation.tree, self._docs(sel), order):
            yield from self.hits(rows, needles)

    @one_version
    def document(self, doc_id: str, q: str = "", mode: str = "exact") -> DocumentView | None:
        """A whole document; with `q`, where it matches (ranges and the matching paragraphs in order)."""
        catalog = self.catalog()
        code = catalog.by_id.get(doc_id)
        if code is None:
            return None
        units = self.backend.document_units(code)
        doc = dataclasses.replace(catalog.documents[code], paragraphs=[
            Paragraph(u.id, doc_id, u.ordinal, u.text, u.section, u.kind, u.level) for u in units
        ])
        view = DocumentView(doc)
        if q.strip():
            request = SearchRequest(q=q, mode=mode if mode in MODES else "exact", doc=doc_id)
            sel = self._select(request, counts=False)
            only = np.zeros(len(catalog), dtype=bool)
            only[code] = True
            rows = set(self.backend.page(sel.interpretation.tree, only, "document", 0, len(units) or 1))
            view.matches = [u.id for u in units if u.row in rows]
            needles = sel.interpretation.needles
            view.spans = {u.id: s for u in units if (s := spans(u.text, needles))}
            view.query = sel.interpretation.info
        return view

    @one_version
    def paragraph(self, paragraph_id: str, q: str = "", mode: str = "exact") -> Hit | None:
        """One paragraph by its id, with the ranges where `q` matches."""
        unit = self.backend.find(paragraph_id)
        if unit is None:
            return None
        needles = interpret(parse_query(q), mode if mode in MODES else "exact").needles if q.strip() else []
        return self._hit(unit, self.catalog(), needles)

    @one_version
    def stats(self) -> dict:
        """Counts of the current generation and the engine's own figures."""
        catalog = self.catalog()
        counts = self.counts(None)
        return {
            "documents": len(catalog),
            "paragraphs": int(counts.sum()),
            "generation": self._state_now().generation,
            **self.backend.stats(),
        }

    def facet_values(self, name: str) -> list[str]:
        """Every value a facet has in the index."""
        return list(self.catalog().values.get(name, []))


def document_of(catalog: Catalog, paragraph_id: str) -> Document | None:
    """The document a paragraph id belongs to (its id prefix), even when the paragraph itself is gone."""
    code = catalog.by_id.get(paragraph_id.partition("-")[0])
    return None if code is None else catalog.documents[code]
