"""The index-time step: update a generation's reuse folder for the reports a run added and removed.

Registered in the embedded writer's GENERATION_HOOKS. Only the added reports are read and
fingerprinted; earlier parts are hard-linked, never recomputed. The work is one sort-merge, whatever
the size of the change (`join`): the fingerprints of the added reports (in batches of about
BATCH_CHARS characters, sorted by hash) and the stored ones are merged hash range by hash range,
every hash's rows giving its df and its seeds. A small addition reads only the blocks of the stored
fingerprints that hold its hashes (a sparse table beside each file says where), so adding one report
costs its own paragraphs times the few reports sharing its phrases; a build from scratch or a large
addition streams every stored fingerprint once. Seeds are written sorted by the new paragraph they
start from; the passages of a range of new paragraphs are then chained and grown from all of them.
Fingerprinting, the join and the passages are split into tasks run by `build_workers` processes
(`work`). Memory stays bounded: every step holds about a million rows at a time.

Identical paragraphs (the same normalized text, hence the same fingerprints) form a *class*: the
join and the chaining see one representative per class, and its passages are written out for every
pair of members they stand for (`work._expand`). A report indexed ten times costs one report's
chaining, not a hundred.

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
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .. import settings
from . import join, shingles, work
from . import passages as pas
from . import storage as st

FOLDER = "reuse"
BATCH_CHARS = 2_000_000  # characters of a batch (the first paragraph of a batch has no windows reaching before it)
TASK_CHARS = 1_000_000  # characters fingerprinted at once (a part of a batch): ~60 bytes each in numpy arrays
FORMULA_PARAGRAPH = 0.5  # share of a paragraph's fingerprints that are formula phrases making it a formula
MAX_PARTS = 12  # more parts than this, or DEAD_SHARE of reports dead, and the parts are compacted
DEAD_SHARE = 0.3
MAX_SEEDS = 1_000_000  # seeds chained at once by a task (~150 bytes each with their chains)
JOIN_ROWS = 4_000_000  # fingerprints of all inputs per join task (a hash range)
POOL_CHARS = 4_000_000  # added characters from which the work is shared among worker processes
LOOKUP_SHARE = 0.5  # a stored part is streamed whole when a lookup would read more than this share of it
CLASSES = True  # identical paragraphs joined and chained once (off: each on its own; the result is the same)


def threshold(reports: int) -> float:
    """T: a phrase in more than this many reports is a formula."""
    return max(float(settings.get("reuse_formula_share")) * reports, float(settings.get("reuse_formula_min")))


def hook(generation: Path, base: Path | None, added: list[str], removed: list[str]) -> None:
    """GENERATION_HOOKS entry: write generation/reuse from base/reuse and the change."""
    update(generation, base, added, removed)


hook.side = "reuse"  # type: ignore[attr-defined]  # `index --no-reuse` leaves this hook out


def begin(generation: Path, base: Path | None, runs: Sequence, live: Sequence[np.ndarray], removed: Sequence[str]) -> None:
    """GENERATION_HOOKS entry's `begin`: called with the new reports' runs before they are merged.

    Fingerprinting needs only the new reports' texts, which the runs hold: it starts now, in the
    worker processes, while the indexer merges the runs into a segment on one core. `update` takes
    the work over when it is told the change begun here (a first build, or reports added to an index
    with reuse data), else it lets it go and starts again. A small change is not begun.
    """
    cancel()
    prev_dir = base / FOLDER if base is not None else None
    state = st.read_state(prev_dir) if prev_dir is not None else None
    if state is None and base is not None:
        return  # `update` will compute every report of the index, not only the new ones
    folder = generation / (FOLDER + ".runs")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    sources: dict[str, tuple] = {}
    new_ids: list[str] = []
    for k, (run, alive) in enumerate(zip(runs, live)):
        texts = folder / str(k)  # the run's texts as a segment's (the run goes once it is merged)
        texts.mkdir()
        os.link(run.path("norm"), texts / "norm.bin")
        os.link(run.path("norm_off.npy"), texts / "norm_off.npy")
        units = np.load(run.path("units.npy"))
        for local, record in enumerate(run.docs):
            if alive[local]:
                new_ids.append(record["doc_id"])
                first, rows = int(record["first"]), int(record["rows"])
                sources[record["doc_id"]] = (str(texts), first, rows, units[first:first + rows])
    gone = set(new_ids)
    build = _Build(generation, base, new_ids, [] if state is None else [d for d in removed if d not in gone],
                   state, sources.get, None)
    if build.pool.n <= 1:
        build.cancel()
        return
    build.pool.limit = build.pool.n - 1  # the merge keeps one core busy
    build.fingerprint(background=True)
    _BEGUN[str(generation)] = build


hook.begin = begin  # type: ignore[attr-defined]
_BEGUN: dict[str, _Build] = {}  # generation → its update, begun while the runs were merged


def cancel() -> None:
    """Let go of work begun and not taken over (a build that failed between `begin` and the hook)."""
    for build in list(_BEGUN.values()):
        build.cancel()
    _BEGUN.clear()


def update(generation: Path, base: Path | None, added: Sequence[str], removed: Sequence[str],
           workers: int | None = None) -> dict:
    """Update the reuse data for a change; returns what was done (also kept in state.json "last").

    `workers` processes share the work (default: the `build_workers` setting; small changes are
    computed in this process). The result does not depend on it.
    """
    begun = _BEGUN.pop(str(generation), None)
    cancel()
    prev_dir = base / FOLDER if base is not None else None
    state = st.read_state(prev_dir) if prev_dir is not None else None
    if state is None:
        # no usable previous data (a first build, or an index from before this data existed): all reports
        added, removed = _live_ids(generation, base, removed), []
    if begun is not None and begun.added == list(added) and begun.removed == list(removed) and workers is None:
        build = begun
        build.pool.limit = build.pool.n
    else:
        if begun is not None:
            begun.cancel()
        reader = NormReader(generation)
        try:
            build = _Build(generation, base, added, removed, state, reader.source, workers)
        finally:
            reader.close()
        build.fingerprint(background=False)
    return build.finish()


class _Build:
    """One update of the reuse data: planned and fingerprinted (maybe while the indexer merges), then finished."""

    def __init__(self, generation: Path, base: Path | None, added: Sequence[str], removed: Sequence[str],
                 state: st.State | None, source_of, workers: int | None):
        self.started = time.perf_counter()
        self.generation, self.added, self.removed = generation, list(added), list(removed)
        self.tmp = tmp = generation / (FOLDER + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        if state is None:
            state = st.State()
        else:
            for name in state.parts:
                st.link_part(base / FOLDER / name, tmp / name)
        for doc_id in self.removed + [d for d in self.added if d in state.docs]:
            info = state.docs.pop(doc_id, None)
            if info is not None:
                state.dead.append(int(info["num"]))
        self.state = state
        self.part_name = f"part-{time.strftime('%Y%m%d%H%M%S')}-{state.next_doc}"
        self.part = tmp / self.part_name
        self.part.mkdir()
        self.scratch = tmp / "scratch"
        self.scratch.mkdir()
        self.first_new = state.next_para
        self.old_parts = list(state.parts)
        tasks = _plan(source_of, self.added, state, self.scratch)
        chars = sum(int(t.rows["length"].sum()) for t in tasks)
        n = int(workers if workers is not None else settings.get("build_workers"))
        self.pool = work.Workers(n if chars >= POOL_CHARS else 1)
        self.pool.start()
        self.stats: dict = {"paragraphs": 0, "fingerprints": 0, "seeds": 0, "passages": 0, "near": 0}
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

        # what fingerprinting fills in: the new paragraphs' rows, and where each one's code points
        # are put (its task's codes file, at this character)
        n_new = state.next_para - self.first_new
        self.new_paras = np.concatenate([t.rows for t in tasks]) if tasks else np.zeros(0, dtype=st.PARA_DTYPE)
        self.offsets = offsets = np.cumsum([0] + [t.rows.size for t in tasks])
        self.code_batch = np.repeat(np.arange(len(tasks), dtype=np.int32), np.diff(offsets))
        self.code_at = np.zeros(n_new, dtype=np.int32)
        for k, t in enumerate(tasks):
            self.code_at[offsets[k]:offsets[k + 1]] = np.cumsum(t.rows["length"]) - t.rows["length"]
            t.rows = self.new_paras[offsets[k]:offsets[k + 1]]  # held once
        self.others = np.zeros(n_new, dtype=np.uint64)
        self.before = np.zeros(n_new, dtype=np.uint8)
        self.shaped = np.zeros(n_new, dtype=bool)
        self.code_wide = np.zeros(len(tasks), dtype=bool)  # a task's codes file holds 32-bit code points (else 16)
        self.tasks = tasks

    def fingerprint(self, background: bool) -> None:
        """Fingerprint the added reports, part by part of their batches (sorted by hash, each with its
        sparse table), here or in a thread that hands the tasks to the workers."""
        if background:
            self.thread = threading.Thread(target=self._fingerprint, name="reuse-fingerprints", daemon=True)
            self.thread.start()
        else:
            self._fingerprint()

    def _fingerprint(self) -> None:
        def fingerprinted(k: int, d: work.Fingerprinted) -> None:
            sl = slice(int(self.offsets[k]), int(self.offsets[k + 1]))
            self.new_paras["letters"][sl], self.new_paras["text_hash"][sl] = d.letters, d.text_hash
            self.others[sl], self.before[sl], self.shaped[sl] = d.others, d.before, d.shaped
            self.code_wide[k] = d.wide
            self.stats["fingerprints"] += d.fingerprints

        try:
            self.pool.map(work.fingerprint_task, self.tasks, each=fingerprinted)
        except BaseException as exc:  # noqa: BLE001 - raised again by finish()
            self.error = exc
        self.stats["t_fingerprints"] = round(time.perf_counter() - self.started, 3)

    def cancel(self) -> None:
        """Stop and let go of everything (the workers, the folder)."""
        self.pool.close()
        if self.thread is not None:
            self.thread.join()
        shutil.rmtree(self.tmp, ignore_errors=True)
        shutil.rmtree(self.generation / (FOLDER + ".runs"), ignore_errors=True)

    def finish(self) -> dict:
        """The rest of the work, and the new reuse folder in place of the old one."""
        try:
            if self.thread is not None:
                waited = time.perf_counter()
                self.thread.join()
                self.stats["t_waited"] = round(time.perf_counter() - waited, 3)
            shutil.rmtree(self.generation / (FOLDER + ".runs"), ignore_errors=True)
            if self.error is not None:
                raise self.error
            reader = NormReader(self.generation)
            try:
                self._compute(reader)
            finally:
                reader.close()
        finally:
            self.pool.close()
            work.reset()
        state, tmp, stats = self.state, self.tmp, self.stats
        stats.update(added_docs=len(self.added), removed_docs=len(self.removed), workers=self.pool.n)
        shutil.rmtree(self.scratch, ignore_errors=True)
        state.parts.append(self.part_name)
        if len(state.parts) > MAX_PARTS or len(state.dead) > DEAD_SHARE * max(1, len(state.docs)):
            _compact(tmp, state)
        state.settings = {"formula_share": settings.get("reuse_formula_share"), "formula_min": settings.get("reuse_formula_min"),
                          "formula_shape_chars": settings.get("reuse_formula_shape_chars"),
                          "threshold": threshold(len(state.docs)), "k": shingles.K, "w": shingles.W, "near": shingles.NEAR,
                          "min_chars": pas.MIN_CHARS}
        stats["seconds"] = round(time.perf_counter() - self.started, 3)
        state.last = stats
        st.write_state(tmp, state)
        out = self.generation / FOLDER
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
        return stats

    def _compute(self, reader: NormReader) -> None:
        """Join and passages after the fingerprints: write the new part's files."""
        tmp, part, scratch, state, old_parts = self.tmp, self.part, self.scratch, self.state, self.old_parts
        first_new, pool, started, stats = self.first_new, self.pool, self.started, self.stats
        new_paras, others, before, shaped = self.new_paras, self.others, self.before, self.shaped
        code_batch, code_at, code_wide = self.code_batch, self.code_at, self.code_wide
        self.new_paras = self.others = self.before = self.code_batch = self.code_at = None
        n_tasks = len(self.tasks)
        self.tasks = []
        size = state.next_para
        n_new = size - first_new
        stats["paragraphs"] = int(new_paras.size)

        # 2. every paragraph's report and formula flag by number (earlier parts, then this one); classes
        para_doc = np.zeros(size, dtype=np.uint32)
        para_formula = np.zeros(size, dtype=bool)
        old_nums = []
        for name in old_parts:
            rows = st.load(tmp / name / st.PARAS_FILE, st.PARA_DTYPE, mmap=False)
            para_doc[rows["num"]] = rows["doc"]
            para_formula[rows["num"]] = rows["formula"] > 0
            old_nums.append(rows["num"].astype(np.int64))
            del rows
        para_doc[first_new:] = new_paras["doc"]
        dead = np.zeros(state.next_doc, dtype=bool)
        dead[state.dead] = True
        old_nums = np.concatenate(old_nums) if old_nums else np.zeros(0, np.int64)
        old_live = old_nums[~dead[para_doc[old_nums]]]
        rep, max_new_doc, min_live_doc = _classes(new_paras, others, before, old_live, para_doc, size)
        del others, before
        stats["classes"] = int(np.unique(rep[first_new:]).size) if n_new else 0
        drop = np.zeros(size, dtype=bool)
        drop[old_nums] = dead[para_doc[old_nums]] | para_formula[old_nums]
        del old_nums
        limit = threshold(len(state.docs))
        context = join.JoinContext(limit, first_new, rep, drop, max_new_doc, min_live_doc)
        np.save(scratch / "paras.npy", new_paras)  # back at the end, with the formula flags
        del new_paras
        _trim()

        # 3. the join: one sort-merge of the new fingerprints and the stored ones
        batch_files = [scratch / f"fp-{k}.npy" for k in range(n_tasks)]
        news = [join.FpFile(p) for p in batch_files]
        total_new = sum(x.size for x in news)
        olds = [join.FpFile(tmp / name / st.FP_FILE) for name in old_parts]
        inputs: list = []
        streamed = True
        new_hashes = None
        for x in olds:
            if total_new * join.BLOCK < LOOKUP_SHARE * x.size:  # few new hashes: read only the blocks holding them
                if new_hashes is None:
                    new_hashes = np.unique(np.concatenate([y.read(0, y.size)["hash"] for y in news])) if news else np.zeros(0, np.uint32)
                blocks = x.blocks(new_hashes)
                if blocks.size * join.BLOCK < LOOKUP_SHARE * x.size:
                    inputs.append(join.ArrayInput(x.subset(new_hashes)))
                    streamed = False
                    stats["looked_up"] = stats.get("looked_up", 0) + 1
                    continue
            inputs.append(x)
        inputs += news
        flags = [False] * len(olds) + [True] * len(news)
        out_fp = part / st.FP_FILE
        with open(out_fp, "wb") as fh:
            join.write_header(fh, shingles.POSTING_DTYPE, total_new)
            fh.truncate(fh.tell() + total_new * shingles.POSTING_DTYPE.itemsize)
        rows_all = sum(x.size for x in inputs)
        ranges = max(1, -(-rows_all // JOIN_ROWS), 2 * pool.n if pool.n > 1 and rows_all > join.MERGE_ROWS else 1)
        bounds = join.hash_bounds(inputs, 0, join.HASHES, ranges)
        before = [sum(x.position(b) for x in news) for b in bounds]
        fp_count = np.zeros(n_new, dtype=np.int32)
        formula_count = np.zeros(n_new, dtype=np.int32)
        firsts = np.zeros(-(-total_new // join.BLOCK), dtype=np.uint32)
        runs: list[tuple[str, np.ndarray]] = []
        written = [0]

        def joined(_k: int, j: join.JoinResult) -> None:
            fp_count[:] += j.fp_count
            formula_count[:] += j.formula_count
            firsts[j.firsts[0] // join.BLOCK] = j.firsts[1]
            runs.extend(j.runs)
            written[0] += j.rows
            stats["join_seeds"] = stats.get("join_seeds", 0) + j.seeds

        if streamed and pool.n > 1:
            ctx_path = scratch / "join.npz"
            context.save(ctx_path)
            jobs = [work.JoinTask([str(x.path) for x in inputs], flags, lo, hi, str(ctx_path), str(out_fp), nb, str(scratch),
                                  str(k), size) for k, (lo, hi, nb) in enumerate(zip(bounds, bounds[1:], before))]
            pool.map(work.join_task, jobs, each=joined)
        else:
            for k, (lo, hi, nb) in enumerate(zip(bounds, bounds[1:], before)):
                joined(k, join.join_range(inputs, flags, lo, hi, context, out_fp, nb, scratch, str(k), size))
        del inputs, context, drop, max_new_doc, min_live_doc
        if written[0] != total_new:
            raise RuntimeError("the join wrote another number of fingerprints than it was given")
        np.save(join.index_path(out_fp), firsts)
        # a paragraph most of whose fingerprints are formula phrases is a formula paragraph
        new_formula = ((fp_count > 0) & (formula_count >= FORMULA_PARAGRAPH * fp_count)) | shaped
        para_formula[first_new:] = new_formula
        del fp_count, formula_count, new_formula
        stats["t_join"] = round(time.perf_counter() - started, 3)

        # 4. passages of ranges of new paragraphs, from the seeds of every run
        counts = sum((np.diff(table) for _path, table in runs), np.zeros(-(-size // join.BLOCKS_OF) or 1, dtype=np.int64))
        cum = np.concatenate([[0], np.cumsum(counts)])
        total = int(cum[-1])
        pieces = max(1, -(-total // MAX_SEEDS), 2 * pool.n if pool.n > 1 and total > MAX_SEEDS // 4 else 1)
        cuts = np.unique(np.searchsorted(cum, np.linspace(0, total, pieces + 1)[1:-1], side="left"))
        edges = [0] + [int(c) for c in cuts if 0 < c < counts.size] + [counts.size]
        members = _members(np.r_[old_live, np.arange(first_new, size)], rep, para_doc)
        del rep
        lengths = np.zeros(size, dtype=np.uint32)
        hashes = np.zeros(size, dtype=np.uint64)
        index = np.zeros(size, dtype=np.uint32)
        for path in [tmp / name / st.PARAS_FILE for name in old_parts] + [scratch / "paras.npy"]:
            rows = st.load(path, st.PARA_DTYPE, mmap=False)
            lengths[rows["num"]], hashes[rows["num"]], index[rows["num"]] = rows["length"], rows["text_hash"], rows["index"]
        del rows
        # where each report's texts are (the newest segment holding it, as NormReader finds it)
        segments = [str(seg.folder) for seg in reader.segments]
        doc_segment = np.full(state.next_doc, -1, dtype=np.int32)
        doc_first = np.zeros(state.next_doc, dtype=np.int64)
        for doc_id, info in state.docs.items():
            found = reader.where.get(doc_id)
            if found is not None:
                doc_segment[int(info["num"])], doc_first[int(info["num"])] = found[0], found[1]
        ctx = work.PassageContext(first_new, para_doc, para_formula, lengths, hashes, index, code_batch, code_at, code_wide,
                                  members[0], members[1], doc_segment, doc_first, segments, str(scratch))
        ctx_path = scratch / "passages.npz"
        ctx.save(ctx_path)
        del ctx, members, code_batch, code_at, lengths, hashes, index, para_doc
        _trim()
        jobs = [work.PassageTask(k, [(path, int(table[a]), int(table[b])) for path, table in runs], str(ctx_path))
                for k, (a, b) in enumerate(zip(edges, edges[1:])) if cum[b] > cum[a]]
        found = pool.map(work.passages_task, jobs)
        stats["seeds"] = sum(f.seeds for f in found)
        stats["class_pairs"] = sum(f.classes for f in found)
        stats["passages"] = _concatenate([f.passages for f in found], part / st.PASSAGES_FILE, pas.PASSAGE_DTYPE)
        stats["near"] = _concatenate([f.near for f in found], part / st.NEAR_FILE, st.NEAR_DTYPE)
        stats["t_passages"] = round(time.perf_counter() - started, 3)
        new_paras = np.load(scratch / "paras.npy")
        new_paras["formula"] = para_formula[new_paras["num"]]
        np.save(part / st.PARAS_FILE, new_paras)


def _trim() -> None:
    """Give the memory this process freed back to the system (glibc keeps it otherwise)."""
    try:
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


def _plan(source_of, added: list[str], state: st.State, scratch: Path) -> list[work.FingerprintTask]:
    """The added reports numbered, their counted paragraphs as rows, as fingerprinting tasks.

    Reports are taken in batches of about BATCH_CHARS characters, as they always were: a paragraph's
    fingerprints depend on how many letters come before it in its batch, up to K - 1 (the windows
    reaching back before it), and the first paragraph of a batch has none. A task is a part of a batch
    (about TASK_CHARS characters) told the reports of its batch before it, to count those letters.
    `source_of(doc_id)` says where a report's texts are: (a folder with norm.bin and norm_off.npy,
    its first unit there, its units, their rows of the unit table), or None. Read from the unit
    tables only (no text is decoded here).
    """
    from ..backends.embedded import store

    counted = np.array([k in st.COUNTED_KINDS for k in store.KINDS], dtype=bool)
    kind_code = np.array([st.KINDS.index(k) for k in store.KINDS], dtype=np.uint8)
    tasks: list[work.FingerprintTask] = []
    batch: list[tuple[tuple, np.ndarray, int]] = []  # (where the report's texts are, its rows, its characters)
    chars = 0

    def flush() -> None:
        nonlocal batch, chars
        start = 0
        while start < len(batch):
            stop, size = start, 0
            while stop < len(batch) and (stop == start or size + batch[stop][2] <= TASK_CHARS):
                size += batch[stop][2]
                stop += 1
            part = batch[start:stop]
            if any(r.size for _doc, r, _n in part):
                tasks.append(work.FingerprintTask(len(tasks), [d for d, _r, _n in part],
                                                  np.concatenate([r for _d, r, _n in part]), str(scratch),
                                                  [d for d, _r, _n in batch[:start]][::-1]))
            start = stop
        batch, chars = [], 0

    for doc_id in added:
        num = state.next_doc
        state.next_doc += 1
        found = source_of(doc_id)
        total = 0
        if found is not None:
            folder, first, n, units = found
            mask = counted[units["kind"]]
            pick = np.flatnonzero(mask)
            r = np.zeros(pick.size, dtype=st.PARA_DTYPE)
            r["num"] = state.next_para + np.arange(pick.size)
            r["doc"] = num
            r["pid"] = units["pid"][pick]
            r["dup"] = np.maximum(units["dup"][pick], 1)
            r["kind"] = kind_code[units["kind"][pick]]
            r["index"] = pick
            r["length"] = units["length"][pick]
            state.next_para += pick.size
            total = int(r["length"].sum())
            batch.append(((folder, first, n, mask, units["length"].astype(np.int64)), r, total))
        chars += total
        state.docs[doc_id] = {"num": num, "chars": total}
        if chars >= BATCH_CHARS:
            flush()
    flush()
    return tasks


def _classes(new_paras: np.ndarray, others: np.ndarray, before: np.ndarray, old_live: np.ndarray,
             para_doc: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Identical paragraphs as classes: (representative of each paragraph, per representative the latest
    report of a new member (-1: none) and the earliest live report of a member).

    New paragraphs with the same normalized text (64-bit hashes of its letters and of its other
    characters, and its length) and the same
    letters before them in their batch, up to K - 1 (the windows their fingerprints are chosen in
    reach that far back), have the same fingerprints and the same texts: one class, represented by
    its first paragraph. A stored paragraph is a class of its own.
    """
    rep = np.arange(size, dtype=np.int32)
    max_new_doc = np.full(size, -1, dtype=np.int32)
    min_live_doc = np.full(size, np.iinfo(np.int32).max, dtype=np.int32)
    min_live_doc[old_live] = para_doc[old_live]
    if new_paras.size == 0:
        return rep, max_new_doc, min_live_doc
    nums = new_paras["num"].astype(np.int64)
    if not CLASSES:
        max_new_doc[nums] = min_live_doc[nums] = new_paras["doc"]
        return rep, max_new_doc, min_live_doc
    shape = (new_paras["length"].astype(np.int64) << 8) | before
    order = np.lexsort((nums, shape, others, new_paras["text_hash"]))
    one, two, shape = new_paras["text_hash"][order], others[order], shape[order]
    start = np.flatnonzero(np.r_[True, (one[1:] != one[:-1]) | (two[1:] != two[:-1]) | (shape[1:] != shape[:-1])])
    del one, two, shape
    nums, docs = nums[order], new_paras["doc"][order].astype(np.int32)
    del order
    sizes = np.diff(np.r_[start, nums.size])
    first = nums[start]  # the smallest number: nums ascend within a class
    rep[nums] = np.repeat(first, sizes)
    max_new_doc[first] = np.maximum.reduceat(docs, start)
    min_live_doc[first] = np.minimum.reduceat(docs, start)
    return rep, max_new_doc, min_live_doc


def _members(nums: np.ndarray, rep: np.ndarray, para_doc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Live paragraphs sorted by (representative, report, number): (rep << 32 | report, number)."""
    key = (rep[nums].astype(np.int64) << 32) | para_doc[nums]
    order = np.lexsort((nums, key))
    return key[order], nums[order].astype(np.uint32)


def _concatenate(files: list[str], out: Path, dtype: np.dtype) -> int:
    """Raw row files written one after another as one array file; the row count."""
    sizes = [os.path.getsize(f) // dtype.itemsize for f in files]
    with open(out, "wb") as fh:
        join.write_header(fh, dtype, sum(sizes))
        for f in files:
            with open(f, "rb") as src:
                shutil.copyfileobj(src, fh, 1 << 20)
    return sum(sizes)


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

    def source(self, doc_id: str) -> tuple[str, int, int, np.ndarray] | None:
        """Where a report's texts are: (segment folder, first unit, units, their rows of the unit table)."""
        found = self.where.get(doc_id)
        if found is None:
            return None
        s_i, first, rows = found
        return str(self.segments[s_i].folder), first, rows, np.asarray(self.segments[s_i].units[first:first + rows])

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


MERGE_ROWS = 1_000_000  # fingerprints merged at once when parts are compacted (one hash range of every part)
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
    bounds = join.hash_bounds([join.FpFile(f) for f in files], 0, join.HASHES, ranges)
    written = 0
    with open(out, "wb") as fh:
        join.write_header(fh, shingles.POSTING_DTYPE, total)
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
    join.FpFile(part / st.FP_FILE)  # and its sparse table
    for file, dtype, cols in ((st.PASSAGES_FILE, pas.PASSAGE_DTYPE, ("pa", "pb")), (st.NEAR_FILE, st.NEAR_DTYPE, ("a", "b"))):
        rows = np.concatenate([st.load(folder / p / file, dtype, mmap=False) for p in state.parts])
        keep_rows = ~dead[para_doc[rows[cols[0]]]] & ~dead[para_doc[rows[cols[1]]]]
        np.save(part / file, rows[keep_rows])
    for p in state.parts:
        shutil.rmtree(folder / p)
    state.parts = [name]
    state.dead = []
