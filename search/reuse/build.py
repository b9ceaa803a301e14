"""The index-time step: update a generation's reuse folder for the reports a run added and removed.

Registered in the embedded writer's GENERATION_HOOKS. Only the added reports are read and
fingerprinted; their fingerprints are looked up in the kept ones (earlier parts are hard-linked,
never recomputed), so adding one report costs its own paragraphs times the few reports sharing its
phrases. Memory stays bounded: reports are taken in batches of about BATCH_CHARS characters, and
each batch meets the stored fingerprints through memory-mapped sorted arrays.

Formulas. A fingerprint held by more than T = max(share × reports, min) reports is a formula phrase
("各位代表", "现在，我代表市人民政府向大会报告工作", the slogans every report of a year repeats): it
never starts a passage, and a paragraph whose fingerprints are mostly formula phrases is a formula
paragraph (never "另见", never in a share). T is computed with the counts of the run that compares
two reports; as reports are added, a phrase near T may cross it while older pairs keep the verdict
of their run (`report-search index --rebuild` recomputes everything).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from .. import settings
from . import passages as pas
from . import shingles
from . import storage as st

FOLDER = "reuse"
BATCH_CHARS = 2_000_000  # characters fingerprinted at once: ~60 bytes each in numpy arrays
READ_DOCS = 64  # reports read from the index at once
FORMULA_PARAGRAPH = 0.5  # share of a paragraph's fingerprints that are formula phrases making it a formula
NEAR_CANDIDATE = 0.6  # both sides at least this much inside shared passages: worth comparing the texts
MAX_PARTS = 12  # more parts than this, or DEAD_SHARE of reports dead, and the parts are compacted
DEAD_SHARE = 0.3


def threshold(reports: int) -> float:
    """T: a phrase in more than this many reports is a formula."""
    return max(float(settings.get("reuse_formula_share")) * reports, float(settings.get("reuse_formula_min")))


def hook(generation: Path, base: Path | None, added: list[str], removed: list[str]) -> None:
    """GENERATION_HOOKS entry: write generation/reuse from base/reuse and the change."""
    update(generation, base, added, removed)


hook.side = "reuse"  # type: ignore[attr-defined]  # `index --no-reuse` leaves this hook out


def update(generation: Path, base: Path | None, added: Sequence[str], removed: Sequence[str]) -> dict:
    """Update the reuse data for a change; returns what was done (also kept in state.json "last")."""
    started = time.perf_counter()
    out = generation / FOLDER
    tmp = generation / (FOLDER + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    prev_dir = base / FOLDER if base is not None else None
    state = st.read_state(prev_dir) if prev_dir is not None else None
    if state is None:
        # no usable previous data (a first build, or an index from before this data existed): all reports
        added, removed = _live_ids(generation, base, removed), []
        state = st.State()
    else:
        for name in state.parts:
            st.link_part(prev_dir / name, tmp / name)
    for doc_id in list(removed) + [d for d in added if d in state.docs]:
        info = state.docs.pop(doc_id, None)
        if info is not None:
            state.dead.append(int(info["num"]))

    reader = NormReader(generation)
    part_name = f"part-{time.strftime('%Y%m%d%H%M%S')}-{state.next_doc}"
    part = tmp / part_name
    part.mkdir()
    scratch = tmp / "scratch"
    scratch.mkdir()
    stats = {"added_docs": len(added), "removed_docs": len(removed), "paragraphs": 0, "fingerprints": 0,
             "seeds": 0, "passages": 0, "near": 0}

    # 1. fingerprint the added reports, batch by batch; their counts per hash merged into one table
    paras: list[np.ndarray] = []
    batches: list[Path] = []
    for texts, rows in _batches(reader, list(added), state):
        b = shingles.batch(texts, rows["num"])
        rows["letters"] = np.diff(b.bounds)
        rows["text_hash"] = shingles.text_hashes(b)
        fp = shingles.fingerprints(b)
        fp = fp[np.argsort(fp["hash"], kind="stable")]
        batches.append(scratch / f"fp-{len(batches)}.npy")
        np.save(batches[-1], fp)
        paras.append(rows)
        stats["paragraphs"] += int(rows.size)
        stats["fingerprints"] += int(fp.size)
    new_paras = np.concatenate(paras) if paras else np.zeros(0, dtype=st.PARA_DTYPE)
    stats["t_fingerprints"] = round(time.perf_counter() - started, 3)
    _merge_sorted(batches, part / st.FP_FILE)

    # 2. every paragraph's report and formula flag, by number (earlier parts, then this one)
    old = [st.load(tmp / name / st.PARAS_FILE, st.PARA_DTYPE, mmap=False) for name in state.parts]
    size = state.next_para
    para_doc = np.zeros(size, dtype=np.int64)
    para_formula = np.zeros(size, dtype=bool)
    for rows in old:
        para_doc[rows["num"]] = rows["doc"]
        para_formula[rows["num"]] = rows["formula"] > 0
    para_doc[new_paras["num"]] = new_paras["doc"]
    dead = np.zeros(state.next_doc, dtype=bool)
    dead[state.dead] = True
    limit = threshold(len(state.docs))

    lengths = np.zeros(size, dtype=np.int64)
    hashes = np.zeros(size, dtype=np.uint64)
    index = np.zeros(size, dtype=np.int64)
    for rows in old + [new_paras]:
        lengths[rows["num"]] = rows["length"]
        hashes[rows["num"]] = rows["text_hash"]
        index[rows["num"]] = rows["index"]
    id_of = {int(info["num"]): doc_id for doc_id, info in state.docs.items()}

    parts = [tmp / name for name in state.parts] + [part]
    targets = [FingerprintFile(p / st.FP_FILE) for p in parts]
    found: list[Path] = []  # files of passages and of near-identical pairs, one per slice
    near: list[Path] = []
    for path in batches:
        fp = np.load(path)
        # where each hash of the batch sits in every part: its count there, and later its seeds
        ranges = [t.ranges(fp["hash"]) for t in targets]
        df = sum((hi - lo for lo, hi in ranges), np.zeros(fp.size, dtype=np.int64))
        formula_fp = df > limit
        _mark_formula_paragraphs(fp["para"], formula_fp, para_formula)
        usable = (df >= 2) & ~formula_fp & ~para_formula[fp["para"]]
        query, query_df = fp[usable], df[usable]
        spans = [(lo[usable], hi[usable]) for lo, hi in ranges]
        del ranges, fp
        # at most MAX_SEEDS seeds at once: the batch's paragraphs are taken in slices (a paragraph's
        # seeds, and so its chains, stay in one slice)
        per_query = sum((hi - lo for lo, hi in spans), np.zeros(query.size, dtype=np.int64))
        order = np.argsort(query["para"], kind="stable")
        cumulative = np.cumsum(per_query[order])
        total = int(cumulative[-1]) if cumulative.size else 0
        cuts = [0]
        for k in range(1, -(-total // MAX_SEEDS)):
            at = int(np.searchsorted(cumulative, k * MAX_SEEDS))
            while 0 < at < order.size and query["para"][order[at]] == query["para"][order[at - 1]]:
                at += 1
            cuts.append(at)
        cuts.append(order.size)
        for a, b in zip(cuts, cuts[1:]):
            if b <= a:
                continue
            pick = np.sort(order[a:b])
            got = _passages(query[pick], query_df[pick], [(lo[pick], hi[pick]) for lo, hi in spans], targets,
                            para_doc, dead, para_formula, index, id_of, reader, lengths, hashes, stats)
            if got is not None:  # kept on disk until the end: memory holds one slice's
                found.append(scratch / f"passages-{len(found)}.npy")
                np.save(found[-1], got[0])
                near.append(scratch / f"near-{len(near)}.npy")
                np.save(near[-1], got[1])
        path.unlink()
    new_paras["formula"] = para_formula[new_paras["num"]]
    stats["passages"] = _concatenate(found, part / st.PASSAGES_FILE, pas.PASSAGE_DTYPE)
    stats["near"] = _concatenate(near, part / st.NEAR_FILE, st.NEAR_DTYPE)
    shutil.rmtree(scratch, ignore_errors=True)
    stats["t_passages"] = round(time.perf_counter() - started, 3)

    np.save(part / st.PARAS_FILE, new_paras)
    state.parts.append(part_name)
    if len(state.parts) > MAX_PARTS or len(state.dead) > DEAD_SHARE * max(1, len(state.docs)):
        _compact(tmp, state)
    state.settings = {"formula_share": settings.get("reuse_formula_share"), "formula_min": settings.get("reuse_formula_min"),
                      "threshold": limit, "k": shingles.K, "w": shingles.W, "near": shingles.NEAR, "min_chars": pas.MIN_CHARS}
    reader.close()
    stats["seconds"] = round(time.perf_counter() - started, 3)
    state.last = stats
    st.write_state(tmp, state)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return stats


def _concatenate(files: list[Path], out: Path, dtype: np.dtype) -> int:
    """Write the arrays of several files as one array file, one file in memory at a time; the row count."""
    sizes = [int(np.load(f, mmap_mode="r").shape[0]) for f in files]
    with open(out, "wb") as fh:
        _write_header(fh, dtype, sum(sizes))
        for f in files:
            fh.write(np.load(f).astype(dtype, copy=False).tobytes())
    return sum(sizes)


def _passages(query, query_df, spans, targets, para_doc, dead, para_formula, index, id_of, reader, lengths,
              hashes, stats) -> tuple[np.ndarray, np.ndarray] | None:
    """Passages and near-identical pairs of some new paragraphs' fingerprints against every part."""
    seeds = []
    for target, (lo, hi) in zip(targets, spans):
        q, t = pas.expand(lo, hi)
        if q.size == 0:
            continue
        x, y = query[q], target.rows(t)
        ydoc = para_doc[y["para"]]
        keep = (ydoc < para_doc[x["para"]]) & ~dead[ydoc] & ~para_formula[y["para"]]
        x, y, q = x[keep], y[keep], q[keep]
        s = np.empty(x.size, dtype=pas.SEED_DTYPE)
        s["df"] = query_df[q]
        s["xp"], s["xs"], s["xe"] = x["para"], x["start"], x["start"] + x["span"]
        s["yp"], s["ys"], s["ye"] = y["para"], y["start"], y["start"] + y["span"]
        seeds.append(s)
        del x, y, q, keep
    if not seeds:
        return None
    all_seeds = np.concatenate(seeds)
    del seeds
    stats["seeds"] += int(all_seeds.size)
    chains = pas.chain(all_seeds)
    del all_seeds
    if chains.size == 0:  # seeds, but none chained (lone seeds of common phrases, or all filtered out)
        return None
    # The texts of the paragraphs the chains join, to grow them to the copy's ends and to compare
    # paragraphs: read for chunks of chains by earlier paragraph, about TEXT_CHARS characters each.
    chains = chains[np.argsort(chains["pb"], kind="stable")]
    first = np.r_[True, chains["pb"][1:] != chains["pb"][:-1]]
    size = np.cumsum(np.where(first, lengths[chains["pb"].astype(np.int64)], 0))
    found, near = [], []
    start = 0
    while start < chains.size:
        stop = int(np.searchsorted(size, size[start] + TEXT_CHARS, side="left"))
        stop = max(stop, start + 1)
        while stop < chains.size and not first[stop]:
            stop += 1  # one earlier paragraph's chains stay together
        part = chains[start:stop]
        texts = _texts_of(np.union1d(part["pa"], part["pb"]), para_doc, index, id_of, reader)
        grown = pas.extend(part, texts)
        found.append(grown)
        near.append(_near(grown, lengths, hashes, texts))
        del texts
        start = stop
    return np.concatenate(found), np.concatenate(near)


class FingerprintFile:
    """A part's fingerprints (sorted by hash) read a chunk at a time with plain reads, never mapped.

    Mapped, every page a lookup touched would count in the build's resident memory until the end
    (800 MB of fingerprints for ten times lawtext); read, only the chunk at hand does.
    """

    CHUNK = 1 << 20  # fingerprints read at once (14 MB)

    def __init__(self, path: Path):
        mapped = np.load(path, mmap_mode="r")
        self.path, self.size, self.offset = path, int(mapped.shape[0]), int(mapped.offset)
        del mapped
        starts = range(0, self.size, self.CHUNK)
        self.firsts = np.array([int(self._read(a, a + 1)["hash"][0]) for a in starts], dtype=np.int64)

    def _read(self, a: int, b: int) -> np.ndarray:
        with open(self.path, "rb") as fh:
            return np.fromfile(fh, dtype=shingles.POSTING_DTYPE, count=b - a,
                               offset=self.offset + a * shingles.POSTING_DTYPE.itemsize)

    def ranges(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each hash, [lo, hi) of the rows holding it (lo == hi when none)."""
        lo = np.zeros(hashes.size, dtype=np.int64)
        hi = np.zeros(hashes.size, dtype=np.int64)
        if self.size == 0 or hashes.size == 0:
            return lo, hi
        h = hashes.astype(np.int64)
        first = np.maximum(np.searchsorted(self.firsts, h, side="left") - 1, 0)
        last = np.maximum(np.searchsorted(self.firsts, h, side="right") - 1, 0)
        seen = np.zeros(hashes.size, dtype=bool)
        for c in range(int(first.min()), int(last.max()) + 1):
            pick = np.flatnonzero((first <= c) & (last >= c))
            if pick.size == 0:
                continue
            a = c * self.CHUNK
            keys = self._read(a, min(self.size, a + self.CHUNK))["hash"]
            left = np.searchsorted(keys, hashes[pick], side="left")
            right = np.searchsorted(keys, hashes[pick], side="right")
            found = right > left
            pick, left, right = pick[found], left[found], right[found]
            fresh = ~seen[pick]  # chunks come in order: the first that holds a hash gives its lo
            lo[pick[fresh]] = a + left[fresh]
            hi[pick] = a + right
            seen[pick] = True
        return lo, hi

    def rows(self, index: np.ndarray) -> np.ndarray:
        """The fingerprints at these row numbers, in the order given."""
        out = np.empty(index.size, dtype=shingles.POSTING_DTYPE)
        if index.size == 0:
            return out
        order = np.argsort(index, kind="stable")
        sorted_index = index[order]
        chunks = sorted_index // self.CHUNK
        bounds = np.flatnonzero(np.r_[True, chunks[1:] != chunks[:-1], True])
        for s_, e_ in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
            a, b = int(sorted_index[s_]), int(sorted_index[e_ - 1]) + 1
            block = self._read(a, b)
            out[order[s_:e_]] = block[sorted_index[s_:e_] - a]
        return out


class NormReader:
    """Normalized texts of a generation's reports, without the display texts `read_units` unpacks.

    Same order and same paragraphs as `writer.read_units` (newest segment first for a re-read report).
    """

    CACHE_CHARS = 8_000_000  # normalized characters kept decoded (a batch's passages read most texts again)

    def __init__(self, generation: Path):
        from ..backends.embedded import store
        from ..backends.embedded.writer import SEGMENTS_DIR

        self._cache: dict[tuple[str, int], str] = {}
        self._cached = 0
        self._fds: dict[int, int] = {}

        self.segments = [store.Segment(f) for f in sorted((generation / SEGMENTS_DIR).iterdir(), reverse=True)]
        self.where: dict[str, tuple[int, int, int]] = {}
        for s_i, segment in enumerate(self.segments):
            for record in segment.docs:
                self.where.setdefault(record["doc_id"], (s_i, record["first"], record["rows"]))

    def _fd(self, s_i: int) -> int:
        # texts are read, not mapped: mapped pages would stay in the build's resident memory
        fd = self._fds.get(s_i)
        if fd is None:
            fd = self._fds[s_i] = os.open(self.segments[s_i].folder / "norm.bin", os.O_RDONLY)
        return fd

    def close(self) -> None:
        """Close the text files."""
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    def units(self, doc_id: str) -> list[tuple[str, str, str]]:
        """(paragraph id, kind, normalized text) of a report in reading order ([] when unknown)."""
        from ..backends.embedded import store
        from ..backends.embedded.writer import paragraph_id

        found = self.where.get(doc_id)
        if found is None:
            return []
        s_i, first, rows = found
        segment = self.segments[s_i]
        units = segment.units[first:first + rows]
        offs = np.asarray(segment.norm_off[first:first + rows + 1])
        blob = os.pread(self._fd(s_i), int(offs[-1]) - int(offs[0]), int(offs[0]))
        base = int(offs[0])
        out = []
        for k, u in enumerate(units.tolist()):
            text = blob[int(offs[k]) - base:int(offs[k + 1]) - base].decode("utf-8")
            # units.npy columns: doc, ordinal, length, kind, level, parent, pid, dup
            out.append((paragraph_id(doc_id, int(u[6]), int(u[7])), store.KINDS[int(u[3])], text))
        return out

    def texts(self, doc_id: str, indices: Sequence[int]) -> dict[int, str]:
        """Normalized texts of some of a report's units (by position in reading order)."""
        found = self.where.get(doc_id)
        if found is None:
            return {}
        s_i, first, rows = found
        segment = self.segments[s_i]
        out: dict[int, str] = {}
        missing = []
        for i in indices:
            text = self._cache.get((doc_id, i))
            if text is None:
                missing.append(i)
            else:
                out[i] = text
        if missing:
            offs = np.asarray(segment.norm_off[first:first + rows + 1]).tolist()
            fd = self._fd(s_i)
            for i in missing:
                if 0 <= i < rows:
                    text = os.pread(fd, offs[i + 1] - offs[i], offs[i]).decode("utf-8")
                    out[i] = text
                    if self._cached + len(text) > self.CACHE_CHARS:
                        self._cache.clear()  # bounded: start again rather than grow
                        self._cached = 0
                    self._cache[(doc_id, i)] = text
                    self._cached += len(text)
        return out


def _live_ids(generation: Path, base: Path | None, removed: Sequence[str]) -> list[str]:
    """Every report live in the generation being built (its document table is not written yet)."""
    dead: dict[str, set[int]] = {}
    if base is not None:
        try:
            meta = json.loads((base / "meta.json").read_text(encoding="utf-8"))
            dead = {s["name"]: set(s.get("dead", [])) for s in meta.get("segments", [])}
        except (OSError, ValueError):
            dead = {}
    gone = set(removed)
    ids: dict[str, None] = {}
    for folder in sorted((generation / "segments").iterdir()):
        with open(folder / "docs.jsonl", encoding="utf-8") as fh:
            for k, line in enumerate(fh):
                doc_id = json.loads(line)["doc_id"]
                if k not in dead.get(folder.name, set()) and doc_id not in gone:
                    ids[doc_id] = None
    return list(ids)


def _batches(reader: NormReader, added: list[str], state: st.State) -> Iterator[tuple[list[str], np.ndarray]]:
    """(normalized texts, paragraph rows) of the added reports, about BATCH_CHARS characters at a time."""
    texts: list[str] = []
    rows: list[tuple] = []
    chars = 0
    kinds = {k: st.KINDS.index(k) for k in st.COUNTED_KINDS}
    for doc_id in added:
        num = state.next_doc
        state.next_doc += 1
        total = 0
        prefix = len(doc_id) + 1
        for index, (pid, kind, norm) in enumerate(reader.units(doc_id)):
            if kind not in kinds:
                continue
            digest, _, dup = pid[prefix:].partition("-")
            rows.append((state.next_para, num, int(digest, 16), int(dup or 1), kinds[kind], 0, index, len(norm), 0, 0))
            texts.append(norm)
            state.next_para += 1
            total += len(norm)
        chars += total
        state.docs[doc_id] = {"num": num, "chars": total}
        if chars >= BATCH_CHARS:
            yield texts, np.array(rows, dtype=st.PARA_DTYPE)
            texts, rows, chars = [], [], 0
    if rows:
        yield texts, np.array(rows, dtype=st.PARA_DTYPE)


TEXT_CHARS = 4_000_000  # characters of earlier paragraphs read back at once to grow chains
MAX_SEEDS = 2_000_000  # seeds chained at once (~60 bytes each with their chains)
MERGE_ROWS = 1_000_000  # fingerprints merged at once (one hash range of every batch)


class _Stream:
    """A fingerprint file read front to back, a few rows at a time."""

    def __init__(self, path: Path, rows: int):
        mapped = np.load(path, mmap_mode="r")
        self.path, self.size, self.offset = path, int(mapped.shape[0]), int(mapped.offset)
        del mapped
        self.rows, self.at = rows, 0
        self.buffer = np.zeros(0, dtype=shingles.POSTING_DTYPE)

    def below(self, hi: int) -> np.ndarray:
        """The next rows whose hash is below `hi` (sorted input: all of them come before the rest)."""
        while self.at < self.size and (self.buffer.size == 0 or int(self.buffer["hash"][-1]) < hi):
            with open(self.path, "rb") as fh:
                more = np.fromfile(fh, dtype=shingles.POSTING_DTYPE, count=min(self.rows, self.size - self.at),
                                   offset=self.offset + self.at * shingles.POSTING_DTYPE.itemsize)
            self.at += more.size
            self.buffer = np.concatenate([self.buffer, more])
        cut = int(np.searchsorted(self.buffer["hash"], hi)) if hi < (1 << 32) else self.buffer.size
        out, self.buffer = self.buffer[:cut], self.buffer[cut:]
        return out


def _write_header(fh, dtype: np.dtype, rows: int) -> None:
    np.lib.format.write_array_header_1_0(
        fh, {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": (rows,)})


def _merge_sorted(files: list[Path], out: Path, keep=None) -> int:
    """Merge fingerprint files sorted by hash into one, a hash range at a time, with plain reads and writes.

    Nothing is mapped (mapped pages would count in the build's resident memory); each input holds a
    buffer of MERGE_ROWS / inputs rows, each range about MERGE_ROWS in all.
    """
    per_input = max(4096, MERGE_ROWS // max(1, len(files)))
    total = 0
    for f in files:  # how many rows the output will hold (the kept ones, when compacting)
        stream = _Stream(f, per_input)
        if keep is None:
            total += stream.size
            continue
        for at in range(0, stream.size, per_input):
            with open(f, "rb") as fh:
                rows = np.fromfile(fh, dtype=shingles.POSTING_DTYPE, count=min(per_input, stream.size - at),
                                   offset=stream.offset + at * shingles.POSTING_DTYPE.itemsize)
            total += int(keep(rows).sum())
    streams = [_Stream(f, per_input) for f in files]
    ranges = max(1, -(-sum(x.size for x in streams) // MERGE_ROWS))
    bounds = [int(x) for x in np.linspace(0, 1 << 32, ranges + 1)]
    written = 0
    with open(out, "wb") as fh:
        _write_header(fh, shingles.POSTING_DTYPE, total)
        for hi in bounds[1:]:
            pieces = [x.below(hi) for x in streams]
            chunk = np.concatenate(pieces) if pieces else np.zeros(0, dtype=shingles.POSTING_DTYPE)
            if keep is not None:
                chunk = chunk[keep(chunk)]
            chunk = chunk[np.argsort(chunk["hash"], kind="stable")]
            fh.write(chunk.tobytes())
            written += chunk.size
    if written != total:
        raise RuntimeError(f"merged {written} fingerprints, expected {total}")
    return total


def _mark_formula_paragraphs(para: np.ndarray, formula_fp: np.ndarray, para_formula: np.ndarray) -> None:
    """A paragraph most of whose fingerprints are formula phrases is a formula paragraph."""
    if para.size == 0:
        return
    nums, inv = np.unique(para, return_inverse=True)
    share = np.bincount(inv, weights=formula_fp) / np.bincount(inv)
    para_formula[nums[share >= FORMULA_PARAGRAPH]] = True


def _texts_of(nums: np.ndarray, para_doc: np.ndarray, index: np.ndarray, id_of: dict[int, str],
              reader: NormReader) -> dict[int, str]:
    """Normalized texts of some paragraphs (by number), read report by report."""
    out: dict[int, str] = {}
    nums = np.asarray(nums, dtype=np.int64)
    docs = para_doc[nums]
    order = np.argsort(docs, kind="stable")
    nums, docs = nums[order], docs[order]
    bounds = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1], True])
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        doc_id = id_of.get(int(docs[lo]))
        if doc_id is None:
            continue
        wanted = {int(index[num]): num for num in nums[lo:hi].tolist()}
        for i, text in reader.texts(doc_id, list(wanted)).items():
            out[wanted[i]] = text
    return out


def _near(found: np.ndarray, lengths: np.ndarray, hashes: np.ndarray, texts: dict[int, str]) -> np.ndarray:
    """Near-identical pairs (`shingles.similarity` ≥ shingles.NEAR) among the paragraph pairs with passages."""
    if found.size == 0:
        return np.zeros(0, dtype=st.NEAR_DTYPE)
    p = found[np.lexsort((found["a0"], found["pb"], found["pa"]))]
    pair = (p["pa"].astype(np.int64) << 32) | p["pb"].astype(np.int64)
    cov_a = pas.covered(p["a0"], p["a1"], pair)
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    pa, pb = p["pa"][starts].astype(np.int64), p["pb"][starts].astype(np.int64)
    q = p[np.lexsort((p["b0"], pair))]
    cov_b = pas.covered(q["b0"], q["b1"], (q["pa"].astype(np.int64) << 32) | q["pb"].astype(np.int64))
    la, lb = np.maximum(lengths[pa], 1), np.maximum(lengths[pb], 1)
    cand = (cov_a / la >= NEAR_CANDIDATE) & (cov_b / lb >= NEAR_CANDIDATE) & (np.minimum(la, lb) >= shingles.NEAR * np.maximum(la, lb))
    pa, pb = pa[cand], pb[cand]
    same = hashes[pa] == hashes[pb]
    identical = np.zeros(int(same.sum()), dtype=st.NEAR_DTYPE)
    identical["a"], identical["b"], identical["similarity"] = pa[same], pb[same], 1.0
    close = []
    for a, b in zip(pa[~same].tolist(), pb[~same].tolist()):
        j = shingles.similarity(texts.get(a, ""), texts.get(b, ""))
        if j >= shingles.NEAR:
            close.append((a, b, j))
    return np.concatenate([identical, np.array(close, dtype=st.NEAR_DTYPE)])


def _compact(folder: Path, state: st.State) -> None:
    """Rewrite all parts as one without the dead reports' rows (nothing is recomputed, numbers are kept)."""
    dead = np.zeros(state.next_doc, dtype=bool)
    dead[state.dead] = True
    name = f"part-{time.strftime('%Y%m%d%H%M%S')}-{state.next_doc}-c"
    part = folder / name
    part.mkdir()
    paras = np.concatenate([np.load(folder / p / st.PARAS_FILE) for p in state.parts])
    para_doc = np.zeros(state.next_para, dtype=np.int64)
    para_doc[paras["num"]] = paras["doc"]
    live = paras[~dead[paras["doc"]]]
    np.save(part / st.PARAS_FILE, live)
    keep = (lambda a: ~dead[para_doc[a["para"]]])
    _merge_sorted([folder / p / st.FP_FILE for p in state.parts], part / st.FP_FILE, keep)
    for file, dtype, cols in ((st.PASSAGES_FILE, pas.PASSAGE_DTYPE, ("pa", "pb")), (st.NEAR_FILE, st.NEAR_DTYPE, ("a", "b"))):
        rows = np.concatenate([st.load(folder / p / file, dtype, mmap=False) for p in state.parts])
        keep_rows = ~dead[para_doc[rows[cols[0]]]] & ~dead[para_doc[rows[cols[1]]]]
        np.save(part / file, rows[keep_rows])
    for p in state.parts:
        shutil.rmtree(folder / p)
    state.parts = [name]
    state.dead = []
