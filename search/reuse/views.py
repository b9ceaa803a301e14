"""What the pages show, as plain data: similar paragraphs, a report's sources, two reports side by side, top pairs.

Every function takes a `Searcher` (any engine): reports' metadata come from its catalog, texts from
its paragraphs and documents, the reuse data from `searcher.backend.side_path("reuse")`. Character
ranges are of the text as the reader sees it (the web layer marks them); no HTML here.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..catalog import parse_year_range
from ..models import Document
from ..normalize import normalize_with_offsets
from .data import ReuseData, open_data

SORTS = ("share", "chars")


def data_of(searcher: Any) -> ReuseData | None:
    """The reuse data of the searcher's current generation, or None when the index has none."""
    return open_data(searcher.backend.side_path("reuse"))


def reuse_counts(searcher: Any, paragraph_ids: list[str]) -> dict[str, int]:
    """For the "另见 N 处相同或相近的段落" line: paragraph id → N, for those that have any (others absent).

    N counts other reports: a paragraph repeated ten times in one report is one more place it appears.
    """
    data = data_of(searcher)
    out: dict[str, int] = {}
    if data is None:
        return out
    for pid in paragraph_ids:
        row = data.row_of(pid)
        if row is None:
            continue
        others, _ = data.near_of(int(data.paras["num"][row]))
        if others.size:
            out[pid] = int(np.unique(data.para_doc(others)).size)
    return out


def _when(doc: Document) -> tuple:
    """Sort key of a report's time: year, then delivery date; unknown last."""
    return (doc.year or 9999, doc.date or "9999", doc.doc_id)


def place_of(doc: Document) -> str:
    """A report's place as one string ("江苏省 常州市", "国务院")."""
    parts = [doc.province, doc.city, doc.county]
    text = " ".join(dict.fromkeys(p for p in parts if p))
    return text or ("全国" if doc.level == "国务院" else "")


def same_place(a: Document, b: Document) -> bool:
    """Two reports of one place (a report without any place is nobody's neighbour)."""
    key_a = (a.level, a.province, a.city, a.county)
    key_b = (b.level, b.province, b.city, b.county)
    return key_a == key_b and any(key_a)


def earlier(a: Document, b: Document) -> str:
    """"a", "b" or "" (same time or unknown): which report was delivered first."""
    if not a.year or not b.year:
        return ""
    if a.year != b.year:
        return "a" if a.year < b.year else "b"
    if not a.date or not b.date or a.date == b.date:  # same year, a delivery date unknown: cannot tell
        return ""
    return "a" if a.date < b.date else "b"


def diff_spans(base: str, text: str) -> list[tuple[int, int]]:
    """Ranges of `text` (as written) whose characters differ from `base` after normalization.

    Where `text` lacks characters `base` has, the range is empty (start == end) at that place: the
    page shows a mark there, since nothing of `text` itself differs.
    """
    nb = normalize_with_offsets(base)[0]
    nt, origin = normalize_with_offsets(text)
    out: list[tuple[int, int]] = []
    matcher = difflib.SequenceMatcher(None, nb, nt, autojunk=False)
    for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "insert") and j2 > j1:
            start, end = origin[j1], origin[j2 - 1] + 1
        elif tag == "delete":
            start = end = origin[j1] if j1 < len(origin) else len(text.rstrip())
        else:
            continue
        if out and (start < out[-1][1] or (start == out[-1][1] and start > out[-1][0] and end > start)):
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


def norm_spans(text: str, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Ranges of normalized text mapped to the text as written, merged."""
    if not ranges:
        return []
    norm, origin = normalize_with_offsets(text)
    out: list[tuple[int, int]] = []
    for a, b in sorted(ranges):
        a, b = max(0, a), min(len(norm), b)
        if b <= a:
            continue
        start, end = origin[a], origin[b - 1] + 1
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


# -- where else does this paragraph appear --------------------------------------------------------------

@dataclass
class SimilarItem:
    """One occurrence of a paragraph: in which report, how similar, what differs from the one asked about."""

    id: str
    text: str
    document: Document
    place: str
    similarity: float  # shingles.similarity with the paragraph asked about (1.0 for itself)
    spans: list[tuple[int, int]]  # characters that differ from the paragraph asked about
    this: bool = False  # the paragraph asked about
    repeats: int = 1  # paragraphs of that report this near-identical (the most similar is shown)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"id": self.id, "text": self.text, "document": self.document.metadata(), "place": self.place,
                "similarity": round(self.similarity, 3), "spans": [list(s) for s in self.spans], "this": self.this,
                "repeats": self.repeats}


@dataclass
class SimilarList:
    """A paragraph and its identical or near-identical paragraphs in other reports (one per report), earliest first."""

    id: str
    items: list[SimilarItem]
    formula: bool = False  # a formula paragraph: never listed as reuse
    available: bool = True  # the index has reuse data

    @property
    def others(self) -> int:
        """How many other reports are listed."""
        return sum(1 for i in self.items if not i.this)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"id": self.id, "others": self.others, "formula": self.formula, "available": self.available,
                "items": [i.to_dict() for i in self.items]}


def similar(searcher: Any, paragraph_id: str) -> SimilarList | None:
    """The paragraph and where else it appears (None when the paragraph does not exist)."""
    hit = searcher.paragraph(paragraph_id)
    if hit is None:
        return None
    me = SimilarItem(hit.id, hit.text, hit.document, place_of(hit.document), 1.0, [], True)
    data = data_of(searcher)
    if data is None:
        return SimilarList(hit.id, [me], available=False)
    row = data.row_of(hit.id)
    if row is None:
        return SimilarList(hit.id, [me])
    if data.paras["formula"][row]:
        return SimilarList(hit.id, [me], formula=True)
    others, sims = data.near_of(int(data.paras["num"][row]))
    items = [me]
    # one item per other report: its most similar paragraph, and how many it has
    best: dict[int, tuple[float, int, int]] = {}
    for num, sim, doc in zip(others.tolist(), sims.tolist(), data.para_doc(others).tolist()):
        seen = best.get(doc)
        best[doc] = (max(sim, seen[0]) if seen else sim, num if not seen or sim > seen[0] else seen[1],
                     (seen[2] if seen else 0) + 1)
    for _doc, (sim, num, count) in best.items():
        other = searcher.paragraph(data.paragraph_id(int(data.row_by_num[num])))
        if other is None:
            continue
        items.append(SimilarItem(other.id, other.text, other.document, place_of(other.document), float(sim),
                                 diff_spans(hit.text, other.text), repeats=count))
    items.sort(key=lambda i: (_when(i.document), not i.this))
    return SimilarList(hit.id, items)


# -- which reports a report shares text with --------------------------------------------------------------

@dataclass
class ReusePair:
    """Another report sharing passages with this one."""

    document: Document  # the other report
    place: str
    share: float  # share of this report's characters inside passages also in the other
    other_share: float  # the same, of the other report's characters
    chars: int  # this report's characters inside those passages
    passages: int
    earlier: str  # "this", "other" or "" (same time or unknown)
    same_place: bool

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"document": self.document.metadata(), "place": self.place, "share": round(self.share, 4),
                "other_share": round(self.other_share, 4), "chars": self.chars, "passages": self.passages,
                "earlier": self.earlier, "same_place": self.same_place}


@dataclass
class DocReuse:
    """The reports a report shares the most text with."""

    document: Document
    place: str
    pairs: list[ReusePair] = field(default_factory=list)
    available: bool = True

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"document": self.document.metadata(), "place": self.place, "available": self.available,
                "pairs": [p.to_dict() for p in self.pairs]}


def doc_reuse(searcher: Any, doc_id: str, limit: int = 100) -> DocReuse | None:
    """Reports sharing passages with `doc_id`, the largest share of it first (None for an unknown report)."""
    catalog = searcher.catalog()
    code = catalog.by_id.get(doc_id)
    if code is None:
        return None
    doc = catalog.documents[code]
    out = DocReuse(doc, place_of(doc))
    data = data_of(searcher)
    if data is None:
        out.available = False
        return out
    num = data.num_of.get(doc_id)
    if num is None:
        return out
    pairs = data.pairs
    rows = []
    for side_this, side_other, cov_this, cov_other in (
        (pairs.a, pairs.b, pairs.cover_a, pairs.cover_b), (pairs.b, pairs.a, pairs.cover_b, pairs.cover_a)
    ):
        for i in np.flatnonzero(side_this == num).tolist():
            rows.append((int(side_other[i]), int(cov_this[i]), int(cov_other[i]), int(pairs.passages[i])))
    mine = max(1, int(data.chars[num]))
    for other_num, cov_this, cov_other, n in rows:
        other_code = catalog.by_id.get(data.doc_id.get(other_num, ""))
        if other_code is None:
            continue
        other = catalog.documents[other_code]
        first = earlier(doc, other)
        out.pairs.append(ReusePair(
            other, place_of(other), cov_this / mine, cov_other / max(1, int(data.chars[other_num])), cov_this, n,
            {"a": "this", "b": "other"}.get(first, ""), same_place(doc, other),
        ))
    out.pairs.sort(key=lambda p: (-p.share, -p.chars, p.document.doc_id))
    del out.pairs[limit:]
    return out


# -- two reports side by side ------------------------------------------------------------------------------

@dataclass
class AlignedRow:
    """A paragraph of report a and the paragraph of report b it shares passages with, ranges marked."""

    a_id: str
    a_text: str
    a_spans: list[tuple[int, int]]
    b_id: str
    b_text: str
    b_spans: list[tuple[int, int]]

    def to_dict(self) -> dict:
        """JSON-ready form."""
        d = asdict(self)
        d["a_spans"] = [list(s) for s in self.a_spans]
        d["b_spans"] = [list(s) for s in self.b_spans]
        return d


@dataclass
class Comparison:
    """Two reports with their shared passages aligned, in a's reading order."""

    a: Document
    b: Document
    rows: list[AlignedRow]
    share_a: float
    share_b: float
    passages: int
    earlier: str  # "a", "b" or ""
    available: bool = True

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"a": self.a.metadata(), "b": self.b.metadata(), "share_a": round(self.share_a, 4),
                "share_b": round(self.share_b, 4), "passages": self.passages, "earlier": self.earlier,
                "available": self.available, "rows": [r.to_dict() for r in self.rows]}


def compare(searcher: Any, a_id: str, b_id: str) -> Comparison | None:
    """Reports a and b side by side (None when either is unknown)."""
    catalog = searcher.catalog()
    ca, cb = catalog.by_id.get(a_id), catalog.by_id.get(b_id)
    if ca is None or cb is None:
        return None
    da, db = catalog.documents[ca], catalog.documents[cb]
    data = data_of(searcher)
    out = Comparison(da, db, [], 0.0, 0.0, 0, earlier(da, db))
    if data is None:
        out.available = False
        return out
    na, nb = data.num_of.get(a_id), data.num_of.get(b_id)
    if na is None or nb is None or na == nb:
        return out
    p = data.between(na, nb)
    if na > nb:  # stored with pa in the later-numbered report
        spans = [(int(r["pa"]), int(r["a0"]), int(r["a1"]), int(r["pb"]), int(r["b0"]), int(r["b1"])) for r in p]
    else:
        spans = [(int(r["pb"]), int(r["b0"]), int(r["b1"]), int(r["pa"]), int(r["a0"]), int(r["a1"])) for r in p]
    out.passages = len(spans)
    units_a = {u.id: u for u in _paragraphs(searcher, a_id)}
    units_b = {u.id: u for u in _paragraphs(searcher, b_id)}
    order_a = {pid: i for i, pid in enumerate(units_a)}
    order_b = {pid: i for i, pid in enumerate(units_b)}
    grouped: dict[tuple[str, str], tuple[list, list]] = {}
    for pa, a0, a1, pb, b0, b1 in spans:
        ida = data.paragraph_id(int(data.row_by_num[pa]))
        idb = data.paragraph_id(int(data.row_by_num[pb]))
        g = grouped.setdefault((ida, idb), ([], []))
        g[0].append((a0, a1))
        g[1].append((b0, b1))
    covered_a = covered_b = 0
    for (ida, idb), (ra, rb) in sorted(grouped.items(), key=lambda kv: (order_a.get(kv[0][0], 0), order_b.get(kv[0][1], 0))):
        ua, ub = units_a.get(ida), units_b.get(idb)
        if ua is None or ub is None:
            continue
        out.rows.append(AlignedRow(ida, ua.text, norm_spans(ua.text, ra), idb, ub.text, norm_spans(ub.text, rb)))
    pairs = data.pairs
    hit = np.flatnonzero(((pairs.a == na) & (pairs.b == nb)) | ((pairs.a == nb) & (pairs.b == na)))
    if hit.size:
        i = int(hit[0])
        covered_a, covered_b = (pairs.cover_a[i], pairs.cover_b[i]) if pairs.a[i] == na else (pairs.cover_b[i], pairs.cover_a[i])
    out.share_a = int(covered_a) / max(1, int(data.chars[na]))
    out.share_b = int(covered_b) / max(1, int(data.chars[nb]))
    return out


def _paragraphs(searcher: Any, doc_id: str) -> list:
    view = searcher.document(doc_id)
    return view.document.paragraphs if view is not None else []


# -- the strongest pairs of the index ------------------------------------------------------------------------

@dataclass
class PairRow:
    """A pair of reports of different places and how much text they share."""

    a: Document  # the earlier one when known
    b: Document
    place_a: str
    place_b: str
    share_a: float
    share_b: float
    chars: int  # characters of a inside shared passages
    passages: int
    earlier: str  # "a", "b" or ""

    @property
    def share(self) -> float:
        """The larger of the two shares (the rank)."""
        return max(self.share_a, self.share_b)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"a": self.a.metadata(), "b": self.b.metadata(), "place_a": self.place_a, "place_b": self.place_b,
                "share_a": round(self.share_a, 4), "share_b": round(self.share_b, 4), "share": round(self.share, 4),
                "chars": self.chars, "passages": self.passages, "earlier": self.earlier}


@dataclass
class PairPage:
    """A page of the strongest pairs under filters."""

    rows: list[PairRow]
    total: int
    page: int
    per_page: int
    filters: dict[str, list[str]]
    sort: str
    available: bool = True

    @property
    def pages(self) -> int:
        """Number of pages."""
        return max(1, -(-self.total // max(1, self.per_page)))

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"total": self.total, "page": self.page, "per_page": self.per_page, "pages": self.pages,
                "filters": self.filters, "sort": self.sort, "available": self.available,
                "pairs": [r.to_dict() for r in self.rows]}


def top_pairs(searcher: Any, filters: dict[str, list[str]] | None = None, sort: str = "share",
              page: int = 1, per_page: int = 50, cross_place: bool = True) -> PairPage:
    """Pairs of reports of different places sharing the most text beyond formulas.

    `filters`: province, level, year (a year or a range "2015-2020"); a pair passes when either report
    does (values of one filter OR, filters AND). `sort`: "share" (the larger share) or "chars".
    """
    filters = {k: [v for v in vs if v] for k, vs in (filters or {}).items() if k in ("province", "level", "year")}
    filters = {k: v for k, v in filters.items() if v}
    data = data_of(searcher)
    out = PairPage([], 0, page, per_page, filters, sort if sort in SORTS else "share")
    if data is None:
        out.available = False
        return out
    catalog = searcher.catalog()
    pairs = data.pairs
    if pairs.a.size == 0:
        return out
    # per report number: its catalog code (-1 when gone) and whether it passes the filters
    size = data.live.size
    code = np.full(size, -1, dtype=np.int64)
    for num, doc_id in data.doc_id.items():
        c = catalog.by_id.get(doc_id)
        if c is not None:
            code[num] = c
    passes = np.ones(len(catalog), dtype=bool)
    for name, values in filters.items():
        if name == "year":
            mask = np.zeros(len(catalog), dtype=bool)
            for v in values:
                low, high = parse_year_range(v)
                if low is None and high is None:
                    continue
                mask |= (catalog.years >= (low or 0)) & (catalog.years <= (high or 9999)) & (catalog.years > 0)
        else:
            mask = catalog.mask(catalog.resolve(name, values[0]))
            for v in values[1:]:
                mask |= catalog.mask(catalog.resolve(name, v))
        passes &= mask
    ca, cb = code[pairs.a], code[pairs.b]
    ok = (ca >= 0) & (cb >= 0)
    ok &= passes[np.maximum(ca, 0)] | passes[np.maximum(cb, 0)]
    if cross_place:
        keys = [(d.level, d.province, d.city, d.county) for d in catalog.documents]
        place_code = {k: i for i, k in enumerate(dict.fromkeys(keys))}
        pc = np.array([place_code[k] if any(k) else -1 - i for i, k in enumerate(keys)], dtype=np.int64)
        ok &= pc[np.maximum(ca, 0)] != pc[np.maximum(cb, 0)]
    idx = np.flatnonzero(ok)
    share_a = pairs.cover_a[idx] / np.maximum(1, data.chars[pairs.a[idx]])
    share_b = pairs.cover_b[idx] / np.maximum(1, data.chars[pairs.b[idx]])
    rank = np.maximum(share_a, share_b) if out.sort == "share" else np.maximum(pairs.cover_a[idx], pairs.cover_b[idx])
    order = np.lexsort((idx, -rank))
    out.total = int(idx.size)
    start = (page - 1) * per_page
    for k in order[start:start + per_page].tolist():
        i = int(idx[k])
        a, b = catalog.documents[int(ca[i])], catalog.documents[int(cb[i])]
        sa, sb, chars = float(share_a[k]), float(share_b[k]), int(pairs.cover_a[i])
        if earlier(a, b) == "b":  # the earlier report first
            a, b, sa, sb, chars = b, a, sb, sa, int(pairs.cover_b[i])
        out.rows.append(PairRow(a, b, place_of(a), place_of(b), sa, sb, chars, int(pairs.passages[i]), earlier(a, b)))
    return out
