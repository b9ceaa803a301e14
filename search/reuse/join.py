"""Fingerprints joined with themselves by hash: one sort-merge of every part's and every new batch's.

Every input is a fingerprint array sorted by hash (a stored part's `fp.npy`, a new batch's file, or
the few rows of a stored part that a small addition needs). A hash range of all inputs is read at a
time and merged; in it every hash's *group* is the run of rows holding it, and its size is the
hash's df (how many fingerprints hold it, dead reports' included until they are compacted away).
From each range the join

- writes the new rows to the new part's `fp.npy`, in place (so ranges can be joined by several
  processes at once), with a sparse table of every BLOCK-th hash beside it;
- counts, per new paragraph, its fingerprints and how many of them are formula phrases (df > T);
- writes the *seeds* of the range: for every group of 2 ≤ df ≤ T, every pair of its rows from
  paragraphs x (new) and y (earlier report, alive, not a formula paragraph). Identical paragraphs
  (same normalized text, same fingerprints: `build._classes`) are one *class*, and only its
  representative's rows take part, so a text copied into ten reports is joined once; which member
  pairs a class pair stands for is worked out after chaining (`work.expand`).

Seeds are written sorted by x's block of BLOCKS_OF paragraphs, in runs with a count per block, so that the passages
of a range of x paragraphs can be computed from all runs at once (`work.passages_task`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import passages as pas
from . import shingles

BLOCK = 512  # rows of a fingerprint file per entry of its sparse table (7 KB read to find a hash)
MERGE_ROWS = 500_000  # rows of all inputs merged at once (~60 bytes each with their group arrays)
MAX_PAIRS = 1_000_000  # row pairs formed at once (~100 bytes each until they are seeds)
RUN_SEEDS = 1_000_000  # seeds sorted by x's block and written at once (28 bytes each, three copies)
BLOCKS_OF = 256  # paragraphs per count in a seed run's table
HASHES = 1 << 32
ROW = shingles.POSTING_DTYPE


def index_path(path: Path) -> Path:
    """The sparse table beside a fingerprint file: `fp.npy` → `fp_index.npy`."""
    return path.with_name(path.stem + "_index.npy")


def write_header(fh, dtype: np.dtype, rows: int) -> None:
    """An .npy header for `rows` rows of `dtype` (the rows follow)."""
    np.lib.format.write_array_header_1_0(
        fh, {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": (rows,)})


class FpFile:
    """A fingerprint file sorted by hash, read with plain reads (mapped pages would stay resident).

    A sparse table of every BLOCK-th hash (`fp_index.npy` beside it, made on first use for files
    written before it existed) says which block holds a hash: finding one costs one 7 KB read.
    """

    def __init__(self, path: Path):
        mapped = np.load(path, mmap_mode="r")
        self.path, self.size, self.offset = path, int(mapped.shape[0]), int(mapped.offset)
        del mapped
        side = index_path(path)
        firsts = None
        if side.exists():
            try:
                firsts = np.load(side)
            except (OSError, ValueError):
                firsts = None
        if firsts is None or firsts.size != -(-self.size // BLOCK):
            firsts = self._sample()
            try:
                np.save(side, firsts)
            except OSError:
                pass
        self.firsts = firsts.astype(np.int64)

    def _sample(self) -> np.ndarray:
        out = []
        step = BLOCK * 2048
        for a in range(0, self.size, step):
            out.append(self.read(a, min(self.size, a + step))["hash"][::BLOCK])
        return np.concatenate(out).astype(np.uint32) if out else np.zeros(0, dtype=np.uint32)

    def read(self, lo: int, hi: int) -> np.ndarray:
        """Rows lo…hi-1."""
        if hi <= lo:
            return np.zeros(0, dtype=ROW)
        with open(self.path, "rb") as fh:
            return np.fromfile(fh, dtype=ROW, count=hi - lo, offset=self.offset + lo * ROW.itemsize)

    def position(self, h: int) -> int:
        """How many rows hold a hash below h."""
        if h >= HASHES:
            return self.size
        c = int(np.searchsorted(self.firsts, h, side="left"))
        if c == 0:
            return 0
        a = (c - 1) * BLOCK
        keys = self.read(a, min(self.size, a + BLOCK))["hash"]
        return a + int(np.searchsorted(keys, h, side="left"))

    def blocks(self, hashes: np.ndarray) -> np.ndarray:
        """The blocks holding every row of these (sorted, distinct) hashes."""
        if self.size == 0 or hashes.size == 0:
            return np.zeros(0, dtype=np.int64)
        h = hashes.astype(np.int64)
        lo = np.maximum(np.searchsorted(self.firsts, h, side="left") - 1, 0)
        hi = np.maximum(np.searchsorted(self.firsts, h, side="right") - 1, 0)
        mark = np.zeros(self.firsts.size + 1, dtype=np.int64)
        np.add.at(mark, lo, 1)
        np.add.at(mark, hi + 1, -1)
        return np.flatnonzero(np.cumsum(mark)[:-1] > 0)

    def subset(self, hashes: np.ndarray) -> np.ndarray:
        """The rows holding any of these (sorted, distinct) hashes, in file order."""
        blocks = self.blocks(hashes)
        if blocks.size == 0:
            return np.zeros(0, dtype=ROW)
        runs = np.flatnonzero(np.r_[True, np.diff(blocks) > 1, True])
        pieces = []
        for a, b in zip(runs[:-1].tolist(), runs[1:].tolist()):
            lo, hi = int(blocks[a]) * BLOCK, min(self.size, (int(blocks[b - 1]) + 1) * BLOCK)
            rows = self.read(lo, hi)
            at = np.searchsorted(hashes, rows["hash"])
            hit = hashes[np.minimum(at, hashes.size - 1)] == rows["hash"]
            pieces.append(rows[hit])
        return np.concatenate(pieces)


class ArrayInput:
    """Rows sorted by hash held in memory, read like an FpFile."""

    def __init__(self, rows: np.ndarray):
        self.rows, self.size = rows, int(rows.size)
        self.firsts = rows["hash"][::BLOCK].astype(np.int64)

    def read(self, lo: int, hi: int) -> np.ndarray:
        return self.rows[lo:hi]

    def position(self, h: int) -> int:
        return self.size if h >= HASHES else int(np.searchsorted(self.rows["hash"], h, side="left"))


def hash_bounds(inputs: list, lo: int, hi: int, pieces: int) -> list[int]:
    """Hashes cutting lo…hi-1 into about `pieces` ranges holding as many rows of the inputs each.

    Winnowing keeps the smallest hashes of its windows, so fingerprints crowd the low hashes: equal
    ranges of hashes would hold very unequal numbers of rows. The sparse tables (a hash every BLOCK
    rows) are a sample of the rows, and its quantiles are the cuts.
    """
    if pieces <= 1:
        return [lo, hi]
    sample = np.concatenate([x.firsts for x in inputs] + [np.zeros(0, np.int64)])
    sample = np.sort(sample[(sample >= lo) & (sample < hi)])
    if sample.size == 0:
        return [lo, hi]
    cuts = sample[(np.arange(1, pieces) * sample.size) // pieces]
    return [lo] + sorted({int(c) for c in cuts if lo < c < hi}) + [hi]


@dataclass
class JoinContext:
    """What a join needs besides its inputs (arrays by paragraph number; saved once, loaded by workers)."""

    limit: float  # T: df above this is a formula phrase
    first_new: int  # numbers from here on are the new paragraphs
    rep: np.ndarray  # paragraph → its class's representative (itself for stored paragraphs)
    drop: np.ndarray  # paragraph never joined: of a dead report, or a stored formula paragraph
    max_new_doc: np.ndarray  # per representative: the latest report among its class's new members (-1: none)
    min_live_doc: np.ndarray  # per representative: the earliest live report among its members

    def save(self, path: Path) -> None:
        np.savez(path, limit=np.float64(self.limit), first_new=np.int64(self.first_new), rep=self.rep, drop=self.drop,
                 max_new_doc=self.max_new_doc, min_live_doc=self.min_live_doc)

    @classmethod
    def load(cls, path: Path) -> JoinContext:
        with np.load(path) as z:
            return cls(float(z["limit"]), int(z["first_new"]), z["rep"], z["drop"], z["max_new_doc"], z["min_live_doc"])


@dataclass
class JoinResult:
    """What a join of one hash range produced."""

    runs: list[tuple[str, np.ndarray]]  # seed files sorted by x's block of BLOCKS_OF paragraphs, cumulative counts per block
    fp_count: np.ndarray  # per new paragraph: its fingerprints
    formula_count: np.ndarray  # … and those of them that are formula phrases
    firsts: tuple[np.ndarray, np.ndarray]  # (row, hash) of the new part's rows at multiples of BLOCK
    seeds: int
    rows: int


def join_range(inputs: list, new: list[bool], lo_hash: int, hi_hash: int, ctx: JoinContext, out_fp: Path,
               new_before: int, scratch: Path, name: str, paragraphs: int) -> JoinResult:
    """Join the rows of hashes lo_hash…hi_hash-1 of all inputs (see the module's docstring).

    `new_before` is how many new rows hold a hash below lo_hash: where this range's new rows go in
    `out_fp` (already sized); `paragraphs` is the count of all paragraph numbers (for the run tables).
    """
    n_new = ctx.rep.size - ctx.first_new
    fp_count = np.zeros(max(0, n_new), dtype=np.int32)
    formula_count = np.zeros(max(0, n_new), dtype=np.int32)
    at = [x.position(lo_hash) for x in inputs]
    sample = sum(int(np.searchsorted(x.firsts, hi_hash) - np.searchsorted(x.firsts, lo_hash)) for x in inputs)
    bounds = hash_bounds(inputs, lo_hash, hi_hash, max(1, -(-sample * BLOCK // MERGE_ROWS)))
    written = new_before
    first_rows: list[np.ndarray] = []
    first_hashes: list[np.ndarray] = []
    runs: list[tuple[str, np.ndarray]] = []
    pending: list[np.ndarray] = []
    pending_size = 0
    seeds = 0
    blocks = -(-paragraphs // BLOCKS_OF) if paragraphs else 1

    def flush() -> None:
        nonlocal pending, pending_size
        if not pending:
            return
        s = np.concatenate(pending)
        pending, pending_size = [], 0
        block = s["xp"] // BLOCKS_OF  # runs are read by ranges of blocks: sorted by block is enough
        s = shingles.take(s, np.argsort(block.astype(np.uint16), kind="stable") if blocks <= 1 << 16 else shingles.stable_order(block))
        path = scratch / f"seeds-{name}-{len(runs)}.bin"
        s.tofile(path)
        counts = np.bincount(block, minlength=blocks)
        runs.append((str(path), np.concatenate([[0], np.cumsum(counts)])))

    with open(out_fp, "r+b") as out:
        header = np.load(out_fp, mmap_mode="r").offset
        for hi in bounds[1:]:
            parts = []
            for i, x in enumerate(inputs):
                # every row below hi lies before the first block starting at hi or above: read up to
                # there and keep the rows below hi (the rest is read again with the next range)
                stop = x.size if hi >= HASHES else min(x.size, int(np.searchsorted(x.firsts, hi)) * BLOCK)
                got = x.read(at[i], stop)
                got = got[:int(np.searchsorted(got["hash"], hi))] if hi < HASHES else got
                at[i] += got.size
                parts.append(got)
            flags = [np.full(p.size, f, dtype=bool) for p, f in zip(parts, new)]
            rows = np.concatenate(parts) if parts else np.zeros(0, dtype=ROW)
            is_new = np.concatenate(flags) if flags else np.zeros(0, dtype=bool)
            if rows.size == 0:
                continue
            order = shingles.stable_order(rows["hash"])  # inputs in order: stored parts, then new batches
            rows, is_new = shingles.take(rows, order), is_new[order]
            del order
            h = rows["hash"]
            starts = np.flatnonzero(np.r_[True, h[1:] != h[:-1]])
            sizes = np.diff(np.r_[starts, h.size])
            df = np.repeat(sizes, sizes)

            mine = rows[is_new]
            os.pwrite(out.fileno(), mine.tobytes(), header + written * ROW.itemsize)
            k = np.arange(written, written + mine.size)
            pick = k % BLOCK == 0
            first_rows.append(k[pick])
            first_hashes.append(mine["hash"][pick])
            written += mine.size
            local = mine["para"].astype(np.int64) - ctx.first_new
            fp_count += np.bincount(local, minlength=n_new).astype(np.int32)
            formula_count += np.bincount(local[df[is_new] > ctx.limit], minlength=n_new).astype(np.int32)
            del mine, local, k

            # the representatives' rows of the groups that can hold seeds
            para = rows["para"].astype(np.int64)
            use = (df >= 2) & (df <= ctx.limit) & ~ctx.drop[para]
            use &= ctx.rep[para] == para
            e, edf = rows[use], df[use]
            del rows, is_new, df, para, use
            for s in _pairs(e, edf, ctx):
                pending.append(s)
                pending_size += s.size
                seeds += s.size
                if pending_size >= RUN_SEEDS:
                    flush()
    flush()
    firsts = (np.concatenate(first_rows) if first_rows else np.zeros(0, np.int64),
              np.concatenate(first_hashes) if first_hashes else np.zeros(0, np.uint32))
    return JoinResult(runs, fp_count, formula_count, firsts, seeds, written - new_before)


def _pairs(e: np.ndarray, edf: np.ndarray, ctx: JoinContext):
    """Seeds of rows sorted by hash: every ordered pair of rows of one group whose classes are to be compared."""
    n = e.size
    if n == 0:
        return
    h = e["hash"]
    starts = np.flatnonzero(np.r_[True, h[1:] != h[:-1]])
    sizes = np.diff(np.r_[starts, n])
    g = np.repeat(sizes, sizes)  # per row: its group's size (its partners, itself included)
    s = np.repeat(starts, sizes)
    cum = np.cumsum(g)
    para = e["para"].astype(np.int64)
    start = e["start"]
    end = e["start"] + e["span"]
    a = 0
    while a < n:
        # rows a…b-1, whole groups, about MAX_PAIRS pairs
        b = int(np.searchsorted(cum, (cum[a - 1] if a else 0) + MAX_PAIRS, side="right"))
        b = max(b, a + 1)
        if b < n:
            b = int(s[b]) if s[b] > a else int(s[b] + g[b])
        gp = g[a:b]
        i = np.repeat(np.arange(a, b), gp)
        j = np.repeat(s[a:b], gp) + (np.arange(i.size) - np.repeat(np.cumsum(gp) - gp, gp))
        # x's class has a new member in a report later than one of y's class's live members
        ok = ctx.max_new_doc[para[i]] > ctx.min_live_doc[para[j]]
        i, j = i[ok], j[ok]
        out = np.empty(i.size, dtype=pas.SEED_DTYPE)
        out["xp"], out["xs"], out["xe"] = para[i], start[i], end[i]
        out["yp"], out["ys"], out["ye"] = para[j], start[j], end[j]
        out["df"] = edf[i]
        yield out
        a = b
