"""Character fingerprints of normalized paragraphs, in numpy: what two texts must share to be compared.

Punctuation and spaces are left out before anything is hashed (a copier who turns "，" into "、" has
still copied), so a *k-gram* is k consecutive letters, digits or Chinese characters of one paragraph.
Every k-gram gets a 64-bit hash; *winnowing* (Schleimer, Wilkerson, Aiken 2003) keeps the smallest
hash of every window of W consecutive k-grams, and the smallest of each paragraph. Two texts sharing a
run of at least W + K - 1 such characters therefore share at least one fingerprint, and about one
k-gram in (W + 1) / 2 is kept. A fingerprint remembers where its k-gram starts and ends in the
paragraph's *normalized* text (punctuation included), the coordinates marks are given in.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

K = 8  # characters per k-gram: 8 Chinese characters rarely repeat by chance outside set phrases
W = 8  # k-grams per window: any shared run of W + K - 1 = 15 characters is seen
NEAR = 0.9  # `similarity` from which two paragraphs are "the same or near-identical"
_PRIME = np.uint64(0x100000001B3)
_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)

# 14 bytes a fingerprint: the upper half of the k-gram's hash (4.7 million distinct ones in lawtext
# leave 32 bits nearly free of collisions, and a stray one makes no passage alone), its paragraph's
# number, where the k-gram starts in the normalized text and how long it is there.
POSTING_DTYPE = np.dtype([("hash", "<u4"), ("para", "<u4"), ("start", "<u4"), ("span", "<u2")])


@lru_cache(maxsize=1)
def _word_table() -> np.ndarray:
    """Per BMP code point: is it a letter or a digit (kept), not punctuation, space or a symbol."""
    table = np.zeros(0x10000, dtype=bool)
    for cp in range(0x10000):
        cat = unicodedata.category(chr(cp))
        table[cp] = cat[0] in "LN"
    return table


def codes_of(text: str) -> np.ndarray:
    """The code points of a string as uint32."""
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def word_mask(codes: np.ndarray) -> np.ndarray:
    """True where a code point is a letter or digit (astral characters count as letters)."""
    table = _word_table()
    if codes.size and int(codes.max()) < 0x10000:
        return table[codes]
    out = np.ones(codes.size, dtype=bool)
    bmp = codes < 0x10000
    out[bmp] = table[codes[bmp]]
    return out


def stripped(text: str) -> str:
    """A normalized text without its punctuation and spaces."""
    codes = codes_of(text)
    return codes[word_mask(codes)].tobytes().decode("utf-32-le")


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: spreads polynomial hashes so window minima are random positions."""
    h = h ^ (h >> np.uint64(30))  # a new array: the argument is left as it is
    t = h >> np.uint64(27)  # the others in place: fewer passes over memory
    h *= np.uint64(0xBF58476D1CE4E5B9)
    np.right_shift(h, np.uint64(27), out=t)
    h ^= t
    h *= np.uint64(0x94D049BB133111EB)
    np.right_shift(h, np.uint64(31), out=t)
    h ^= t
    return h


@dataclass
class Batch:
    """Many paragraphs at once: their letters end to end, with where each came from."""

    letters: np.ndarray  # uint64 code points of the kept characters, paragraph after paragraph
    kept: np.ndarray  # per kept character: its position in the texts end to end
    starts: np.ndarray  # per paragraph: where its text starts in the texts end to end
    numbers: np.ndarray  # per paragraph: its number (as given)
    bounds: np.ndarray  # per paragraph (in the order given): first kept character, and the end (n + 1)
    keep: np.ndarray  # per character of the texts end to end: is it kept (a letter or a digit)

    def paragraph_of(self, positions: np.ndarray) -> np.ndarray:
        """Index (in the order given) of the paragraph of some kept characters."""
        return np.searchsorted(self.bounds, positions, side="right") - 1

    @property
    def para(self) -> np.ndarray:
        """Per kept character: the paragraph's number."""
        return np.repeat(np.asarray(self.numbers, dtype=np.uint32), np.diff(self.bounds))

    @property
    def origin(self) -> np.ndarray:
        """Per kept character: its offset in its paragraph's normalized text."""
        return (self.kept - np.repeat(self.starts, np.diff(self.bounds))).astype(np.uint32)


def batch(texts: Sequence[str], numbers: np.ndarray) -> Batch:
    """Letters of normalized `texts` (paragraph `numbers[i]` is `texts[i]`)."""
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    return batch_of_codes(codes_of("".join(texts)), lengths, numbers)


def batch_of_codes(codes: np.ndarray, lengths: np.ndarray, numbers: np.ndarray) -> Batch:
    """`batch` from the code points of the texts end to end and each text's length."""
    lengths = np.asarray(lengths, dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    keep = word_mask(codes)
    kept = np.flatnonzero(keep)
    bounds = np.searchsorted(kept, np.r_[starts, codes.size]) if lengths.size else np.zeros(1, np.int64)
    return Batch(codes[kept].astype(np.uint64), kept, starts, np.asarray(numbers), bounds, keep)


def text_keys(b: Batch, codes: np.ndarray) -> np.ndarray:
    """Per paragraph of a batch: a 64-bit hash of its other characters (punctuation, spaces) and where they are.

    With `text_hashes` (its letters) and its length it names the paragraph's normalized text: texts
    with the same three are taken as equal (a false match among a billion texts has a chance of
    about 10^-20), and the build computes passages once for a set of identical paragraphs.
    """
    out = np.zeros(b.bounds.size - 1, dtype=np.uint64)
    other = np.flatnonzero(~b.keep)
    if other.size == 0 or out.size == 0:
        return out
    owner = np.searchsorted(b.starts, other, side="right") - 1
    position = (other - b.starts[owner]).astype(np.uint64)
    with np.errstate(over="ignore"):
        terms = _mix(codes[other].astype(np.uint64) ^ (position << np.uint64(21)) ^ np.uint64(0x243F6A8885A308D3))
    first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    out[owner[first]] = np.add.reduceat(terms, first)
    return out


def kgram_hashes(b: Batch, k: int = K) -> tuple[np.ndarray, np.ndarray]:
    """Hash of the k-gram starting at every kept character, and whether it lies inside one paragraph.

    The polynomial sum(letters[i + j] · PRIME^(k-1-j)) is built by doubling (two letters, four, eight),
    three steps for k = 8; only the hashes of k-grams inside one paragraph are meaningful.
    """
    n = b.letters.size
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        if k & (k - 1) == 0 and n >= k:
            acc, width, power = b.letters, 1, _PRIME
            while width < k:
                acc = acc[:-width] * power + acc[width:]
                width, power = width * 2, power * power
            h[:acc.size] = acc
        else:
            for j in range(k):
                h *= _PRIME
                h[: n - j] += b.letters[j:]
        h = _mix(h)
    # a k-gram starting in the last k - 1 letters of its paragraph runs into the next one
    ends = b.bounds[1:]
    cut = np.maximum(b.bounds[:-1], ends - (k - 1))
    edge = np.cumsum(np.bincount(cut, minlength=n + 1) - np.bincount(ends, minlength=n + 1))[:n]
    return h, edge == 0


def _sliding(x: np.ndarray, w: int, op: np.ufunc, fill: np.generic) -> np.ndarray:
    """op (minimum or maximum) of every window of w consecutive values, by doubling: log2(w) steps."""
    width, acc = 1, x
    while width * 2 <= w:
        acc = op(acc[:-width], acc[width:])
        width *= 2
    if width < w:  # windows of `width` overlapping to cover w
        acc = op(acc[:acc.size - (w - width)], acc[w - width:])
    return acc


def fingerprints(b: Batch, k: int = K, w: int = W) -> np.ndarray:
    """Winnowed fingerprints of a batch, as POSTING_DTYPE rows (start/end in normalized offsets)."""
    h64, valid = kgram_hashes(b, k)
    h = (h64 >> np.uint64(32)).astype(np.uint32)  # the half that is stored is the half that is compared
    del h64
    n = h.size
    if not valid.any():
        return np.zeros(0, dtype=POSTING_DTYPE)
    top = np.uint32(0xFFFFFFFF)
    masked = np.where(valid, h, top)
    selected = np.zeros(n, dtype=bool)
    if n >= w:
        # k-gram i is some window's minimum iff it equals the largest of the minima of the windows
        # that contain it (each of those minima is at most its hash)
        minima = _sliding(masked, w, np.minimum, top)
        padded = np.concatenate([np.zeros(w - 1, dtype=np.uint32), minima, np.zeros(w - 1, dtype=np.uint32)])
        covering = _sliding(padded, w, np.maximum, np.uint32(0))[:n]
        selected = (covering == masked) & valid
    # the smallest k-gram of each paragraph, so a paragraph shorter than a window has one too
    sizes = np.diff(b.bounds)
    nonempty = sizes > 0
    smallest = np.minimum.reduceat(masked, b.bounds[:-1][nonempty]) if nonempty.any() else masked[:0]
    per_char = np.repeat(smallest, sizes[nonempty])
    selected |= (masked == per_char) & valid
    pos = np.flatnonzero(selected)
    owner = b.paragraph_of(pos)
    start = b.kept[pos] - b.starts[owner]
    out = np.empty(pos.size, dtype=POSTING_DTYPE)
    out["hash"] = h[pos]
    out["para"] = np.asarray(b.numbers, dtype=np.uint32)[owner]
    out["start"] = start
    out["span"] = np.minimum(b.kept[pos + k - 1] - b.kept[pos] + 1, 65535)
    return out


def take(rows: np.ndarray, index: np.ndarray) -> np.ndarray:
    """rows[index] for a structured array, copied as opaque records (several times faster than field by field)."""
    rows = np.ascontiguousarray(rows)
    return rows.view(f"V{rows.dtype.itemsize}")[index].view(rows.dtype)


def stable_order(keys: np.ndarray) -> np.ndarray:
    """A stable argsort of uint32 keys by two radix passes of 16 bits (about twice as fast as timsort)."""
    low = (keys & 0xFFFF).astype(np.uint16)
    order = np.argsort(low, kind="stable")
    high = (keys[order] >> 16).astype(np.uint16)
    return order[np.argsort(high, kind="stable")]


def text_hashes(b: Batch) -> np.ndarray:
    """Per paragraph of a batch: a 64-bit hash of its letters (equal letters, equal hash)."""
    n = b.letters.size
    out = np.zeros(b.bounds.size - 1, dtype=np.uint64)
    if n == 0:
        return out
    sizes = np.diff(b.bounds)
    position = np.arange(n, dtype=np.uint64) - np.repeat(b.bounds[:-1], sizes).astype(np.uint64)
    with np.errstate(over="ignore"):
        terms = _mix(b.letters ^ (position << np.uint64(21)) ^ np.uint64(0x9E3779B97F4A7C15))
    nonempty = sizes > 0
    out[nonempty] = np.add.reduceat(terms, b.bounds[:-1][nonempty])
    return out


def similarity(a: str, b: str) -> float:
    """How alike two normalized paragraphs are, 0…1: difflib's ratio 2·M / (|a| + |b|) over their letters.

    M counts the characters of the matching blocks, so a few changed characters cost a few
    characters: a 150-character paragraph with three characters changed and its city renamed scores
    0.97. (Jaccard of 5-gram shingles, the usual alternative, loses five shingles per changed
    character and drops that paragraph to 0.76.) Punctuation and spaces are left out.
    """
    x, y = stripped(a), stripped(b)
    if x == y:
        return 1.0
    if not x or not y:
        return 0.0
    import difflib

    matcher = difflib.SequenceMatcher(None, x, y, autojunk=False)
    if matcher.real_quick_ratio() < NEAR or matcher.quick_ratio() < NEAR:
        return matcher.quick_ratio()
    return matcher.ratio()
