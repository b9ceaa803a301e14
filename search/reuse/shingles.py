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
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


@dataclass
class Batch:
    """Many paragraphs at once: their letters end to end, with where each came from."""

    letters: np.ndarray  # uint64 code points of the kept characters, paragraph after paragraph
    origin: np.ndarray  # per kept character: its offset in its paragraph's normalized text
    para: np.ndarray  # per kept character: the paragraph's number (as given)
    bounds: np.ndarray  # per paragraph (in the order given): first kept character, and the end (n + 1)


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
    running = np.zeros(codes.size + 1, dtype=np.int64)
    np.cumsum(keep, out=running[1:])
    bounds = np.concatenate([running[starts], running[-1:]]) if lengths.size else np.zeros(1, np.int64)
    sizes = np.diff(bounds)
    # per kept character: its offset in its paragraph's normalized text, and the paragraph's number
    origin = (kept - np.repeat(starts, sizes)).astype(np.uint32)
    owner = np.repeat(np.asarray(numbers, dtype=np.uint32), sizes)
    return Batch(codes[kept].astype(np.uint64), origin, owner, bounds)


def text_keys(codes: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per text (code points end to end): two independent 64-bit hashes of its whole normalized text.

    Texts with equal keys and lengths are taken as equal (a false match among a billion texts has a
    chance of about 10^-20): the build computes passages once for a set of identical paragraphs.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    one = np.zeros(lengths.size, dtype=np.uint64)
    two = np.zeros(lengths.size, dtype=np.uint64)
    nonempty = lengths > 0
    if not nonempty.any():
        return one, two
    starts = np.cumsum(lengths) - lengths
    position = (np.arange(codes.size, dtype=np.int64) - np.repeat(starts, lengths)).astype(np.uint64)
    c = codes.astype(np.uint64)
    with np.errstate(over="ignore"):
        a = _mix(c ^ (position << np.uint64(24)) ^ np.uint64(0x243F6A8885A308D3))
        b = _mix((c * np.uint64(0x9E3779B97F4A7C15)) ^ _mix(position + np.uint64(0x13198A2E03707344)))
        one[nonempty] = np.add.reduceat(a, starts[nonempty])
        two[nonempty] = np.add.reduceat(b, starts[nonempty])
    return one, two


def kgram_hashes(b: Batch, k: int = K) -> tuple[np.ndarray, np.ndarray]:
    """Hash of the k-gram starting at every kept character, and whether it lies inside one paragraph."""
    n = b.letters.size
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h *= _PRIME
            h[: n - j] += b.letters[j:]
        h = _mix(h)
    valid = np.zeros(n, dtype=bool)
    if n >= k:
        valid[: n - k + 1] = b.para[: n - k + 1] == b.para[k - 1:]
    return h, valid


def _sliding(x: np.ndarray, w: int, op: np.ufunc, fill: np.generic) -> np.ndarray:
    """op (minimum or maximum) of every window of w consecutive values (van Herk / Gil-Werman, O(n))."""
    n = x.size
    blocks = -(-n // w)
    padded = np.full(blocks * w, fill, dtype=x.dtype)
    padded[:n] = x
    grid = padded.reshape(blocks, w)
    prefix = op.accumulate(grid, axis=1).ravel()
    suffix = op.accumulate(grid[:, ::-1], axis=1)[:, ::-1].ravel()
    return op(suffix[: n - w + 1], prefix[w - 1: n])


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
    out = np.empty(pos.size, dtype=POSTING_DTYPE)
    out["hash"] = h[pos]
    out["para"] = b.para[pos]
    out["start"] = b.origin[pos]
    out["span"] = np.minimum(b.origin[pos + k - 1] + 1 - b.origin[pos], 65535)
    return out


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
