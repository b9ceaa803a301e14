"""Exact substring lookup: a character-bigram index over normalized paragraphs, verified by `in`.

Every paragraph's set of bigrams (plus its last character, paired with an end marker, so a single
character is always the start of some key) is kept as CSR arrays: sorted keys, offsets, and the
row numbers of the paragraphs holding each key. A phrase's candidates are the intersection of its
rarest bigrams' rows; a final `phrase in text` check on the candidates makes the answer exact.
This is what Whoosh's per-token postings could not do fast enough in pure Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

_SHIFT = np.uint64(21)  # a code point fits in 21 bits
_END = np.uint64((1 << 21) - 1)  # stands after the last character of a paragraph
_TEXTS = "texts.txt"
_KEYS = "bigram_keys.npy"
_OFFSETS = "bigram_offsets.npy"
_ROWS = "bigram_rows.npy"
_COUNTS = "bigram_counts.npy"


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)


def _keys(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys of a text and how often each occurs (term frequencies for ranking)."""
    codes = _codes(text)
    if codes.size == 0:
        return codes, np.zeros(0, dtype=np.int64)
    following = np.append(codes[1:], _END)
    return np.unique((codes << _SHIFT) | following, return_counts=True)


class SubstringIndex:
    """Rows (paragraph numbers) whose normalized text contains a string."""

    def __init__(
        self, texts: list[str], keys: np.ndarray, offsets: np.ndarray, rows: np.ndarray, counts: np.ndarray
    ):
        self.texts = texts
        self.keys = keys
        self.offsets = offsets
        self.rows = rows
        self.counts = counts  # occurrences of the key in the row, capped at 65535
        self.lengths = np.fromiter((len(t) for t in texts), dtype=np.int32, count=len(texts))

    @classmethod
    def build(cls, texts: Sequence[str]) -> "SubstringIndex":
        """Index normalized paragraph texts, numbered by their position in `texts`."""
        per_row = [_keys(t) for t in texts]
        sizes = np.fromiter((k.size for k, _ in per_row), dtype=np.int64, count=len(per_row))
        if per_row:
            all_keys = np.concatenate([k for k, _ in per_row])
            all_counts = np.minimum(np.concatenate([c for _, c in per_row]), 65535).astype(np.uint16)
        else:
            all_keys, all_counts = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint16)
        del per_row
        all_rows = np.repeat(np.arange(len(texts), dtype=np.int32), sizes)
        order = np.argsort(all_keys, kind="stable")  # stable: rows stay ascending within a key
        all_keys = all_keys[order]
        all_rows = all_rows[order]
        all_counts = all_counts[order]
        del order
        keys, starts = np.unique(all_keys, return_index=True)
        offsets = np.append(starts, all_keys.size).astype(np.int64)
        return cls(list(texts), keys, offsets, all_rows, all_counts)

    def save(self, folder: Path) -> None:
        """Write the arrays and texts into `folder`."""
        (folder / _TEXTS).write_text("\n".join(self.texts), encoding="utf-8")
        np.save(folder / _KEYS, self.keys)
        np.save(folder / _OFFSETS, self.offsets)
        np.save(folder / _ROWS, self.rows)
        np.save(folder / _COUNTS, self.counts)

    @classmethod
    def load(cls, folder: Path, count: int) -> "SubstringIndex":
        """Read what `save` wrote for `count` rows (normalized text never holds a newline)."""
        texts = (folder / _TEXTS).read_text(encoding="utf-8").split("\n")[:count] if count else []
        keys = np.load(folder / _KEYS)
        offsets = np.load(folder / _OFFSETS)
        rows = np.load(folder / _ROWS, mmap_mode="r")
        counts = np.load(folder / _COUNTS, mmap_mode="r")
        return cls(texts, keys, offsets, rows, counts)

    def _span(self, key: np.uint64) -> tuple[int, int]:
        i = int(np.searchsorted(self.keys, key))
        if i >= self.keys.size or self.keys[i] != key:
            return 0, 0
        return int(self.offsets[i]), int(self.offsets[i + 1])

    def _postings(self, key: np.uint64) -> np.ndarray:
        start, end = self._span(key)
        return np.asarray(self.rows[start:end])

    def _starting_with(self, char: str) -> np.ndarray:
        code = np.uint64(ord(char))
        lo = int(np.searchsorted(self.keys, code << _SHIFT))
        hi = int(np.searchsorted(self.keys, (code + np.uint64(1)) << _SHIFT))
        if lo == hi:
            return np.zeros(0, dtype=np.int32)
        return np.unique(np.asarray(self.rows[self.offsets[lo] : self.offsets[hi]]))

    def find(self, text: str) -> np.ndarray:
        """Sorted rows whose text contains `text` (already normalized)."""
        if not text:
            return np.zeros(0, dtype=np.int32)
        if len(text) == 1:
            return self._starting_with(text)
        codes = _codes(text)
        keys = np.unique((codes[:-1] << _SHIFT) | codes[1:])
        lists = sorted((self._postings(k) for k in keys), key=len)
        candidates = lists[0]
        for other in lists[1:]:
            if candidates.size == 0:
                break
            # Intersect with the rarest lists first; a few suffice before checking the text itself.
            if candidates.size * 8 < other.size and len(text) > 2:
                break
            candidates = np.intersect1d(candidates, other, assume_unique=True)
        if len(text) == 2 or candidates.size == 0:
            return candidates.astype(np.int32)
        texts = self.texts
        return np.fromiter((r for r in candidates.tolist() if text in texts[r]), dtype=np.int32)

    def document_frequency(self, text: str) -> int:
        """Paragraphs holding `text`: exact for two characters, beyond that its rarest bigram's count.

        An upper bound that needs no `in` check, for BM25's idf: checking ~15,000 candidates of a
        frequent word such as 高质量 only to weigh it cost as much as answering the query.
        """
        codes = _codes(text)
        if codes.size < 2:
            return 0
        spans = (self._span(k) for k in np.unique((codes[:-1] << _SHIFT) | codes[1:]))
        return min(end - start for start, end in spans)

    def frequency(self, text: str, rows: np.ndarray) -> np.ndarray:
        """Estimated occurrences of `text` in each of the sorted `rows`: the least count of its bigrams.

        Exact for two characters and an upper bound beyond; a single character counts once.
        """
        tf = np.ones(rows.size, dtype=np.int32)
        if len(text) < 2 or rows.size == 0:
            return tf
        codes = _codes(text)
        tf[:] = np.iinfo(np.int32).max
        for key in np.unique((codes[:-1] << _SHIFT) | codes[1:]):
            start, end = self._span(key)
            posting = np.asarray(self.rows[start:end])
            idx = np.searchsorted(posting, rows)
            idx_ok = np.minimum(idx, max(posting.size - 1, 0))
            found = (idx < posting.size) & (posting[idx_ok] == rows) if posting.size else np.zeros(rows.size, bool)
            counts = np.where(found, np.asarray(self.counts[start:end])[idx_ok] if posting.size else 0, 0)
            np.minimum(tf, counts, out=tf)
        return tf
