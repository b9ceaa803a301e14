"""An oracle that does not trust the index: answers computed by reading the files and scanning texts.

It reads a corpus with the ingest code (the same files → documents the indexer sees), keeps one copy
of each report the way the documented dedupe rule says, normalizes every paragraph and answers a
request by brute force: which paragraphs match, totals, reports, facet counts under the other
filters, and the order of every sort — all from the documents' fields, never from an engine.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from search.catalog import parse_year_range
from search.fields import FACETS
from search.ingest import discover, read_documents
from search.models import Document, Paragraph
from search.normalize import normalize
from search.query import And, Not, Or, Term, parse_query


@dataclass
class Unit:
    """A paragraph as the oracle sees it."""

    doc: Document
    para: Paragraph
    norm: str


def read_corpus(paths: Sequence[Path], manifest: Path | None = None) -> list[Document]:
    """Every document of the corpus, one copy of each report, by ingest's documented duplicate rule.

    (Near-identical body, same place and year; among copies the one whose metadata agrees with its
    text is kept — `search.ingest.dedupe`, applied here in file order as the indexer does.)
    """
    from search.ingest import Deduper, load_manifest

    the_manifest = load_manifest(manifest) if manifest else None
    files, _skipped = discover(paths)
    kept: dict[str, Document] = {}
    deduper = Deduper()
    for src in files:
        try:
            found = read_documents(src, the_manifest)
        except Exception:  # noqa: BLE001 - a file the indexer skips is skipped here too
            continue
        for doc in found:
            if doc.doc_id in kept:
                continue
            decision = deduper.offer(doc)
            if decision.kind == "duplicate":
                continue
            if decision.kind == "replaces":
                kept.pop(decision.other_doc_id, None)
            kept[doc.doc_id] = doc
    return list(kept.values())


class Oracle:
    """Brute-force answers over a list of documents."""

    def __init__(self, documents: Iterable[Document]):
        self.documents = list(documents)
        self.units = [Unit(d, p, normalize(p.text)) for d in self.documents for p in d.paragraphs]
        self.by_id = {u.para.id: u for u in self.units}

    # matching
    def _term(self, term: Term, mode: str, text: str) -> bool:
        if term.quoted or mode == "exact" or not term.words:
            return term.text in text
        return all(w in text for w in term.words)

    def _eval(self, node, mode: str, text: str) -> bool:
        if node is None:
            return True
        if isinstance(node, Term):
            return self._term(node, mode, text)
        if isinstance(node, Not):
            return not self._eval(node.child, mode, text)
        if isinstance(node, And):
            return all(self._eval(c, mode, text) for c in node.children)
        if isinstance(node, Or):
            return any(self._eval(c, mode, text) for c in node.children)
        raise TypeError(node)

    def phrase(self, text: str) -> set[str]:
        """Ids of the paragraphs whose normalized text contains the normalized `text`."""
        needle = normalize(text)
        return {u.para.id for u in self.units if needle in u.norm}

    def _doc_ok(self, doc: Document, filters: dict[str, Sequence[str]], skip: str | None = None) -> bool:
        for name, values in filters.items():
            if name == skip or not values:
                continue
            if not any(self._filter_ok(doc, name, v) for v in values):
                return False
        return True

    def _filter_ok(self, doc: Document, name: str, raw: str) -> bool:
        """The documented reading of a filter value: exact value, else a prefix, else a part of one."""
        if name == "year":
            low, high = parse_year_range(raw)
            if low is None and high is None or not doc.year:
                return False
            return (low is None or doc.year >= low) and (high is None or doc.year <= high)
        value = normalize(str(getattr(doc, name) or ""))
        want = normalize(raw)
        if not value or not want:
            return False
        if name not in FACETS:
            return want in value
        present = {normalize(str(getattr(d, name) or "")) for d in self.documents} - {""}
        for test in (lambda v: v == want, lambda v: v.startswith(want), lambda v: want in v):
            chosen = {v for v in present if test(v)}
            if chosen:
                return value in chosen
        return False

    def matches(self, q: str, mode: str = "exact", filters: dict[str, Sequence[str]] | None = None,
                skip: str | None = None) -> list[Unit]:
        """Units matching a query under filters (typed filters of `q` included)."""
        parsed = parse_query(q)
        filters = {k: [v] if isinstance(v, str) else list(v) for k, v in (filters or {}).items()}
        for name, value in parsed.filters:
            filters.setdefault(name, []).append(value)
        return [
            u for u in self.units
            if self._doc_ok(u.doc, filters, skip) and self._eval(parsed.root, mode, u.norm)
        ]

    def ids(self, q: str, mode: str = "exact", filters: dict | None = None) -> set[str]:
        """Ids of the matching paragraphs."""
        return {u.para.id for u in self.matches(q, mode, filters)}

    def totals(self, q: str, mode: str = "exact", filters: dict | None = None) -> tuple[int, int]:
        """(paragraphs, reports) matching."""
        found = self.matches(q, mode, filters)
        return len(found), len({u.doc.doc_id for u in found})

    def facet(self, name: str, q: str, mode: str = "exact", filters: dict | None = None) -> dict[str, tuple[int, int]]:
        """Value → (paragraphs, reports) of a facet, counted under the other filters."""
        found = self.matches(q, mode, filters, skip=name)
        paragraphs: Counter = Counter()
        reports: dict[str, set] = {}
        for u in found:
            value = getattr(u.doc, name)
            if value in (None, "", 0):
                continue
            paragraphs[str(value)] += 1
            reports.setdefault(str(value), set()).add(u.doc.doc_id)
        return {v: (paragraphs[v], len(reports[v])) for v in paragraphs}

    # orders (the documented rules, computed here from the fields)
    def ordered(self, q: str, sort: str, mode: str = "exact", filters: dict | None = None) -> list[str]:
        """Ids of the matching paragraphs in the order of `sort` (see search.backends.base)."""
        found = self.matches(q, mode, filters)
        parsed = parse_query(q)
        newest = self._newest_positions()
        if sort == "relevance" and parsed.root is None:
            sort = "newest"
        if sort == "newest":
            key = lambda u: newest[u.para.id]  # noqa: E731
        elif sort == "oldest":
            oldest = self._oldest_positions()
            key = lambda u: oldest[u.para.id]  # noqa: E731
        else:
            tier = set()
            if mode == "words":
                whole = parse_query(q)
                tier = {u.para.id for u in found if self._eval(_whole(whole.root), "words", u.norm)}

            def key(u: Unit) -> tuple:
                rank = 0 if u.para.kind == "title" else 1 if u.para.kind == "heading" else 2
                return (u.para.id not in tier if tier else False, rank, len(u.norm), newest[u.para.id])
        return [u.para.id for u in sorted(found, key=key)]

    def _doc_sorted(self, direction: int) -> list[Document]:
        def key(d: Document) -> tuple:
            year = d.year or 0
            date = d.date or ""
            return (year == 0, direction * year, date == "", _Dir(date, direction), _source_key(d.source), d.doc_id)
        return sorted(self.documents, key=key)

    def _positions(self, docs: list[Document]) -> dict[str, int]:
        out = {}
        for d in docs:
            for p in sorted(d.paragraphs, key=lambda p: p.ordinal):
                out[p.id] = len(out)
        return out

    def _newest_positions(self) -> dict[str, int]:
        return self._positions(self._doc_sorted(-1))

    def _oldest_positions(self) -> dict[str, int]:
        return self._positions(self._doc_sorted(1))


def _whole(node):
    """The tree with every positive unquoted term matched whole (words mode's first tier)."""
    if isinstance(node, Term):
        return Term(node.text, True, node.words)
    if isinstance(node, Not):
        return node
    if isinstance(node, (And, Or)):
        return type(node)(tuple(_whole(c) for c in node.children))
    return node


class _Dir:
    def __init__(self, value: str, direction: int):
        self.value, self.direction = value, direction

    def __lt__(self, other: "_Dir") -> bool:
        return self.value < other.value if self.direction > 0 else self.value > other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Dir) and self.value == other.value


def _source_key(source: str) -> tuple:
    path, _, part = source.partition("#")
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", path)), int(part) if part.isdigit() else 0
