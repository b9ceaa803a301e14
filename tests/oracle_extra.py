"""Oracle additions for the contract suite: seeded query samples and expected highlight coverage,
computed from the files' paragraphs (`tests.oracle`), never from an index."""

from __future__ import annotations

import random

from search.normalize import normalize_with_offsets
from search.query import parse_query

from .oracle import Oracle

# Characters the query syntax reads: a piece holding them is quoted; a quote inside is text only
# when the parser reads the whole piece as one phrase (checked by `quoted_phrase`).
PUNCTUATION = set("\"'()-:!|&")


def quoted_phrase(piece: str) -> str | None:
    """A query finding `piece` as one exact phrase, or None when the syntax cannot say it."""
    for open_q, close_q in (('"', '"'), ("“", "”"), ("「", "」"), ("'", "'")):
        q = f"{open_q}{piece}{close_q}"
        parsed = parse_query(q)
        if len(parsed.positive) == 1 and parsed.positive[0].quoted and parsed.positive[0].text == piece \
                and not parsed.negative and not parsed.filters:
            return q
    return None


def random_pieces(oracle: Oracle, count: int, seed: int, low: int = 1, high: int = 12) -> list[str]:
    """Seeded substrings (low–high characters) of the corpus's normalized paragraphs, every kind of
    paragraph included (titles, front lines, headings, rows), spaces at the edges stripped."""
    rng = random.Random(seed)
    units = [u for u in oracle.units if u.norm]
    out: list[str] = []
    while len(out) < count:
        unit = rng.choice(units)
        size = rng.randint(low, high)
        start = rng.randrange(0, max(1, len(unit.norm) - size + 1))
        piece = unit.norm[start:start + size].strip(" ")
        if piece:
            out.append(piece)
    return out


def pieces_with(oracle: Oracle, test, count: int, seed: int, size: int = 6) -> list[str]:  # noqa: ANN001
    """Seeded substrings around characters for which `test(char)` holds (punctuation, digits, Latin …)."""
    rng = random.Random(seed)
    spots = [(u.norm, i) for u in oracle.units for i, c in enumerate(u.norm) if test(c)]
    out: list[str] = []
    while spots and len(out) < count:
        text, i = rng.choice(spots)
        a = max(0, i - rng.randint(0, size))
        b = min(len(text), i + 1 + rng.randint(0, size))
        piece = text[a:b].strip(" ")
        if piece:
            out.append(piece)
    return out


def covered(text: str, needles: list[str]) -> set[int]:
    """Source character positions of `text` inside some occurrence of a needle in its normalized form."""
    normalized, origin = normalize_with_offsets(text)
    out: set[int] = set()
    for needle in needles:
        if not needle:
            continue
        start = normalized.find(needle)
        while start != -1:
            out.update(range(origin[start], origin[start + len(needle) - 1] + 1))
            start = normalized.find(needle, start + 1)
    return out


def positions(spans: list[tuple[int, int]]) -> set[int]:
    """Character positions inside a list of [start, end) ranges."""
    return {i for a, b in spans for i in range(a, b)}


class CachedOracle(Oracle):
    """The oracle with its per-document filter decision remembered (the same rule, asked once per document)."""

    def __init__(self, documents):  # noqa: ANN001
        super().__init__(documents)
        self._decisions: dict[tuple, bool] = {}

    def _doc_ok(self, doc, filters, skip=None) -> bool:  # noqa: ANN001
        key = (doc.doc_id, tuple(sorted((k, tuple(v)) for k, v in filters.items())), skip)
        decision = self._decisions.get(key)
        if decision is None:
            decision = self._decisions[key] = super()._doc_ok(doc, filters, skip)
        return decision
