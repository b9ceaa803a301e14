"""Near-duplicate reports: the same report saved twice, under two names, in two formats, with other furniture.

Byte hashes miss these (whitespace, wrapping, page furniture and format differ), so documents are
compared on their normalized body text (headings, paragraphs, table rows, joined without separators,
so a different wrapping gives the same stream). Each document gets a small **signature**: a
one-permutation MinHash of its character 5-gram shingles (numpy, vectorised, linear in the text):

    8 bytes   hash of the whole normalized text (exact copies, and short texts)
    4 bytes   length of the normalized text
    512 bytes 128 bins × uint32, the minimum shingle hash per bin (0xFFFFFFFF = empty bin)

Two signatures estimate the Jaccard similarity of the shingle sets as the share of equal bins (among
bins filled in both). Candidates are found by LSH banding (32 bands of 4 bins): one dictionary lookup per
band, so the cost of `Deduper.offer` does not grow with a scan of all documents, and memory is the
signature plus 32 band keys per document. Everything is deterministic (no random seeds: the hash
constants are fixed).

`THRESHOLD` was set on lawtext (see tests/test_ingest_dedupe.py; measured on 1,587 consecutive pairs): copies of one report score ≥ 0.9
(different furniture or format included), reports of one place in consecutive years ≤ 0.2 (median 0.07), the 26
anonymized reports of the sample compilation ≤ 0.09.

The indexer calls, in file order:

    deduper = Deduper()
    deduper.seed(doc_id, source, signature, agreement)   # for every document already in the index
    decision = deduper.offer(doc)                        # for every new document
    # decision.kind: "new" (index it), "duplicate" (skip it: decision.other_* is kept),
    # "replaces" (index it and drop decision.other_doc_id, a worse copy); store decision.signature
    # and decision.agreement with the document so a later run can seed them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import numpy as np

from ..models import Document
from ..normalize import normalize

SHINGLE = 5
BINS = 128
BANDS = 32
ROWS = BINS // BANDS
EMPTY = np.uint32(0xFFFFFFFF)
THRESHOLD = 0.7  # estimated Jaccard at or above which two documents are copies of one report
_HEADER = 12
SIGNATURE_BYTES = _HEADER + 4 * BINS
# kinds whose text is the report itself (title and front lines vary with the source, notes may be absent)
BODY_KINDS = ("heading", "paragraph", "row")
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_BASE = np.uint64(0x100000001B3)


def body_text(doc: Document) -> str:
    """The normalized text a signature is made of."""
    return "".join(normalize(p.text) for p in doc.paragraphs if p.kind in BODY_KINDS)


def _shingle_hashes(text: str) -> np.ndarray:
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(codes) - SHINGLE + 1
    if n <= 0:
        codes = np.concatenate([codes, np.zeros(SHINGLE - len(codes), dtype=np.uint64)])
        n = 1
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(SHINGLE):
            h = h * _BASE + codes[j:j + n]  # polynomial hash, wrapping mod 2**64
        # splitmix64 finaliser: spreads the bits so bins and values are independent
        h ^= h >> np.uint64(30)
        h *= _MIX1
        h ^= h >> np.uint64(27)
        h *= _MIX2
        h ^= h >> np.uint64(31)
    return h


def signature_of_text(text: str) -> bytes:
    """The signature of an already normalized text (see the module docstring for its layout)."""
    bins = np.full(BINS, EMPTY, dtype=np.uint32)
    if text:
        h = _shingle_hashes(text)
        index = (h >> np.uint64(57)).astype(np.intp)  # top 7 bits: the bin
        values = (h & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        values[values == EMPTY] = EMPTY - 1
        np.minimum.at(bins, index, values)
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return digest + len(text).to_bytes(4, "little") + bins.astype("<u4").tobytes()


def signature(doc: Document) -> bytes:
    """A document's signature: a few hundred bytes, the same for the same text on every run."""
    return signature_of_text(body_text(doc))


def _bins(sig: bytes) -> np.ndarray:
    return np.frombuffer(sig, dtype="<u4", offset=_HEADER, count=BINS)


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two documents' shingle sets (1.0 for identical texts)."""
    if a[:8] == b[:8]:
        return 1.0
    x, y = _bins(a), _bins(b)
    both = (x != EMPTY) & (y != EMPTY)
    filled = int(both.sum())
    if filled < BINS // 4:
        return 0.0  # too little text on one side to say (identical short texts matched above)
    return float((x[both] == y[both]).sum()) / filled


_FILE_YEAR = re.compile(r"(?:^|/)((?:19|20)\d{2})(?:[^/\d][^/]*)?$")


def agreement(doc: Document) -> int:
    """How well a document's metadata agrees with its own text: +1 per source that agrees on the year, −1 per one that does not.

    Sources: the work-plan heading, the delivery date, the title's year and the file name's year.
    Between two copies of one report the one with the higher score is kept.
    """
    from .metadata import _title_year, date_year, text_year

    if not doc.year:
        return -1
    score = 0
    planned, _ = text_year([p.text for p in doc.paragraphs if p.kind == "heading"])
    delivered = int(doc.date[:4]) if doc.date else None
    title_year = _title_year(doc.title)
    m = _FILE_YEAR.search(doc.source.split("#", 1)[0].rsplit(".", 1)[0])
    checks = [
        planned,
        date_year(doc.date, plans_next=bool(doc.date) and doc.year == int(doc.date[:4]) + 1),
        None if title_year == delivered else title_year,
        int(m.group(1)) if m else None,
    ]
    for year in checks:
        if year:
            score += 1 if year == doc.year else -1
    return score


@dataclass(frozen=True)
class Decision:
    """What to do with an offered document."""

    kind: str  # new | duplicate | replaces
    other_doc_id: str = ""  # the copy it duplicates or replaces
    other_source: str = ""
    reason: str = ""  # Chinese, for the index summary
    signature: bytes = b""  # store with the document to seed a later run
    agreement: int = 0
    similarity: float = 0.0


@dataclass
class _Entry:
    doc_id: str
    source: str
    signature: bytes
    agreement: int
    identity: tuple = ()


def identity(doc: Document | dict) -> tuple:
    """Who delivered a report and for which year: (province, city, county, year)."""
    get = doc.get if isinstance(doc, dict) else (lambda k, d=None: getattr(doc, k, d))
    return tuple(str(get(k) or "") for k in ("province", "city", "county", "year"))


def _compatible(a: tuple, b: tuple) -> bool:
    # Near-identical text under two places (or two years) is one report copied into another — text
    # reuse to show, not a duplicate to drop: 11 template fixtures differing only by place scored 0.9.
    return all(x == y or not x or not y for x, y in zip(a, b))


@dataclass
class Deduper:
    """Streaming near-duplicate detection over documents offered in file order (see the module docstring)."""

    threshold: float = THRESHOLD
    _entries: dict[str, _Entry] = field(default_factory=dict)
    _bands: dict[tuple[int, bytes], list[str]] = field(default_factory=dict)

    def _band_keys(self, sig: bytes) -> list[tuple[int, bytes]]:
        raw = sig[_HEADER:]
        keys = []
        for k in range(BANDS):
            chunk = raw[4 * ROWS * k: 4 * ROWS * (k + 1)]
            if chunk != b"\xff" * len(chunk):
                keys.append((k, chunk))
        return keys

    def _add(self, entry: _Entry) -> None:
        self._entries[entry.doc_id] = entry
        for key in [(-1, entry.signature[:8])] + self._band_keys(entry.signature):
            self._bands.setdefault(key, []).append(entry.doc_id)

    def forget(self, doc_id: str) -> None:
        """Drop a document (deleted from the index, or replaced)."""
        entry = self._entries.pop(doc_id, None)
        if entry is None:
            return
        for key in [(-1, entry.signature[:8])] + self._band_keys(entry.signature):
            ids = self._bands.get(key)
            if ids and doc_id in ids:
                ids.remove(doc_id)
                if not ids:
                    del self._bands[key]

    def seed(self, doc_id: str, source: str, signature: bytes, agreement: int, who: tuple = ()) -> None:
        """Register a document already in the index (`who`: its `identity`)."""
        if len(signature) != SIGNATURE_BYTES:
            raise ValueError(f"signature of {SIGNATURE_BYTES} bytes expected, got {len(signature)}")
        self.forget(doc_id)
        self._add(_Entry(doc_id, source, signature, agreement, who))

    def best_match(self, sig: bytes, who: tuple = ()) -> tuple[_Entry | None, float]:
        """The registered document of a compatible place and year most similar to a signature, at or above the threshold."""
        seen: set[str] = set()
        best: _Entry | None = None
        best_sim = 0.0
        for key in [(-1, sig[:8])] + self._band_keys(sig):
            for doc_id in self._bands.get(key, ()):
                if doc_id in seen:
                    continue
                seen.add(doc_id)
                entry = self._entries[doc_id]
                if not _compatible(who, entry.identity):
                    continue
                sim = similarity(sig, entry.signature)
                # ties go to the earlier document (insertion order), so the answer is deterministic
                if sim >= self.threshold and sim > best_sim:
                    best, best_sim = entry, sim
        return best, best_sim

    def offer(self, doc: Document) -> Decision:
        """Decide about a new document and remember it unless it is a duplicate."""
        return self.offer_signature(doc.doc_id, doc.source, signature(doc), agreement(doc), identity(doc))

    def offer_signature(self, doc_id: str, source: str, sig: bytes, score: int, who: tuple = ()) -> Decision:
        """`offer` for a document known by its signature, agreement and identity (computed where it was read)."""
        other, sim = self.best_match(sig, who)
        if other is None or other.doc_id == doc_id:
            self.seed(doc_id, source, sig, score, who)
            return Decision("new", signature=sig, agreement=score)
        if score > other.agreement:
            reason = (f"与 {other.source} 为同一报告（相似度 {sim:.2f}），本份的元数据与正文更一致"
                      f"（{score} 比 {other.agreement}），取代之")
            self.forget(other.doc_id)
            self._add(_Entry(doc_id, source, sig, score, who))
            return Decision("replaces", other.doc_id, other.source, reason, sig, score, sim)
        reason = f"与 {other.source} 为同一报告（相似度 {sim:.2f}），保留先到且元数据不差的那份"
        return Decision("duplicate", other.doc_id, other.source, reason, sig, score, sim)
