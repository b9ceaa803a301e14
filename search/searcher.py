"""Answer a SearchRequest from a built index: matches, totals, facet counts, a page of highlighted hits.

Matching is boolean algebra over numpy masks of paragraph numbers: each term gives the paragraphs
containing it (Whoosh phrase queries over character bigrams), filters and facets come from small
integer arrays held in memory, and only the page shown is scored (BM25F over jieba words), read
and highlighted. The searcher follows the index's `current` link and switches generations by itself.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np
from whoosh import query as wq
from whoosh.index import open_dir
from whoosh.matching import ListMatcher, NullMatcher
from whoosh.scoring import BM25F

from .analysis import segment
from .highlight import highlight, needles
from .indexer import (
    DOCUMENTS_FILE,
    META_FILE,
    PARA_DOC_FILE,
    PARA_ORDINAL_FILE,
    WHOOSH_DIR,
    current_generation,
)
from .models import FACETS, Document, FacetValue, Heading, Hit, Paragraph, QueryInfo, SearchRequest, SearchResult
from .normalize import normalize
from .query import And, Filter, Node, Not, Or, ParsedQuery, Term, parse_query
from .schema import SCHEMA_VERSION
from .substring import SubstringIndex

MAX_PER_PAGE = 100
_CACHE_SIZE = 256
_SHORTLIST = 40  # rows of the numpy BM25 ranking that Whoosh's BM25F re-orders
_RESULTS_SIZE = 128  # whole answers kept per generation (~20 kB each)

K = TypeVar("K")
V = TypeVar("V")


class _Lru(Generic[K, V]):
    """A small thread-safe least-recently-used map."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> V:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class IndexUnavailable(Exception):
    """The index folder is missing, empty, from another schema version, or unreadable."""


class InvalidRequest(ValueError):
    """A request parameter that cannot be answered (unknown facet value, bad page); `param` names it."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param
        self.message = message


def permalink(paragraph_id: str) -> str:
    """The paragraph's permalink path."""
    return f"/p/{paragraph_id}"


@dataclass
class _Facet:
    values: list[str]  # code → value ("" = unknown, code 0)
    codes: np.ndarray  # per document


class _Generation:
    """One opened generation of the index with its in-memory arrays."""

    def __init__(self, path: Path):
        self.path = path
        meta_path = path / META_FILE
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexUnavailable(f"索引不完整或已损坏（{meta_path} 无法读取）：{exc}") from exc
        if meta.get("schema_version") != SCHEMA_VERSION:
            raise IndexUnavailable(
                f"索引 {path} 的格式版本是 {meta.get('schema_version')}，本程序需要 {SCHEMA_VERSION}："
                "请用 report-search index --rebuild 重建索引"
            )
        self.meta = meta
        self.ix = open_dir(str(path / WHOOSH_DIR))
        # One Whoosh searcher, used under a lock: a searcher per thread cost ~100 MB each, and the
        # Whoosh calls left (stored fields of a page, ranking a shortlist) take a few milliseconds.
        self._whoosh = self.ix.searcher(weighting=BM25F())
        self._whoosh_lock = threading.RLock()
        self.docs: list[dict] = []
        with open(path / DOCUMENTS_FILE, encoding="utf-8") as fh:
            for line in fh:
                self.docs.append(json.loads(line))
        self.doc_code = {d["doc_id"]: i for i, d in enumerate(self.docs)}
        self.norm_titles = [normalize(d.get("title") or "") for d in self.docs]
        self._load_arrays()
        self._cache: _Lru[str, np.ndarray] = _Lru(_CACHE_SIZE)  # substring → rows
        self.results: _Lru[tuple, SearchResult] = _Lru(_RESULTS_SIZE)  # a shared link opened again
        if self.n:
            self._warm_up()

    def _warm_up(self) -> None:
        # The first request after opening paid ~40 ms for work done once per process or generation:
        # Whoosh's lazily read term, length and stored-field tables (per segment: the MpWriter builds
        # one per core), numpy's lazy numpy.ma import.
        with self._whoosh_lock:
            firsts = [offset for r, offset in self._whoosh.reader().leaf_readers() if r.doc_count_all()]
        self.bm25f(wq.And([_Rows(np.array(firsts)), wq.Term("words", "发展")]), limit=len(firsts))
        for row in firsts:
            self.stored(row)
        self.substrings.frequency("发展", self.substrings.find("发展")[:1])

    # -- arrays ---------------------------------------------------------------------------------
    def _load_arrays(self) -> None:
        # Side arrays are indexed by Whoosh document number ("row"); -1 marks a deleted document.
        para_doc = np.load(self.path / PARA_DOC_FILE)
        self.para_ord = np.load(self.path / PARA_ORDINAL_FILE)
        n = self.n = int(para_doc.size)
        self.live = para_doc >= 0
        self.para_doc = np.where(self.live, para_doc, 0)
        self.substrings = SubstringIndex.load(self.path, n)
        self.facets: dict[str, _Facet] = {}
        for name in FACETS:
            raw = [str(d.get(name) or "") for d in self.docs]
            values = [""] + sorted(set(raw) - {""})
            index = {v: i for i, v in enumerate(values)}
            self.facets[name] = _Facet(values, np.array([index[v] for v in raw], dtype=np.int32))
        years = np.array([int(d.get("year") or 0) for d in self.docs], dtype=np.int32)
        self.doc_year = years
        # Document order: by source path; newest/oldest: by year then date, then document order.
        by_source = sorted(range(len(self.docs)), key=lambda i: _source_key(self.docs[i].get("source", "")))
        doc_rank = np.empty(len(self.docs), dtype=np.int64)
        doc_rank[by_source] = np.arange(len(self.docs))
        dates = [self.docs[i].get("date") or "" for i in range(len(self.docs))]
        date_rank = np.empty(len(self.docs), dtype=np.int64)
        date_rank[sorted(range(len(self.docs)), key=lambda i: dates[i])] = np.arange(len(self.docs))
        ordinal = self.para_ord.astype(np.int64)
        d = self.para_doc
        self.order = {
            "document": np.lexsort((ordinal, doc_rank[d])),
            "newest": np.lexsort((ordinal, doc_rank[d], -date_rank[d], -years[d].astype(np.int64))),
            "oldest": np.lexsort((ordinal, doc_rank[d], date_rank[d], years[d].astype(np.int64))),
        }
        self.rank = {}
        for key, order in self.order.items():
            rank = np.empty(n, dtype=np.int64)
            rank[order] = np.arange(n)
            self.rank[key] = rank

    def stored(self, row: int) -> dict:
        """Stored fields of a paragraph."""
        with self._whoosh_lock:
            return self._whoosh.stored_fields(row)

    def row_of_id(self, paragraph_id: str) -> int | None:
        """The row of a paragraph id, or None."""
        with self._whoosh_lock:
            docnum = self._whoosh.document_number(id=paragraph_id)
        return None if docnum is None else int(docnum)

    def bm25f(self, query: wq.Query, limit: int) -> list[tuple[int, float]]:
        """(row, score) of Whoosh's BM25F search."""
        with self._whoosh_lock:
            return [(hit.docnum, hit.score) for hit in self._whoosh.search(query, limit=limit)]

    # -- matching ---------------------------------------------------------------------------------
    def substring(self, text: str) -> np.ndarray:
        """Sorted rows whose normalized text contains `text` (normalized); recent answers cached."""
        rows = self._cache.get(text)
        if rows is None:
            rows = self._cache.put(text, self.substrings.find(text))
        return rows

    def mask(self, rows: np.ndarray) -> np.ndarray:
        m = np.zeros(self.n, dtype=bool)
        m[rows] = True
        return m

    def term_mask(self, term: Term) -> np.ndarray:
        if term.exact or not term.words:
            return self.mask(self.substring(term.text))
        masks = [self.mask(self.substring(w)) for w in dict.fromkeys(term.words)]
        return reduce(np.logical_and, masks)

    def filter_mask(self, flt: Filter) -> np.ndarray:
        doc_ok = self.doc_filter(flt)
        return doc_ok[self.para_doc] & self.live

    def doc_filter(self, flt: Filter) -> np.ndarray:
        """Per document: does it pass a field filter written in the query?"""
        if flt.field == "title":
            return np.array([flt.value in t for t in self.norm_titles], dtype=bool)
        if flt.field == "year":
            lo, _, hi = flt.value.partition("-")
            low, high = int(lo), int(hi or lo)
            if low > high:
                low, high = high, low
            return (self.doc_year >= low) & (self.doc_year <= high)
        if flt.field in self.facets:
            facet = self.facets[flt.field]
            values = facet.values
        else:  # city, county: not facets, compare per document
            values = sorted({str(d.get(flt.field) or "") for d in self.docs})
            facet = _Facet(values, np.array([values.index(str(d.get(flt.field) or "")) for d in self.docs]))
        normalized = [normalize(v) for v in values]
        # Exact value first (level:市 must not take 直辖市), then a prefix (江苏 → 江苏省), then a part.
        for test in (lambda v: v == flt.value, lambda v: v.startswith(flt.value), lambda v: flt.value in v):
            chosen = [i for i, v in enumerate(normalized) if v and test(v)]
            if chosen:
                return np.isin(facet.codes, chosen)
        return np.zeros(len(self.docs), dtype=bool)

    def evaluate(self, node: Node | None) -> np.ndarray:
        if node is None:
            return self.live.copy()  # no text terms: every paragraph (browsing by filters)
        if isinstance(node, Term):
            return self.term_mask(node)
        if isinstance(node, Filter):
            return self.filter_mask(node)
        if isinstance(node, Not):
            return ~self.evaluate(node.child) & self.live
        parts = [self.evaluate(c) for c in node.children]
        return reduce(np.logical_and if isinstance(node, And) else np.logical_or, parts)

    # -- ranking ----------------------------------------------------------------------------------
    def rank_by_relevance(self, terms: list[Term], rows: np.ndarray, count: int) -> list[int]:
        """The first `count` of `rows` by relevance.

        BM25 over the query's jieba words, with term frequencies read from the bigram index, scores
        every match in numpy and keeps a shortlist; Whoosh's BM25F over the indexed jieba words then
        orders the shortlist, and paragraphs holding a term whole come before those that only have
        its words apart. Scoring every match in Whoosh's pure Python took up to 0.6 s.
        """
        shortlist_size = max(_SHORTLIST, 2 * count)  # Whoosh decodes a posting block per shortlisted row
        scores = self.bm25(terms, rows)
        if rows.size > shortlist_size:
            keep = np.argpartition(-scores, shortlist_size - 1)[:shortlist_size]
            rows, scores = rows[keep], scores[keep]
        shortlist = np.sort(rows)
        words = list(dict.fromkeys(w for t in terms for w in t.words))
        refined = dict(zip(rows.tolist(), (scores / (scores.max() or 1.0)).tolist()))  # 0..1 tie-breaker
        query = wq.And([_Rows(shortlist), wq.Or([wq.Term("words", w) for w in words])])
        for row, score in self.bm25f(query, limit=shortlist.size):
            refined[row] = refined.get(row, 0.0) + score
        for term in terms:
            if not term.exact and len(term.words) > 1:
                whole = np.isin(shortlist, self.substring(term.text), assume_unique=True)
                for row in shortlist[whole].tolist():
                    refined[row] += 1000.0
        doc_rank = self.rank["document"]
        ordered = sorted(refined, key=lambda r: (-refined[r], doc_rank[r]))
        return ordered[:count]

    def bm25(self, terms: list[Term], rows: np.ndarray, k1: float = 1.2, b: float = 0.75) -> np.ndarray:
        """BM25 of `rows` (sorted) for the terms' words, in numpy."""
        lengths = self.substrings.lengths[rows].astype(np.float64)
        average = float(self.substrings.lengths[self.live].mean()) if self.n else 1.0
        norm = k1 * (1 - b + b * lengths / max(average, 1.0))
        total = float(self.live.sum())
        scores = np.zeros(rows.size, dtype=np.float64)
        for word in dict.fromkeys(w for t in terms for w in (t.words or (t.text,))):
            if len(word) == 1:
                continue  # one character: little weight, and its document frequency is costly to count
            df = float(self.substrings.document_frequency(word))
            idf = np.log(1 + (total - df + 0.5) / (df + 0.5))
            tf = self.substrings.frequency(word, rows).astype(np.float64)
            scores += idf * tf * (k1 + 1) / (tf + norm)
        return scores

    # -- facets -----------------------------------------------------------------------------------
    def facet_mask(self, name: str, selected: tuple[str, ...]) -> np.ndarray:
        facet = self.facets[name]
        index = {v: i for i, v in enumerate(facet.values)}
        unknown = [v for v in selected if v not in index]
        if unknown:
            raise InvalidRequest(name, f"未知的{_FACET_LABELS.get(name, name)}：{unknown[0]}")
        return np.isin(facet.codes, [index[v] for v in selected])[self.para_doc] & self.live

    def count_facet(self, name: str, matched: np.ndarray, selected: tuple[str, ...]) -> list[FacetValue]:
        facet = self.facets[name]
        codes = facet.codes[self.para_doc[matched]]
        counts = np.bincount(codes, minlength=len(facet.values))
        out = [
            FacetValue(value, int(counts[i]), value in selected)
            for i, value in enumerate(facet.values)
            if value and (counts[i] or value in selected)
        ]
        if name == "year":
            out.sort(key=lambda f: f.value, reverse=True)
        else:
            out.sort(key=lambda f: (-f.count, f.value))
        return out


def _freeze_heap() -> None:
    # A full garbage collection walks every container the process holds: with an index of 125,000
    # paragraphs and jieba's dictionary loaded that took 35 ms, landing inside some request. The
    # index is long-lived, so move it out of the collector's reach. (Frozen objects are still
    # freed by reference counting; only cycles in a replaced generation would stay.)
    gc.collect()
    gc.freeze()


def _request_key(request: SearchRequest) -> tuple:
    # Values of one facet combine with OR: their order does not change the answer.
    filters = tuple(sorted((name, tuple(sorted(set(values)))) for name, values in request.filters.items() if values))
    return (request.q, filters, request.sort, request.page, request.per_page, request.highlight)


def _source_key(source: str) -> tuple[str, int]:
    """Sort "file#2" before "file#10"."""
    path, _, part = source.partition("#")
    return path, int(part) if part.isdigit() else 0


_FACET_LABELS = {"province": "省份", "level": "级别", "tier": "行政层级", "year": "年份", "type": "类型"}


class Searcher:
    """Answers requests from the current generation of an index folder; safe to share between threads."""

    def __init__(self, index_dir: str | Path):
        self.index_dir = Path(index_dir)
        self._lock = threading.Lock()
        self._gen: _Generation | None = None
        self._generation()  # fail now, clearly, rather than on the first request
        segment("预热")  # load jieba's dictionary (about a second) now, not in the first request
        _freeze_heap()

    def _generation(self) -> _Generation:
        path = current_generation(self.index_dir)
        gen = self._gen
        if gen is not None and (path is None or path == gen.path):
            return gen  # a vanished link keeps the generation we have rather than failing requests
        if path is None:
            if not self.index_dir.exists():
                raise IndexUnavailable(f"索引文件夹 {self.index_dir} 不存在：请先运行 report-search index")
            raise IndexUnavailable(f"索引文件夹 {self.index_dir} 中还没有建好的索引：请先运行 report-search index")
        with self._lock:
            if self._gen is None or self._gen.path != path:
                try:
                    replacing = self._gen is not None
                    self._gen = _Generation(path)
                    if replacing:
                        _freeze_heap()
                except IndexUnavailable:
                    if self._gen is None:
                        raise
                except Exception as exc:  # a half-written or foreign folder must not take the server down
                    if self._gen is None:
                        raise IndexUnavailable(f"无法打开索引 {path}：{exc}") from exc
            return self._gen

    # -- public API ---------------------------------------------------------------------------------
    def stats(self) -> dict:
        """Counts and build time of the current generation."""
        gen = self._generation()
        return {
            "documents": len(gen.docs),
            "paragraphs": int(gen.live.sum()),
            "built": gen.meta.get("built", ""),
            "generation": gen.path.name,
        }

    def facet_values(self, name: str) -> list[str]:
        """Every value a facet has in the index."""
        return [v for v in self._generation().facets[name].values if v]

    def search(self, request: SearchRequest) -> SearchResult:
        """Run a request: total, documents, a page of hits and facet counts under the other filters."""
        started = time.perf_counter()
        if request.page < 1:
            raise InvalidRequest("page", "页码必须是正整数")
        if not 1 <= request.per_page <= MAX_PER_PAGE:
            raise InvalidRequest("per_page", f"每页条数必须在 1 到 {MAX_PER_PAGE} 之间")
        gen = self._generation()
        key = _request_key(request)
        cached = gen.results.get(key)
        if cached is not None:
            return dataclasses.replace(cached, request=request, elapsed_ms=(time.perf_counter() - started) * 1000)
        parsed = parse_query(request.q)
        text_mask = gen.evaluate(parsed.root)
        facet_masks = {
            name: gen.facet_mask(name, values)
            for name, values in request.filters.items()
            if values
        }
        for name in request.filters:
            if name not in gen.facets:
                raise InvalidRequest(name, f"未知的筛选项：{name}")
        facets = {}
        for name in FACETS:
            others = [m for f, m in facet_masks.items() if f != name]
            matched = reduce(np.logical_and, others, text_mask)
            facets[name] = gen.count_facet(name, np.flatnonzero(matched), request.filters.get(name, ()))
        final = reduce(np.logical_and, facet_masks.values(), text_mask)
        rows = np.flatnonzero(final)
        total = int(rows.size)
        documents = int(np.unique(gen.para_doc[rows]).size) if total else 0
        start = (request.page - 1) * request.per_page
        page = self._page(gen, parsed, request.sort, rows, start, request.per_page)
        strings = needles(parsed.positive) if request.highlight else []
        hits = [self._hit(gen, d, strings) for d in page]
        info = QueryInfo(
            text=parsed.normalized,
            terms=[t.text for t in parsed.positive],
            phrases=[t.text for t in parsed.positive if t.exact],
            segmentation=[list(t.words) for t in parsed.positive],
            filters={f.field: [x.value for x in parsed.filters if x.field == f.field] for f in parsed.filters},
            messages=parsed.messages,
        )
        elapsed = (time.perf_counter() - started) * 1000
        return gen.results.put(key, SearchResult(request, total, documents, hits, facets, info, elapsed))

    def iter_hits(self, request: SearchRequest) -> Iterator[Hit]:
        """Every hit of a request, unhighlighted, in document order (newest/oldest when asked), streamed."""
        gen = self._generation()
        parsed = parse_query(request.q)
        final = gen.evaluate(parsed.root)
        for name, values in request.filters.items():
            if values:
                final &= gen.facet_mask(name, values)
        rows = np.flatnonzero(final)
        key = request.sort if request.sort in ("newest", "oldest") else "document"
        rows = rows[np.argsort(gen.rank[key][rows], kind="stable")]
        for row in rows.tolist():
            yield self._hit(gen, row, [])

    def paragraph(self, paragraph_id: str) -> Hit | None:
        """One paragraph by its id, or None."""
        gen = self._generation()
        row = gen.row_of_id(paragraph_id)
        return None if row is None else self._hit(gen, row, [])

    def document(self, doc_id: str) -> Document | None:
        """A whole document with its paragraphs and headings, or None."""
        gen = self._generation()
        code = gen.doc_code.get(doc_id)
        if code is None:
            return None
        record = gen.docs[code]
        fields = {f.name for f in dataclasses.fields(Document)} - {"paragraphs", "headings"}
        doc = Document(**{k: v for k, v in record.items() if k in fields})
        doc.headings = [Heading(t, lvl, before) for t, lvl, before in record.get("headings", [])]
        rows = np.flatnonzero((gen.para_doc == code) & gen.live)
        rows = rows[np.argsort(gen.para_ord[rows], kind="stable")]
        for row in rows.tolist():
            fields = gen.stored(row)
            section = tuple(s for s in (fields.get("section") or "").split(" › ") if s)
            doc.paragraphs.append(Paragraph(fields["id"], doc_id, fields["ordinal"], fields["text"], section))
        return doc

    # -- helpers ------------------------------------------------------------------------------------
    def _page(
        self, gen: _Generation, parsed: ParsedQuery, sort: str, rows: np.ndarray, start: int, count: int
    ) -> list[int]:
        if start >= rows.size:
            return []
        end = min(start + count, rows.size)
        if sort in ("newest", "oldest") or not parsed.positive:
            ranks = gen.rank[sort if sort in ("newest", "oldest") else "document"][rows]
            return [int(x) for x in rows[_first_sorted(ranks, end)[start:end]]]
        order = gen.rank_by_relevance(parsed.positive, rows, end)
        return order[start:end]

    def _hit(self, gen: _Generation, row: int, strings: list[str]) -> Hit:
        fields = gen.stored(row)
        doc = gen.docs[int(gen.para_doc[row])]
        text = fields["text"]
        return Hit(
            id=fields["id"],
            doc_id=doc["doc_id"],
            title=doc.get("title") or "",
            province=doc.get("province") or "",
            city=doc.get("city") or "",
            level=doc.get("level") or "",
            tier=doc.get("tier") or "",
            year=doc.get("year"),
            type=doc.get("type") or "",
            section=fields.get("section") or "",
            source=doc.get("source") or "",
            text=text,
            highlight=highlight(text, strings),
            url=permalink(fields["id"]),
            ordinal=fields.get("ordinal", 0),
        )


class _Rows(wq.Query):
    """A fixed set of documents (global numbers) as a Whoosh query, to intersect with postings."""

    def __init__(self, rows: np.ndarray):
        self.rows = rows

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Rows) and np.array_equal(self.rows, other.rows)

    def __hash__(self) -> int:
        return hash(self.rows.tobytes())

    def estimate_size(self, ixreader) -> int:  # noqa: ANN001 - Whoosh's signature
        return int(self.rows.size)

    def matcher(self, searcher, context=None):  # noqa: ANN001, ANN201 - Whoosh's signature
        offset = 0
        parent = searcher.parent() if searcher.parent else None
        if parent is not None:
            offset = parent._offset_for_subsearcher(searcher) or 0
        local = self.rows[(self.rows >= offset) & (self.rows < offset + searcher.doc_count_all())] - offset
        if local.size == 0:
            return NullMatcher()
        return ListMatcher(local.tolist(), all_weights=0.0)


def _first_sorted(keys: np.ndarray, count: int) -> np.ndarray:
    """Indices of the `count` smallest keys, in order (partition first: pages are small)."""
    count = min(count, keys.size)
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    if count < keys.size:
        head = np.argpartition(keys, count - 1)[:count]
        return head[np.argsort(keys[head], kind="stable")]
    return np.argsort(keys, kind="stable")


def open_index(index_dir: str | Path) -> Searcher:
    """Open the index in `index_dir` for searching; raises IndexUnavailable with a clear message."""
    return Searcher(index_dir)

