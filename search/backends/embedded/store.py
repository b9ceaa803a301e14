"""The embedded index's storage: runs while building, segments while serving; everything memory-mapped.

A paragraph's normalized text is indexed by its character bigrams (its last character paired with an
end marker, so a single character is always the first half of some key). A phrase's candidates are
the rows holding all of its bigrams; a byte search in the paragraph's UTF-8 text confirms each one,
so answers are exact. Nothing is held in the heap: texts, postings and per-row arrays are files
mapped read-only, so a second process on the same index shares the pages and opening a new
generation does not double the memory.

Building is memory-bounded: units arrive in batches; each batch becomes a *run* on disk (its
(bigram, row) pairs sorted, its texts and per-row arrays); `merge` then streams all runs key range by
key range into one *segment*, dropping rows of documents that were removed on the way. A segment's
postings hold, per bigram, the first row and the gaps to the next rows in the narrowest of 1, 2 or 4
bytes that fits every gap of that bigram (most gaps are small), about a third of plain row numbers.

Files of a segment (all little-endian):
    norm.bin  norm_off.npy      normalized texts, UTF-8, and their byte offsets (n + 1)
    disp.bin  disp_off.npy  disp_first.npy   display texts in zlib blocks: byte offsets, first row of each block
    keys.npy first.npy count.npy start.npy width.npy post.bin   bigram postings (see above)
    units.npy                   per row: doc (local), ordinal, kind, level, parent heading row, id hash, id repeat
    docs.jsonl                  per local document: its record (metadata, first row, rows)
"""

from __future__ import annotations

import json
import mmap
import os
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...models import KINDS

SHIFT = np.uint64(21)  # a code point fits in 21 bits
END = np.uint64((1 << 21) - 1)  # stands after the last character of a paragraph
ROW_MASK = np.uint64((1 << 21) - 1)  # rows of one run fit in 21 bits next to a 42-bit key
MAX_RUN_ROWS = (1 << 21) - 1
BLOCK_CHARS = 2_000  # display texts per compressed block: a hit decompresses ~6 kB (30 µs; 24,000 took 0.3–1 ms)
ZLIB_LEVEL = 3  # measured on reports: 0.42 of the size at 60 MB/s; level 6 gave 0.39 at 30 MB/s
KIND_CODES = {k: i for i, k in enumerate(KINDS)}

UNIT_DTYPE = np.dtype([
    ("doc", "<i4"), ("ordinal", "<i4"), ("length", "<i4"), ("kind", "u1"), ("level", "u1"),
    ("parent", "<i4"), ("pid", "<u4"), ("dup", "<u2"),
])


@dataclass
class UnitIn:
    """A paragraph on its way into a run."""

    doc: int  # local document index within the run
    ordinal: int
    kind: str
    level: int
    parent: int  # local row of the innermost heading above it, -1 when none
    pid: int  # the 32-bit hash part of its id
    dup: int  # 1, or k for the k-th repeat of the same text in one document
    text: str  # display text
    norm: str  # normalized text


def pairs_of(norms: Sequence[str]) -> np.ndarray:
    """Sorted distinct (bigram key << 21 | row) of normalized texts numbered 0 … n-1."""
    lengths = np.fromiter((len(t) for t in norms), dtype=np.int64, count=len(norms))
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.uint64)
    codes = np.frombuffer("".join(norms).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    following = np.empty_like(codes)
    following[:-1] = codes[1:]
    ends = np.cumsum(lengths)[lengths > 0] - 1
    following[ends] = END
    codes <<= SHIFT
    codes |= following
    del following
    codes <<= SHIFT
    codes |= np.repeat(np.arange(len(norms), dtype=np.uint64), lengths)
    # sort + neighbour comparison: numpy 2's np.unique took 7.5 s where this takes 0.06 s (4 M keys)
    codes.sort()
    keep = np.empty(codes.size, dtype=bool)
    keep[0] = True
    np.not_equal(codes[1:], codes[:-1], out=keep[1:])
    return codes[keep]


def _write_blocks(texts: Iterable[str], first_row: int, out, offsets: list[int], firsts: list[int]) -> None:
    """Compress display texts into blocks of about BLOCK_CHARS characters (NUL-separated)."""
    pending: list[str] = []
    size = 0
    row = first_row
    start = first_row
    for text in texts:
        pending.append(text)
        size += len(text) + 1
        row += 1
        if size >= BLOCK_CHARS:
            firsts.append(start)
            out.write(zlib.compress("\x00".join(pending).encode("utf-8"), ZLIB_LEVEL))
            offsets.append(out.tell())
            pending, size, start = [], 0, row
    if pending:
        firsts.append(start)
        out.write(zlib.compress("\x00".join(pending).encode("utf-8"), ZLIB_LEVEL))
        offsets.append(out.tell())


# -- runs ----------------------------------------------------------------------------------------------

@dataclass
class Run:
    """A batch of paragraphs on disk with its sorted bigram pairs (temporary, while building)."""

    folder: Path
    name: str
    rows: int
    docs: list[dict]  # per local document: record with "first" and "rows"

    def path(self, suffix: str) -> Path:
        return self.folder / f"{self.name}.{suffix}"


def write_run(folder: Path, name: str, units: Sequence[UnitIn], docs: list[dict]) -> Run:
    """Write one batch: pairs, normalized and display texts, per-row arrays, document records."""
    if len(units) > MAX_RUN_ROWS:
        raise ValueError("too many paragraphs in one run")
    run = Run(folder, name, len(units), docs)
    np.save(run.path("pairs.npy"), pairs_of([u.norm for u in units]))
    encoded = [u.norm.encode("utf-8") for u in units]
    with open(run.path("norm"), "wb") as out:
        out.write(b"".join(encoded))
    np.save(run.path("norm_off.npy"), np.concatenate(([0], np.cumsum([len(b) for b in encoded]))).astype(np.int64))
    offsets: list[int] = [0]
    firsts: list[int] = []
    with open(run.path("disp"), "wb") as out:
        _write_blocks((u.text for u in units), 0, out, offsets, firsts)
    np.save(run.path("disp_off.npy"), np.array(offsets, dtype=np.int64))
    np.save(run.path("disp_first.npy"), np.array(firsts, dtype=np.int64))
    arr = np.zeros(len(units), dtype=UNIT_DTYPE)
    if units:
        arr["doc"] = [u.doc for u in units]
        arr["ordinal"] = [u.ordinal for u in units]
        arr["length"] = [len(u.norm) for u in units]
        arr["kind"] = [KIND_CODES.get(u.kind, KIND_CODES["paragraph"]) for u in units]
        arr["level"] = [min(u.level, 255) for u in units]
        arr["parent"] = [u.parent for u in units]
        arr["pid"] = [u.pid for u in units]
        arr["dup"] = [min(u.dup, 65535) for u in units]
    np.save(run.path("units.npy"), arr)
    with open(run.path("docs.jsonl"), "w", encoding="utf-8") as out:
        for record in docs:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return run


def remove_run(run: Run) -> None:
    """Delete a run's files."""
    for suffix in ("pairs.npy", "norm", "norm_off.npy", "disp", "disp_off.npy", "disp_first.npy", "units.npy", "docs.jsonl"):
        try:
            run.path(suffix).unlink()
        except FileNotFoundError:
            pass


# -- merging runs into a segment -----------------------------------------------------------------------

CHUNK_PAIRS = 1_000_000  # pairs gathered per key range while merging: bounds the merge's memory


class _RunStream:
    """A run's sorted pairs read forward in a bounded buffer."""

    def __init__(self, reader: "_ArrayReader", block: int):
        self.reader = reader
        self.block = block
        self.pos = 0
        self.buf = np.zeros(0, dtype=np.uint64)

    @property
    def done(self) -> bool:
        """Whether every pair has been taken."""
        return self.buf.size == 0 and self.pos >= self.reader.size

    def fill(self) -> None:
        """Hold at least `block` pairs (or all that remain)."""
        if self.buf.size < self.block and self.pos < self.reader.size:
            end = min(self.pos + self.block - self.buf.size, self.reader.size)
            self.buf = np.concatenate((self.buf, self.reader.read(self.pos, end)))
            self.pos = end

    def last_key(self) -> int | None:
        """The largest key buffered while more remain on disk (None when the buffer holds the rest)."""
        return int(self.buf[-1] >> SHIFT) if self.pos < self.reader.size and self.buf.size else None

    def take_below(self, key: int) -> np.ndarray:
        """Every pair not yet taken whose key is below `key`, reading on as far as needed."""
        parts = []
        while True:
            if self.buf.size == 0:
                if self.pos >= self.reader.size:
                    break
                self.fill()
            cut = int(np.searchsorted(self.buf, np.uint64(key) << SHIFT))
            parts.append(self.buf[:cut])
            self.buf = self.buf[cut:]
            if self.buf.size:
                break
        return np.concatenate(parts) if len(parts) > 1 else (parts[0] if parts else np.zeros(0, dtype=np.uint64))


def _key_ranges(streams: list[_RunStream]) -> Iterator[int]:
    """Upper key bounds of consecutive ranges: each takes what every stream has buffered below its
    smallest incomplete key, so a range holds at most the buffers plus one key's postings."""
    end = 1 << 42  # above every key
    while not all(s.done for s in streams):
        for s in streams:
            s.fill()
        lasts = [k for k in (s.last_key() for s in streams) if k is not None]
        if not lasts:
            yield end
            return
        low = min(int(s.buf[0] >> SHIFT) for s in streams if s.buf.size)
        hi = min(lasts)
        yield hi if hi > low else low + 1  # a key longer than a buffer is taken whole


class _PostingsWriter:
    """Appends postings key by key (in key order), gaps kept in one file per width while writing."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.files = {w: open(folder / f".post{w}.tmp", "wb") for w in (1, 2, 4)}
        self.keys: list[np.ndarray] = []
        self.first: list[np.ndarray] = []
        self.count: list[np.ndarray] = []
        self.start: list[np.ndarray] = []
        self.width: list[np.ndarray] = []

    def add(self, keys: np.ndarray, rows: np.ndarray) -> None:
        """Postings of a key range: `keys` sorted, `rows` ascending within each key."""
        if keys.size == 0:
            return
        boundary = np.empty(keys.size, dtype=bool)
        boundary[0] = True
        np.not_equal(keys[1:], keys[:-1], out=boundary[1:])
        starts = np.flatnonzero(boundary)
        counts = np.diff(np.append(starts, keys.size))
        gaps = np.zeros(rows.size, dtype=np.int64)
        gaps[1:] = rows[1:].astype(np.int64) - rows[:-1].astype(np.int64)
        gaps[starts] = 0  # a key's first row is stored whole, not as a gap
        largest = np.maximum.reduceat(gaps, starts)
        width = np.where(largest < 256, 1, np.where(largest < 65536, 2, 4)).astype(np.uint8)
        start = np.zeros(starts.size, dtype=np.uint64)
        per_row_width = np.repeat(width, counts)
        for w, dtype in ((1, np.uint8), (2, np.uint16), (4, np.uint32)):
            selected = width == w
            if not selected.any():
                continue
            fh = self.files[w]
            base = fh.tell()
            n_gaps = counts[selected] - 1
            start[selected] = base + np.concatenate(([0], np.cumsum(n_gaps[:-1] * w))).astype(np.uint64)
            take = (per_row_width == w) & ~boundary
            fh.write(gaps[take].astype(dtype).tobytes())
        self.keys.append(keys[starts])
        self.first.append(rows[starts].astype(np.uint32))
        self.count.append(counts.astype(np.uint32))
        self.start.append(start)
        self.width.append(width)

    def finish(self) -> None:
        """Concatenate the width files into post.bin and write the key arrays."""
        bases = {}
        with open(self.folder / "post.bin", "wb") as out:
            for w in (1, 2, 4):
                self.files[w].close()
                bases[w] = out.tell()
                tmp = self.folder / f".post{w}.tmp"
                with open(tmp, "rb") as fh:
                    while block := fh.read(1 << 22):
                        out.write(block)
                tmp.unlink()
        cat = (lambda parts, dt: np.concatenate(parts).astype(dt) if parts else np.zeros(0, dt))
        width = cat(self.width, np.uint8)
        start = cat(self.start, np.uint64)
        for w in (1, 2, 4):
            start[width == w] += np.uint64(bases[w])
        np.save(self.folder / "keys.npy", cat(self.keys, np.uint64))
        np.save(self.folder / "first.npy", cat(self.first, np.uint32))
        np.save(self.folder / "count.npy", cat(self.count, np.uint32))
        np.save(self.folder / "start.npy", start)
        np.save(self.folder / "width.npy", width)


def merge(runs: Sequence[Run], live_docs: Sequence[np.ndarray], out: Path) -> list[dict]:
    """Merge runs (in order) into one segment folder `out`, keeping the rows of live documents only.

    `live_docs[i]` is a bool array over run i's local documents. Returns the segment's document records.
    """
    out.mkdir(parents=True, exist_ok=False)
    # New row numbers: the live rows of each run, in order, after those of the runs before it.
    row_maps: list[np.ndarray] = []
    unit_arrays = [np.load(r.path("units.npy"), mmap_mode="r") for r in runs]
    base = 0
    for run, units, live in zip(runs, unit_arrays, live_docs):
        keep = live[units["doc"]] if run.rows else np.zeros(0, dtype=bool)
        mapping = np.full(run.rows + 1, -1, dtype=np.int64)  # index run.rows: "no row" (parent -1)
        mapping[:-1][keep] = base + np.arange(int(keep.sum()))
        base += int(keep.sum())
        row_maps.append(mapping)
    total_rows = base

    # postings, key range by key range; each run is read forward with plain reads (mapping the runs
    # and searching them left every touched page resident: 3.3 GB at ten times lawtext)
    readers = [_ArrayReader(r.path("pairs.npy")) for r in runs]
    block = max(1024, CHUNK_PAIRS // max(1, len(readers)))
    streams = [_RunStream(r, block) for r in readers]
    writer = _PostingsWriter(out)
    for hi in _key_ranges(streams):
        keys_parts, rows_parts = [], []
        for stream, mapping in zip(streams, row_maps):
            chunk = stream.take_below(hi)
            if chunk.size == 0:
                continue
            new_rows = mapping[(chunk & ROW_MASK).astype(np.int64)]
            alive = new_rows >= 0
            keys_parts.append((chunk >> SHIFT)[alive])
            rows_parts.append(new_rows[alive])
        if not keys_parts:
            continue
        keys = np.concatenate(keys_parts)
        rows = np.concatenate(rows_parts)
        order = np.argsort(keys, kind="stable")  # stable: rows stay ascending within a key
        writer.add(keys[order], rows[order])
    writer.finish()
    for reader in readers:
        reader.close()

    # texts and per-row arrays of the live rows
    norm_offsets = [0]
    disp_offsets = [0]
    disp_firsts: list[int] = []
    records: list[dict] = []
    units_out = np.zeros(total_rows, dtype=UNIT_DTYPE)
    doc_base = 0
    with open(out / "norm.bin", "wb") as norm_out, open(out / "disp.bin", "wb") as disp_out:
        for run, units, live, mapping in zip(runs, unit_arrays, live_docs, row_maps):
            keep = mapping[:-1] >= 0
            if not keep.any():
                continue
            new_rows = mapping[:-1][keep]
            offs = np.load(run.path("norm_off.npy"))
            with open(run.path("norm"), "rb") as fh:
                data = fh.read()
            for a, b in _ranges(keep):
                norm_out.write(data[offs[a]:offs[b]])
            sizes = np.diff(offs)[keep]
            norm_offsets.extend((norm_offsets[-1] + np.cumsum(sizes)).tolist())
            del data
            _copy_display(run, keep, mapping, disp_out, disp_offsets, disp_firsts)
            doc_map = np.full(len(live), -1, dtype=np.int64)
            doc_map[live] = doc_base + np.arange(int(live.sum()))
            doc_base += int(live.sum())
            chunk = np.array(units[keep])
            chunk["doc"] = doc_map[chunk["doc"]]
            chunk["parent"] = mapping[np.where(chunk["parent"] >= 0, chunk["parent"], run.rows)]
            units_out[new_rows] = chunk
            for k, record in enumerate(run.docs):
                if live[k]:
                    first = int(mapping[record["first"]]) if record["rows"] else int(new_rows[0])
                    records.append({**record, "first": first})
    np.save(out / "norm_off.npy", np.array(norm_offsets, dtype=np.int64))
    np.save(out / "disp_off.npy", np.array(disp_offsets, dtype=np.int64))
    np.save(out / "disp_first.npy", np.array(disp_firsts, dtype=np.int64))
    np.save(out / "units.npy", units_out)
    with open(out / "docs.jsonl", "w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return records


class _ArrayReader:
    """Slices of a 1-d .npy file read with plain reads (no mapping left behind)."""

    def __init__(self, path: Path):
        self.fh = open(path, "rb")
        version = np.lib.format.read_magic(self.fh)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _fortran, self.dtype = read_header(self.fh)
        self.size = int(shape[0]) if shape else 0
        self.offset = self.fh.tell()

    def read(self, a: int, b: int) -> np.ndarray:
        self.fh.seek(self.offset + a * self.dtype.itemsize)
        return np.fromfile(self.fh, dtype=self.dtype, count=b - a)

    def close(self) -> None:
        self.fh.close()


def _ranges(mask: np.ndarray) -> Iterator[tuple[int, int]]:
    """[start, end) ranges of True in a bool array."""
    padded = np.concatenate(([False], mask, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    for a, b in zip(edges[::2], edges[1::2]):
        yield int(a), int(b)


def _copy_display(run: Run, keep: np.ndarray, mapping: np.ndarray, out, offsets: list[int], firsts: list[int]) -> None:
    """Copy a run's display blocks whose rows all stay; recompress the others without their dead rows."""
    offs = np.load(run.path("disp_off.npy"))
    starts = np.load(run.path("disp_first.npy"))
    ends = np.append(starts[1:], run.rows)
    with open(run.path("disp"), "rb") as fh:
        data = fh.read()
    for b, (a, z) in enumerate(zip(starts.tolist(), ends.tolist())):
        block = data[offs[b]:offs[b + 1]]
        if keep[a:z].all():
            firsts.append(int(mapping[a]))
            out.write(block)
            offsets.append(out.tell())
        elif keep[a:z].any():
            texts = zlib.decompress(block).decode("utf-8").split("\x00")
            kept = [t for t, k in zip(texts, keep[a:z]) if k]
            first = int(mapping[a + int(np.argmax(keep[a:z]))])
            _write_blocks(kept, first, out, offsets, firsts)


# -- reading a segment ---------------------------------------------------------------------------------

def _map(path: Path) -> mmap.mmap | bytes:
    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return b""
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)


class Segment:
    """A merged segment opened read-only; every array is memory-mapped."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.keys = np.load(folder / "keys.npy", mmap_mode="r")
        self.first = np.load(folder / "first.npy", mmap_mode="r")
        self.count = np.load(folder / "count.npy", mmap_mode="r")
        self.start = np.load(folder / "start.npy", mmap_mode="r")
        self.width = np.load(folder / "width.npy", mmap_mode="r")
        self.post = _map(folder / "post.bin")
        self.norm = _map(folder / "norm.bin")
        self.norm_off = np.load(folder / "norm_off.npy", mmap_mode="r")
        self.disp = _map(folder / "disp.bin")
        self.disp_off = np.load(folder / "disp_off.npy", mmap_mode="r")
        self.disp_first = np.load(folder / "disp_first.npy", mmap_mode="r")
        self.units = np.load(folder / "units.npy", mmap_mode="r")
        self.rows = int(self.units.shape[0])
        self._blocks: OrderedDict[int, list[str]] = OrderedDict()
        self._blocks_lock = threading.Lock()
        with open(folder / "docs.jsonl", encoding="utf-8") as fh:
            self.docs = [json.loads(line) for line in fh]

    # postings
    def _postings(self, i: int) -> np.ndarray:
        n = int(self.count[i])
        first = int(self.first[i])
        if n == 1:
            return np.array([first], dtype=np.int64)
        w = int(self.width[i])
        dtype = {1: np.uint8, 2: np.uint16, 4: np.uint32}[w]
        gaps = np.frombuffer(self.post, dtype=dtype, count=n - 1, offset=int(self.start[i])).astype(np.int64)
        out = np.empty(n, dtype=np.int64)
        out[0] = first
        np.cumsum(gaps, out=out[1:])
        out[1:] += first
        return out

    def _key_index(self, key: int) -> int:
        i = int(np.searchsorted(self.keys, np.uint64(key)))
        return i if i < self.keys.shape[0] and int(self.keys[i]) == key else -1

    def bigram_rows(self, key: int) -> np.ndarray:
        """Rows holding one bigram key."""
        i = self._key_index(key)
        return self._postings(i) if i >= 0 else np.zeros(0, dtype=np.int64)

    def bigram_count(self, key: int) -> int:
        """How many rows hold one bigram key."""
        i = self._key_index(key)
        return int(self.count[i]) if i >= 0 else 0

    def _char_rows(self, char: str) -> np.ndarray:
        code = np.uint64(ord(char))
        lo = int(np.searchsorted(self.keys, code << SHIFT))
        hi = int(np.searchsorted(self.keys, (code + np.uint64(1)) << SHIFT))
        if lo == hi:
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate([self._postings(i) for i in range(lo, hi)]))

    def find(self, text: str) -> np.ndarray:
        """Sorted rows whose normalized text contains `text` (normalized, non-empty)."""
        if len(text) == 1:
            return self._char_rows(text)
        codes = [ord(c) for c in text]
        keys = sorted({(a << 21) | b for a, b in zip(codes, codes[1:])}, key=self.bigram_count)
        candidates = self.bigram_rows(keys[0])
        for key in keys[1:]:
            if candidates.size == 0:
                break
            other = self.bigram_rows(key)
            idx = np.searchsorted(other, candidates)
            idx[idx == other.size] = 0
            candidates = candidates[other[idx] == candidates] if other.size else other
        if len(text) == 2 or candidates.size == 0:
            return candidates
        return self._verify(text, candidates)

    def _verify(self, text: str, candidates: np.ndarray) -> np.ndarray:
        needle = text.encode("utf-8")
        offs = self.norm_off
        starts = offs[candidates].tolist()
        ends = offs[candidates + 1].tolist()
        find = self.norm.find
        keep = [find(needle, a, b) != -1 for a, b in zip(starts, ends)]
        return candidates[np.array(keep, dtype=bool)]

    # texts
    def norm_text(self, row: int) -> str:
        """The normalized text of a row."""
        return bytes(self.norm[int(self.norm_off[row]):int(self.norm_off[row + 1])]).decode("utf-8")

    def display(self, row: int) -> str:
        """The text of a row as the reader sees it."""
        b = int(np.searchsorted(self.disp_first, row, side="right")) - 1
        with self._blocks_lock:
            texts = self._blocks.get(b)
            if texts is not None:
                self._blocks.move_to_end(b)
        if texts is None:
            raw = self.disp[int(self.disp_off[b]):int(self.disp_off[b + 1])]
            texts = zlib.decompress(raw).decode("utf-8").split("\x00")
            with self._blocks_lock:
                self._blocks[b] = texts
                while len(self._blocks) > 64:
                    self._blocks.popitem(last=False)
        return texts[row - int(self.disp_first[b])]
