"""The catalog of one generation's documents: facet codes per document and filter resolution.

Every filter of report-search is a document field, so filters and facet counts are computed here,
once, over per-document arrays, whatever the engine: an engine reports how many paragraphs of each
document match the query, and the catalog turns that into totals, report counts and facet counts.

A filter value reads the same way in a URL, in the query box and on the command line:
- facets: the stored value itself; else a value whose normalized form starts with it ("江苏" →
  "江苏省", "苏州" → "苏州市"); else one that contains it. Several matches select all of them;
- year: "2024", "2015-2020", "2015-", "-2020" (also with ～, 至, 到, —);
- county and title: documents whose county or title contains the (normalized) value.
A value that selects nothing is kept — shown as a removable chip with 0 hits and a message — never
an error that loses the query.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .backends.base import DocRanks, doc_ranks
from .fields import BY_NAME, FACETS
from .models import Document, FacetValue, FilterValue
from .normalize import normalize

_YEAR_RANGE = re.compile(r"^\s*((?:19|20)\d{2})?\s*(?:年)?\s*([-~～至到—–]\s*((?:19|20)\d{2})?)?\s*(?:年)?\s*$")


@dataclass
class Catalog:
    """Per-document arrays of one generation, in doc-code order."""

    documents: list[Document]
    by_id: dict[str, int]
    values: dict[str, list[str]]  # facet → its values, sorted (years ascending)
    codes: dict[str, np.ndarray]  # facet → per document the index of its value in `values`, -1 for none
    years: np.ndarray  # per document, 0 when unknown
    texts: dict[str, list[str]]  # county, title: normalized per document
    _ranks: DocRanks | None = None
    _index: dict[str, dict[str, int]] | None = None  # facet → value → its index in `values` (built once)

    @classmethod
    def of(cls, documents: Sequence[Document]) -> "Catalog":
        """Build the catalog of documents given in doc-code order."""
        values: dict[str, list[str]] = {}
        codes: dict[str, np.ndarray] = {}
        for name in FACETS:
            raw = [_value(d, name) for d in documents]
            distinct = sorted(set(raw) - {""}, key=(lambda v: int(v)) if name == "year" else None)
            index = {v: i for i, v in enumerate(distinct)}
            values[name] = distinct
            codes[name] = np.fromiter((index.get(v, -1) for v in raw), dtype=np.int64, count=len(raw))
        years = np.fromiter((int(d.year or 0) for d in documents), dtype=np.int64, count=len(documents))
        texts = {name: [normalize(getattr(d, name) or "") for d in documents] for name in ("county", "title")}
        return cls(list(documents), {d.doc_id: i for i, d in enumerate(documents)}, values, codes, years, texts)

    def __len__(self) -> int:
        return len(self.documents)

    def ranks(self) -> DocRanks:
        """Each document's rank in the newest and oldest orders (computed once)."""
        if self._ranks is None:
            self._ranks = doc_ranks(self.documents)
        return self._ranks

    # -- filters ---------------------------------------------------------------------------------------
    def resolve(self, name: str, raw: str, typed: bool = False) -> FilterValue:
        """What one filter value selects in this catalog (see the module docstring)."""
        raw = raw.strip()
        if name == "year":
            low, high = parse_year_range(raw)
            if low is None and high is None:
                return FilterValue(name, raw, (), raw, typed, known=False)
            label = year_label(low, high)
            years = [v for v in self.values["year"] if (low is None or int(v) >= low) and (high is None or int(v) <= high)]
            return FilterValue(name, raw, tuple(years), label, typed, known=bool(years))
        if name in FACETS:
            chosen = _match_values(self.values[name], raw)
            label = "、".join(chosen) if chosen else raw
            return FilterValue(name, raw, tuple(chosen), label, typed, known=bool(chosen))
        # county, title: documents whose text contains the value
        norm = normalize(raw)
        hit = bool(norm) and any(norm in t for t in self.texts.get(name, []))
        return FilterValue(name, raw, (raw,) if hit else (), raw, typed, known=hit)

    def mask(self, flt: FilterValue) -> np.ndarray:
        """Documents a resolved filter selects."""
        if not flt.values:
            return np.zeros(len(self.documents), dtype=bool)
        if flt.field in FACETS:
            index = {v: i for i, v in enumerate(self.values[flt.field])}
            # A lookup table by value code; its extra last slot is what code -1 (no value) reads.
            chosen = np.zeros(len(self.values[flt.field]) + 1, dtype=bool)
            chosen[[index[v] for v in flt.values if v in index]] = True
            return chosen[self.codes[flt.field]]
        norm = normalize(flt.values[0])
        return np.fromiter((norm in t for t in self.texts[flt.field]), dtype=bool, count=len(self.documents))

    def allowed(self, filters: Sequence[FilterValue], skip: str | None = None) -> np.ndarray | None:
        """Documents passing every filter (values of one field OR, fields AND), leaving out field `skip`."""
        by_field: dict[str, np.ndarray] = {}
        for flt in filters:
            if flt.field == skip:
                continue
            m = self.mask(flt)
            by_field[flt.field] = by_field[flt.field] | m if flt.field in by_field else m
        if not by_field:
            return None
        out = np.ones(len(self.documents), dtype=bool)
        for m in by_field.values():
            out &= m
        return out

    # -- counting ------------------------------------------------------------------------------------
    def facet(self, name: str, counts: np.ndarray, allowed: np.ndarray | None, selected: Sequence[FilterValue]) -> list[FacetValue]:
        """Paragraph and report counts of each value of a facet, for matches in the allowed documents."""
        c = counts if allowed is None else np.where(allowed, counts, 0)
        codes = self.codes[name]
        n = len(self.values[name])
        present = codes >= 0
        paragraphs = np.bincount(codes[present], weights=c[present], minlength=n).astype(np.int64)
        reports = np.bincount(codes[present], weights=(c[present] > 0), minlength=n).astype(np.int64)
        return self._listing(name, paragraphs, reports, selected)

    def facet_of_counts(
        self, name: str, counts: dict[str, tuple[int, int]], selected: Sequence[FilterValue]
    ) -> list[FacetValue]:
        """The facet as `facet` lists it, from value → (paragraphs, reports) an engine counted itself."""
        n = len(self.values[name])
        paragraphs = np.zeros(n, dtype=np.int64)
        reports = np.zeros(n, dtype=np.int64)
        if self._index is None:
            self._index = {f: {v: i for i, v in enumerate(vs)} for f, vs in self.values.items()}
        index = self._index[name]
        for value, (p, r) in counts.items():
            paragraphs[index[value]], reports[index[value]] = p, r
        return self._listing(name, paragraphs, reports, selected)

    def _listing(
        self, name: str, paragraphs: np.ndarray, reports: np.ndarray, selected: Sequence[FilterValue]
    ) -> list[FacetValue]:
        """Values with matches or selected, in display order; selected values not in the index last."""
        chosen = {v for f in selected if f.field == name for v in f.values}
        out = [
            FacetValue(value, int(paragraphs[i]), int(reports[i]), value in chosen)
            for i, value in enumerate(self.values[name])
            if paragraphs[i] or value in chosen
        ]
        if name == "year":
            out.sort(key=lambda f: int(f.value), reverse=True)
        else:
            out.sort(key=lambda f: (-f.count, f.value))
        for f in selected:
            if f.field == name and not f.known:
                out.append(FacetValue(f.raw, 0, 0, True, known=False))
        return out


def _value(doc: Document, name: str) -> str:
    value = getattr(doc, name, "")
    return "" if value in (None, "", 0) else str(value)


def _match_values(values: list[str], raw: str) -> list[str]:
    if raw in values:
        return [raw]
    norm = normalize(raw)
    if not norm:
        return []
    normalized = [normalize(v) for v in values]
    for test in (lambda v: v == norm, lambda v: v.startswith(norm), lambda v: norm in v):
        chosen = [values[i] for i, v in enumerate(normalized) if v and test(v)]
        if chosen:
            return chosen
    return []


def parse_year_range(raw: str) -> tuple[int | None, int | None]:
    """(low, high) of "2024", "2015-2020", "2015-", "-2020"; (None, None) when it is not a year."""
    m = _YEAR_RANGE.match(normalize(raw).replace("年", "") if raw else "")
    if not m or not (m.group(1) or m.group(3)):
        return None, None
    low = int(m.group(1)) if m.group(1) else None
    high = int(m.group(3)) if m.group(3) else (None if m.group(2) else low)
    if low is not None and high is not None and low > high:
        low, high = high, low
    return low, high


def year_label(low: int | None, high: int | None) -> str:
    """"2024年", "2015–2020年", "2015年起", "2020年及以前"."""
    if low is not None and low == high:
        return f"{low}年"
    if low is not None and high is not None:
        return f"{low}–{high}年"
    if low is not None:
        return f"{low}年起"
    return f"{high}年及以前"


def field_label(name: str) -> str:
    """The Chinese name of a field."""
    return BY_NAME[name].label if name in BY_NAME else name
