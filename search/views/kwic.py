"""Concordance (KWIC): every occurrence of the query as a line — left context, match, right context.

An occurrence is a range where one of the query's strings (`Interpretation.needles`: the terms in
exact mode, the terms and their words in words mode) occurs in a matching paragraph's normalized
text, overlapping ranges merged — the same ranges a result page marks. Contexts are cut from the
paragraph as the reader sees it, `width` characters on each side (10–40), never across paragraphs.

Orders: "oldest" (reports by the shared oldest order, then reading order, then position; the
default), "newest", "left" (by the left context read from the match outwards, i.e. right to left)
and "right" (by the right context); context orders compare the normalized text, KEY_CHARS
characters from the match, then fall back to the oldest order.

Collocates are the neighbours of the match on each side, counted over the lines: with unit "2",
"3" or "4", the n characters next to the match in the normalized text, when all are letters or
digits (a neighbour across punctuation is not a neighbour); with unit "word", the jieba word next to
the match when the clause on that side (up to the nearest non-letter, at most KEY_CHARS characters)
is segmented alone. Narrowing keeps the lines whose neighbour on a side equals a given text.

All occurrences of a selection are gathered once and kept (see `_CACHE`): sorting, narrowing and
paging then answer from memory. Gathering needs only the matching paragraphs' *normalized* texts;
the text as the reader sees it, and the offsets between the two, are computed for the lines shown
(a page, or an export as it streams). An engine that keeps normalized texts can hand them over
without decompressing display text through an optional `Backend.norm_texts(rows)` → [(doc code,
normalized text)]; otherwise they are computed here from fetched paragraphs (on lawtext, the 6,169 paragraphs of 高质量发展 cost
~0.25 s of fetching that way, measured; `normalize_with_offsets` on all of them cost as much again,
which is why offsets wait for the lines shown).
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from .. import settings
from ..analysis import segment
from ..highlight import find_all
from ..models import Document, FilterValue, Hit, QueryInfo, SearchRequest
from ..normalize import normalize, normalize_with_offsets
from ..service import Searcher, one_version
from .common import cache, select, selection_key

UNITS: tuple[str, ...] = ("word", "2", "3", "4")
SORTS: tuple[str, ...] = ("oldest", "newest", "left", "right")
MIN_WIDTH, MAX_WIDTH, DEFAULT_WIDTH = 10, 40, 20
KEY_CHARS = 40  # how far from the match sort keys and word clauses look
COLLOCATES = 20  # neighbours listed per side
STREAM_LINES = 500  # lines made at a time for an export
# A page's concordance covers at most this many matching paragraphs, the newest: 发展 is in 72,624
# paragraphs of lawtext, and gathering them all took 10.8 s and 300 MB (measured); 高质量发展 (6,169)
# stays whole. Exports are never capped: in time order they stream without gathering.
MAX_PARAGRAPHS = int(settings.get("kwic_paragraphs"))

_CACHE = cache(16)  # gathered occurrences of the most recent selections


@dataclass
class Line:
    """One occurrence: the contexts around it, where it is, and the report it is in."""

    paragraph_id: str
    document: Document  # metadata only
    ordinal: int  # the paragraph's place in its report
    section: tuple[str, ...]
    left: str
    match: str
    right: str
    left_cut: bool  # the paragraph goes on before `left`
    right_cut: bool  # … and after `right`
    start: int  # the match's range in the paragraph's text
    end: int


@dataclass
class Collocate:
    """A neighbour of the match with the number of lines it stands next to."""

    text: str
    count: int


@dataclass
class Concordance:
    """A page of lines and the collocates of one request."""

    request: SearchRequest
    query: QueryInfo
    filters: list[FilterValue]
    width: int
    sort: str
    unit: str
    left: str  # narrowing: only lines with this left neighbour ("" for none)
    right: str
    lines: list[Line]
    total: int  # lines after narrowing
    occurrences: int  # lines before narrowing
    paragraphs: int  # paragraphs with at least one line (after narrowing)
    reports: int
    page: int
    per_page: int
    left_collocates: list[Collocate] = field(default_factory=list)
    right_collocates: list[Collocate] = field(default_factory=list)
    needles: list[str] = field(default_factory=list)
    matched: int = 0  # paragraphs matching the request (under the filters)
    capped: bool = False  # lines, paragraphs and collocates cover the newest MAX_PARAGRAPHS paragraphs only

    @property
    def pages(self) -> int:
        """Pages of `per_page` lines (at least 1)."""
        return max(1, math.ceil(self.total / max(1, self.per_page)))


class _Gathered:
    """Every occurrence of one selection, in the oldest order, with what sorting and narrowing need.

    Per paragraph: its engine row, doc code and normalized text; per occurrence: its paragraph and
    its range in the normalized text. Display texts (hits) and offsets are filled in when lines are
    shown, from the engine, and kept.
    """

    def __init__(self, searcher: Searcher, rows: list[int], docs: list[int], norms: list[str],
                 hits: dict[int, Hit], para: list[int], nstart: list[int], nend: list[int]):
        self.searcher = searcher
        self.rows, self.docs, self.norms = rows, docs, norms
        self.para, self.nstart, self.nend = para, nstart, nend
        self._hits = hits  # paragraph → hit (text as read); those fetched so far
        self._origin: dict[int, list[int]] = {}  # paragraph → source index of each normalized character
        self._lock = threading.Lock()
        self._neighbours: dict[str, tuple[list[str | None], list[str | None]]] = {}
        self._orders: dict[str, list[int]] = {}

    def __len__(self) -> int:
        return len(self.para)

    def neighbours(self, unit: str) -> tuple[list[str | None], list[str | None]]:
        """Per occurrence, its left and right neighbour in `unit` (None where there is none)."""
        if unit not in self._neighbours:
            self._neighbours[unit] = _neighbours(self, unit)
        return self._neighbours[unit]

    def order(self, sort: str) -> list[int]:
        """Occurrence indices in `sort` order."""
        if sort not in self._orders:
            n = len(self)
            if sort == "newest":
                newest = self.searcher.catalog().ranks().newest
                ranks = newest[np.asarray([self.docs[p] for p in self.para], dtype=np.int64)] if n else np.zeros(0)
                # stable: within a report the gathered (reading) order stays
                self._orders[sort] = np.argsort(ranks, kind="stable").tolist()
            elif sort == "left":
                norms, para, ns = self.norms, self.para, self.nstart
                keys = [norms[para[i]][max(0, ns[i] - KEY_CHARS):ns[i]][::-1] for i in range(n)]
                self._orders[sort] = sorted(range(n), key=lambda i: (keys[i], i))
            elif sort == "right":
                norms, para, ne = self.norms, self.para, self.nend
                keys = [norms[para[i]][ne[i]:ne[i] + KEY_CHARS] for i in range(n)]
                self._orders[sort] = sorted(range(n), key=lambda i: (keys[i], i))
            else:
                self._orders[sort] = list(range(n))
        return self._orders[sort]

    def _display(self, paragraphs: list[int]) -> None:
        """Fetch (once) the hits of these paragraphs and the offsets of their normalized texts."""
        with self._lock:
            missing = [p for p in dict.fromkeys(paragraphs) if p not in self._hits]
        if missing:
            fetched = self.searcher.hits([self.rows[p] for p in missing], [])
            with self._lock:
                self._hits.update(zip(missing, fetched))
        for p in dict.fromkeys(paragraphs):
            if p not in self._origin:
                norm, origin = normalize_with_offsets(self._hits[p].text)
                if norm != self.norms[p]:  # the engine's normalized text is not the text's: map nothing
                    origin = list(range(len(norm)))
                self._origin[p] = origin

    def lines(self, indices: list[int], width: int) -> list[Line]:
        """The lines of these occurrences, contexts cut at `width`."""
        self._display([self.para[i] for i in indices])
        return [
            _line(self._hits[self.para[i]], self._origin[self.para[i]], self.nstart[i], self.nend[i], width)
            for i in indices
        ]


def _line(hit: Hit, origin: list[int], ns: int, ne: int, width: int) -> Line:
    """The line of the occurrence [ns, ne) of a paragraph's normalized text, contexts cut at `width`."""
    text = hit.text
    start = origin[ns] if ns < len(origin) else len(text)
    end = origin[ne - 1] + 1 if 0 < ne <= len(origin) else start
    return Line(
        hit.id, hit.document, hit.ordinal, hit.section,
        text[max(0, start - width):start], text[start:end], text[end:end + width],
        start - width > 0, end + width < len(text), start, end,
    )


# Letters and digits (exactly str.isalnum: \w without the underscore); a clause is a run of them.
_RUN_AFTER = re.compile(r"[^\W_]{1,%d}" % KEY_CHARS)
_RUN_BEFORE = re.compile(r"[^\W_]{1,%d}$" % KEY_CHARS)


def _neighbours(g: _Gathered, unit: str) -> tuple[list[str | None], list[str | None]]:
    lefts: list[str | None] = []
    rights: list[str | None] = []
    if unit == "word":
        words: dict[str, list[str]] = {}

        def cut(clause: str) -> list[str]:
            found = words.get(clause)
            if found is None:
                found = words[clause] = segment(clause)
            return found

        for i in range(len(g)):
            norm, ns, ne = g.norms[g.para[i]], g.nstart[i], g.nend[i]
            before = _RUN_BEFORE.search(norm, max(0, ns - KEY_CHARS), ns)
            after = _RUN_AFTER.match(norm, ne)
            left = cut(before.group()) if before else []
            right = cut(after.group()) if after else []
            lefts.append(left[-1] if left else None)
            rights.append(right[0] if right else None)
        return lefts, rights
    n = int(unit)
    for i in range(len(g)):
        norm, ns, ne = g.norms[g.para[i]], g.nstart[i], g.nend[i]
        left = norm[ns - n:ns] if ns >= n else ""
        right = norm[ne:ne + n]
        lefts.append(left if len(left) == n and left.isalnum() else None)
        rights.append(right if len(right) == n and right.isalnum() else None)
    return lefts, rights


def _row_batches(searcher: Searcher, sel, limit: int | None) -> Iterator[list[int]]:
    """The matching rows, document order; with `limit`, the newest `limit` in the newest order.

    Both orders keep a report's paragraphs in reading order, which the gathered order relies on.
    """
    tree, backend = sel.interpretation.tree, searcher.backend
    if limit is None:
        yield from backend.iter_rows(tree, sel.allowed, "document")
        return
    rows = backend.page(tree, sel.allowed, "newest", 0, limit)
    for k in range(0, len(rows), 1000):
        yield rows[k:k + 1000]


def _gather(searcher: Searcher, sel, needles: list[str], limit: int | None = None) -> _Gathered:
    """Every occurrence of the selection's needles (in the newest `limit` paragraphs), in the oldest order."""
    backend = searcher.backend
    engine_texts = getattr(backend, "norm_texts", None)
    rows: list[int] = []
    docs: list[int] = []
    norms: list[str] = []
    hits: dict[int, Hit] = {}
    para: list[int] = []
    nstart: list[int] = []
    nend: list[int] = []
    by_id = sel.catalog.by_id
    # Document order, the engine's storage order: fetching in the oldest order decompressed 972 text
    # blocks instead of 546 for 高质量发展 on lawtext (0.38 s against 0.14 s, measured).
    for batch in _row_batches(searcher, sel, limit):
        if engine_texts is not None:  # [(doc code, normalized text)] per row, no display text
            codes, texts = zip(*engine_texts(batch)) if batch else ((), ())
            fetched: list[Hit | None] = [None] * len(batch)
        else:
            fetched = searcher.hits(batch, [])
            texts = [normalize(h.text) for h in fetched]
            codes = [by_id[h.doc_id] for h in fetched]
        for k, (row, norm) in enumerate(zip(batch, texts)):
            ranges = find_all(norm, needles)
            if not ranges:
                continue
            p = len(rows)
            rows.append(row)
            norms.append(norm)
            hit = fetched[k]
            if hit is not None:
                hits[p] = hit
            docs.append(int(codes[k]))
            for ns, ne in ranges:
                para.append(p)
                nstart.append(ns)
                nend.append(ne)
    # Into the oldest order: reports by their oldest rank; reading order and position kept within one.
    oldest = sel.catalog.ranks().oldest
    order = np.argsort(oldest[np.asarray([docs[p] for p in para], dtype=np.int64)], kind="stable").tolist() if para else []
    return _Gathered(
        searcher, rows, docs, norms, hits, [para[i] for i in order], [nstart[i] for i in order],
        [nend[i] for i in order],
    )


def _gathered(searcher: Searcher, request: SearchRequest, capped: bool = True) -> tuple[object, _Gathered, bool]:
    """The selection, its gathered occurrences (cached) and whether they were capped."""
    sel = select(searcher, request)
    needles = list(sel.interpretation.needles)
    if not needles:
        return sel, _empty(searcher), False
    over = int(sel.doc_counts.sum()) > MAX_PARAGRAPHS
    limit = MAX_PARAGRAPHS if capped and over else None
    key = (*selection_key(searcher, sel), limit)
    if over and not capped:  # an uncapped export of a huge selection: not kept in memory afterwards
        return sel, _gather(searcher, sel, needles), False
    return sel, _CACHE.get_or_make(key, lambda: _gather(searcher, sel, needles, limit)), limit is not None


def _empty(searcher: Searcher) -> _Gathered:
    return _Gathered(searcher, [], [], [], {}, [], [], [])


def _narrowed(g: _Gathered, sort: str, unit: str, left: str, right: str) -> list[int]:
    order = g.order(sort)
    if not left and not right:
        return order
    lefts, rights = g.neighbours(unit)
    return [i for i in order if (not left or lefts[i] == left) and (not right or rights[i] == right)]


def _top(values: list[str | None], indices: list[int], limit: int) -> list[Collocate]:
    counts = Counter(values[i] for i in indices if values[i] is not None)
    return [Collocate(t, c) for t, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


def check(width: int, sort: str, unit: str) -> None:
    """Raise ValueError for a width, order or unit the concordance does not have."""
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ValueError(f"width must be within {MIN_WIDTH}–{MAX_WIDTH}")
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {SORTS}")
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}")


@one_version
def concordance(
    searcher: Searcher, request: SearchRequest, width: int = DEFAULT_WIDTH, sort: str = "oldest",
    unit: str = "word", left: str = "", right: str = "", page: int = 1, per_page: int | None = None,
    collocates: int = COLLOCATES,
) -> Concordance:
    """A page of the concordance of `request` and the collocates of its (narrowed) lines."""
    check(width, sort, unit)
    per_page = per_page or int(settings.get("kwic_page"))
    sel, g, capped = _gathered(searcher, request)
    chosen = _narrowed(g, sort, unit, left, right)
    lefts, rights = g.neighbours(unit)
    offset = (max(1, page) - 1) * per_page
    lines = g.lines(chosen[offset:offset + per_page], width)
    paras = {g.para[i] for i in chosen}
    return Concordance(
        request=sel.request, query=sel.interpretation.info, filters=sel.filters, width=width, sort=sort,
        unit=unit, left=left, right=right, lines=lines, total=len(chosen), occurrences=len(g),
        paragraphs=len(paras), reports=len({g.docs[p] for p in paras}), page=page, per_page=per_page,
        left_collocates=_top(lefts, chosen, collocates), right_collocates=_top(rights, chosen, collocates),
        needles=list(sel.interpretation.needles), matched=int(sel.doc_counts.sum()), capped=capped,
    )


def iter_lines(
    searcher: Searcher, request: SearchRequest, width: int = DEFAULT_WIDTH, sort: str = "oldest",
    unit: str = "word", left: str = "", right: str = "",
) -> Iterator[Line]:
    """Every line of the concordance, uncapped, in `sort` order.

    In time order without narrowing the lines stream as the engine gives the paragraphs (nothing is
    gathered); context orders and narrowing need every occurrence first.
    """
    check(width, sort, unit)
    if sort in ("oldest", "newest") and not left and not right:
        yield from _stream(searcher, request, width, sort)
        return
    _sel, g, _capped = _gathered(searcher, request, capped=False)
    chosen = _narrowed(g, sort, unit, left, right)
    for k in range(0, len(chosen), STREAM_LINES):
        yield from g.lines(chosen[k:k + STREAM_LINES], width)


def _stream(searcher: Searcher, request: SearchRequest, width: int, sort: str) -> Iterator[Line]:
    """Lines in time order, paragraph by paragraph as the engine returns them."""
    sel = select(searcher, request)
    needles = list(sel.interpretation.needles)
    if not needles:
        return
    for batch in searcher.backend.iter_rows(sel.interpretation.tree, sel.allowed, sort):
        for hit in searcher.hits(batch, []):
            norm, origin = normalize_with_offsets(hit.text)
            for ns, ne in find_all(norm, needles):
                yield _line(hit, origin, ns, ne, width)
