"""The build's work in pieces that can run in worker processes: fingerprint a batch, join a hash range,
chain and grow the seeds of a range of paragraphs.

Each task takes and returns small things (paths, a few arrays); the bulk goes through scratch files.
`Workers` runs them in a few fresh worker processes (not forks of the indexer, so that they do not
carry its memory) or, for small work, in the calling process; results are the same.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path

import numpy as np

from .. import settings
from . import formulas, join
from . import passages as pas
from . import shingles
from . import storage as st

TEXT_CHARS = 2_000_000  # characters of paragraphs read at once to grow chains
OUT_ROWS = 250_000  # passages written at once when a class pair stands for many paragraph pairs
NEAR_CANDIDATE = 0.6  # both sides at least this much inside shared passages: worth comparing the texts
GAP_READ = 1 << 16  # bytes between two texts still read in one go


class Workers:
    """Tasks run in `n` worker processes, or here when n ≤ 1; results in task order either way.

    The workers are fresh interpreters (not forks: a fork would carry the indexer's memory, and count
    it again in the build's resident memory) that import this module, take pickled tasks through a
    pipe and send the results back. They die with the build (and when their pipe closes).
    """

    def __init__(self, n: int):
        self.n = n
        self.limit = n  # workers given tasks at once (fewer while the indexer is busy on another core)
        self._procs: list[tuple[subprocess.Popen, Connection, Connection]] = []

    def start(self) -> None:
        """Start the processes now (they take a moment to import; the caller keeps working meanwhile)."""
        if self.n <= 1 or self._procs:
            return
        package = Path(__file__).resolve().parent.parent  # the `search` package
        env = {**os.environ,
               # numpy's large temporaries come from the heap and go back to it, rather than being
               # mapped and unmapped one by one: page faults cost a third of the work otherwise
               # (the heap is given back after each task)
               "MALLOC_MMAP_THRESHOLD_": str(1 << 30), "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}
        # Only this package and numpy are needed: `search` is stood in for by an empty package, so
        # that its __init__ (the query parser, the segmenter: 0.3 s) is not imported.
        boot = ("import sys, types; m = types.ModuleType('search'); m.__path__ = [sys.argv[1]]; "
                f"sys.modules['search'] = m; from {__name__} import _serve; _serve(int(sys.argv[2]), int(sys.argv[3]))")
        for _ in range(self.n):
            task_r, task_w = os.pipe()
            result_r, result_w = os.pipe()
            proc = subprocess.Popen([sys.executable, "-c", boot, str(package), str(task_r), str(result_w)],
                                    pass_fds=(task_r, result_w), env=env, stdin=subprocess.DEVNULL)
            os.close(task_r)
            os.close(result_w)
            self._procs.append((proc, Connection(task_w, readable=False), Connection(result_r, writable=False)))

    def map(self, fn: Callable, tasks: Sequence, each: Callable[[int, object], None] | None = None) -> list:
        """fn(task) for every task, results in task order; or, with `each`, each(k, result) as they come
        (and nothing kept: results summed as they arrive never pile up)."""
        if self.n <= 1 or len(tasks) <= 1:
            if each is None:
                return [fn(t) for t in tasks]
            for k, t in enumerate(tasks):
                each(k, fn(t))
            return []
        self.start()
        results: list = [None] * len(tasks)
        todo = list(range(len(tasks)))
        todo.reverse()
        busy: dict[int, int] = {}  # worker → task
        name = f"{fn.__module__}:{fn.__qualname__}"
        while todo or busy:
            for w, (_proc, send, _recv) in enumerate(self._procs):
                if todo and w not in busy and len(busy) < self.limit:
                    k = todo.pop()
                    send.send((name, tasks[k]))
                    busy[w] = k
            ready = wait([self._procs[w][2] for w in busy])
            for w in list(busy):
                recv = self._procs[w][2]
                if recv not in ready:
                    continue
                try:
                    ok, value = recv.recv()
                except EOFError:
                    self.close()
                    raise RuntimeError("a reuse worker process ended unexpectedly") from None
                k = busy.pop(w)
                if not ok:
                    self.close()
                    raise RuntimeError(f"reuse worker failed:\n{value}")
                if each is None:
                    results[k] = value
                else:
                    each(k, value)
                del value
        return results if each is None else []

    def close(self) -> None:
        for proc, send, recv in self._procs:
            try:
                send.close()
            except OSError:
                pass
            recv.close()
        for proc, _send, _recv in self._procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._procs = []


def _serve(task_fd: int, result_fd: int) -> None:
    """A worker's loop: run the tasks that come through the pipe until it closes."""
    import importlib
    import signal
    import traceback

    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the build
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C stops the build, which closes the pipe
    tasks = Connection(task_fd, writable=False)
    results = Connection(result_fd, readable=False)
    trim = _malloc_trim()
    while True:
        try:
            name, task = tasks.recv()
        except EOFError:
            return
        module, _, qualname = name.partition(":")
        try:
            fn = getattr(importlib.import_module(module), qualname)
            results.send((True, fn(task)))
        except BaseException:  # noqa: BLE001 - reported to the build, which stops
            results.send((False, traceback.format_exc()))
        del task
        if trim is not None:
            trim(0)  # what the task freed goes back to the system, not kept for the next one


def _malloc_trim():
    """glibc's malloc_trim, or None."""
    try:
        import ctypes

        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return None


def reset() -> None:
    """Let go of what tasks run in this process kept (open texts, loaded arrays)."""
    for _offsets, fd in _SEGMENTS.values():
        os.close(fd)
    _SEGMENTS.clear()
    _CONTEXTS.clear()


# -- fingerprinting ------------------------------------------------------------------------------------

@dataclass
class FingerprintTask:
    """Some added reports of one batch: where their texts are and their paragraph rows (numbers given)."""

    index: int
    docs: list[tuple[str, int, int, np.ndarray, np.ndarray]]  # (segment folder, first unit, units, which count, characters)
    rows: np.ndarray  # PARA_DTYPE rows of the counted units, in order
    scratch: str
    earlier: list  # the reports of the batch before these, nearest first (their letters count, up to K - 1)


@dataclass
class Fingerprinted:
    letters: np.ndarray
    text_hash: np.ndarray  # hash of the letters …
    others: np.ndarray  # … and of the other characters: with the length, the text's identity
    before: np.ndarray  # letters before each paragraph in its batch, at most K - 1 (its fingerprints depend on it)
    fingerprints: int
    wide: bool  # code points saved as 32 bits (else 16)
    shaped: np.ndarray  # a formula by its shape (formulas.py), whatever its fingerprints say


_SEGMENTS: dict[str, tuple[np.ndarray, int]] = {}


def _segment(folder: str) -> tuple[np.ndarray, int]:
    """(normalized byte offsets, open norm.bin) of a segment, kept open for the process's life."""
    got = _SEGMENTS.get(folder)
    if got is None:
        offsets = np.load(Path(folder) / "norm_off.npy")
        got = _SEGMENTS[folder] = (offsets, os.open(Path(folder) / "norm.bin", os.O_RDONLY))
    return got


def batch_codes(docs: list[tuple[str, int, int, np.ndarray, np.ndarray]], lengths: np.ndarray | None) -> np.ndarray:
    """Code points of the counted units of some reports, end to end (texts read report by report)."""
    pieces = []
    for folder, first, units, counted, chars in docs:
        offsets, fd = _segment(folder)
        a, b = int(offsets[first]), int(offsets[first + units])
        text = os.pread(fd, b - a, a).decode("utf-8")
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        if codes.size != int(chars.sum()):  # lengths not as stored: measure each unit's text
            sizes = np.diff(offsets[first:first + units + 1])
            chars = np.array([len(t) for t in _split(text, sizes)], dtype=np.int64)
        pieces.append(codes[np.repeat(counted, chars)])
    out = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.uint32)
    if lengths is not None and out.size != int(lengths.sum()):
        raise RuntimeError("texts read back do not match their lengths")
    return out


def _split(text: str, byte_sizes: np.ndarray) -> list[str]:
    raw = text.encode("utf-8")
    ends = np.cumsum(byte_sizes).tolist()
    starts = [0] + ends[:-1]
    return [raw[a:b].decode("utf-8") for a, b in zip(starts, ends)]


def fingerprint_task(task: FingerprintTask) -> Fingerprinted:
    """Fingerprints of some reports (saved sorted by hash, with their sparse table), their texts as code points.

    The same as if their whole batch were fingerprinted: letters of the batch before them (they only
    count, up to K - 1, as positions the first windows may start at) stand in front as a paragraph
    too short to have fingerprints of its own.
    """
    rows = task.rows
    lengths = rows["length"].astype(np.int64)
    codes = batch_codes(task.docs, lengths)
    shaped = _shaped(codes, lengths)
    scratch = Path(task.scratch)
    wide = bool(codes.size and int(codes.max()) >= 1 << 16)
    codes.astype(np.uint32 if wide else np.uint16).tofile(scratch / f"codes-{task.index}.bin")
    lead = 0
    for doc in task.earlier:
        if lead >= shingles.K - 1:
            break
        lead += int(shingles.word_mask(batch_codes([doc], None)).sum())
    lead = min(lead, shingles.K - 1)
    if lead:
        codes = np.concatenate([np.full(lead, ord("a"), dtype=np.uint32), codes])
        lengths = np.r_[lead, lengths]
        numbers = np.r_[np.uint32(0xFFFFFFFF), rows["num"].astype(np.uint32)]
    else:
        numbers = rows["num"]
    b = shingles.batch_of_codes(codes, lengths, numbers)
    others = shingles.text_keys(b, codes)[1 if lead else 0:]
    del codes
    letters = np.diff(b.bounds).astype(np.uint32)[1 if lead else 0:]
    text_hash = shingles.text_hashes(b)[1 if lead else 0:]
    before = np.minimum(b.bounds[:-1], shingles.K - 1).astype(np.uint8)[1 if lead else 0:]
    fp = shingles.fingerprints(b)  # none of the stand-in: shorter than a k-gram
    del b
    fp = shingles.take(fp, shingles.stable_order(fp["hash"]))
    path = scratch / f"fp-{task.index}.npy"
    np.save(path, fp)
    np.save(join.index_path(path), fp["hash"][::join.BLOCK])
    return Fingerprinted(letters, text_hash, others, before, int(fp.size), wide, shaped)


def _shaped(codes: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Per paragraph (code points end to end), whether it has a formula's shape; only short ones are decoded."""
    limit = int(settings.get("reuse_formula_shape_chars"))
    out = np.zeros(lengths.size, dtype=bool)
    ends = np.cumsum(lengths)
    short = np.flatnonzero((lengths > 0) & (lengths <= limit))
    texts = [codes[ends[i] - lengths[i]:ends[i]].astype(np.uint32).tobytes().decode("utf-32-le") for i in short]
    out[short] = formulas.shaped(texts)
    return out


# -- joining ----------------------------------------------------------------------------------------

@dataclass
class JoinTask:
    inputs: list[str]  # fingerprint files, stored parts first
    new: list[bool]
    lo_hash: int
    hi_hash: int
    context: str
    out_fp: str
    new_before: int
    scratch: str
    name: str
    paragraphs: int


_CONTEXTS: dict[str, object] = {}


def _context(path: str, loader: Callable):
    got = _CONTEXTS.get(path)
    if got is None:
        _CONTEXTS.clear()  # one build at a time
        got = _CONTEXTS[path] = loader(Path(path))
    return got


def join_task(task: JoinTask) -> join.JoinResult:
    """`join.join_range` over files (in a worker)."""
    ctx = _context(task.context, join.JoinContext.load)
    inputs = [join.FpFile(Path(p)) for p in task.inputs]
    return join.join_range(inputs, task.new, task.lo_hash, task.hi_hash, ctx, Path(task.out_fp), task.new_before,
                           Path(task.scratch), task.name, task.paragraphs)


# -- passages ---------------------------------------------------------------------------------------

@dataclass
class PassageContext:
    """Per paragraph number: what chaining, growing, comparing and expanding need (saved once)."""

    first_new: int
    doc: np.ndarray  # report number
    formula: np.ndarray  # a formula paragraph (final, new ones included)
    length: np.ndarray  # normalized characters
    text_hash: np.ndarray  # hash of its letters (equal letters: identical)
    index: np.ndarray  # position among its report's units (stored paragraphs' texts are read by it)
    code_batch: np.ndarray  # new paragraphs: the batch whose codes file holds the text …
    code_at: np.ndarray  # … and where (in characters)
    code_wide: np.ndarray  # per batch: its codes file holds 32-bit code points (else 16-bit)
    member_key: np.ndarray  # live paragraphs sorted by (representative, report, number): rep << 32 | report
    member_num: np.ndarray  # … and their numbers
    doc_segment: np.ndarray  # report number → the segment holding its texts (index in `segments`, -1: none) …
    doc_first: np.ndarray  # … and its first unit there
    segments: list[str]
    scratch: str

    def save(self, path: Path) -> None:
        import json

        np.savez(path, first_new=np.int64(self.first_new), doc=self.doc, formula=self.formula, length=self.length,
                 text_hash=self.text_hash, index=self.index, code_batch=self.code_batch, code_at=self.code_at,
                 code_wide=self.code_wide, member_key=self.member_key, member_num=self.member_num, doc_segment=self.doc_segment,
                 doc_first=self.doc_first)
        path.with_suffix(".json").write_text(json.dumps({"segments": self.segments, "scratch": self.scratch}),
                                             encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> PassageContext:
        import json

        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        with np.load(path) as z:
            return cls(int(z["first_new"]), z["doc"], z["formula"], z["length"], z["text_hash"], z["index"],
                       z["code_batch"], z["code_at"], z["code_wide"], z["member_key"], z["member_num"], z["doc_segment"],
                       z["doc_first"], meta["segments"], meta["scratch"])


@dataclass
class PassageTask:
    index: int
    runs: list[tuple[str, int, int]]  # seed files and the rows of this task's paragraphs in each
    context: str


@dataclass
class PassageResult:
    passages: str
    near: str
    passage_rows: int
    near_rows: int
    seeds: int
    classes: int  # class pairs with passages


def passages_task(task: PassageTask) -> PassageResult:
    """Passages and near-identical pairs of the seeds of some paragraphs (x), written to scratch files."""
    ctx: PassageContext = _context(task.context, PassageContext.load)
    pieces = []
    for path, lo, hi in task.runs:
        if hi > lo:
            with open(path, "rb") as fh:
                pieces.append(np.fromfile(fh, dtype=pas.SEED_DTYPE, count=hi - lo, offset=lo * pas.SEED_DTYPE.itemsize))
    seeds = np.concatenate(pieces) if pieces else np.zeros(0, dtype=pas.SEED_DTYPE)
    del pieces
    seeds = seeds[~ctx.formula[seeds["xp"]] & ~ctx.formula[seeds["yp"]]]
    n_seeds = int(seeds.size)
    chains = pas.chain(seeds)
    del seeds
    scratch = Path(ctx.scratch)
    out_p = scratch / f"passages-{task.index}.bin"
    out_n = scratch / f"near-{task.index}.bin"
    found, near = [], []
    # The texts of the paragraphs the chains join, to grow them to the copy's ends and to compare
    # paragraphs: read for chunks of chains by earlier paragraph, about TEXT_CHARS characters each.
    chains = shingles.take(chains, np.argsort(chains["pb"], kind="stable"))
    first = np.r_[True, chains["pb"][1:] != chains["pb"][:-1]]
    size = np.cumsum(np.where(first, ctx.length[chains["pb"].astype(np.int64)], 0))
    start = 0
    while start < chains.size:
        stop = int(np.searchsorted(size, size[start] + TEXT_CHARS, side="left"))
        stop = max(stop, start + 1)
        while stop < chains.size and not first[stop]:
            stop += 1  # one earlier paragraph's chains stay together
        part = chains[start:stop]
        nums = np.union1d(part["pa"], part["pb"]).astype(np.int64)
        starts, lengths, codes = _codes_of(nums, ctx)
        grown = pas.extend_codes(part, nums, starts, lengths, codes)
        found.append(grown)
        near.append(_near(grown, ctx, nums, starts, lengths, codes))
        del codes
        start = stop
    grown = np.concatenate(found) if found else np.zeros(0, dtype=pas.PASSAGE_DTYPE)
    close = np.concatenate(near) if near else np.zeros(0, dtype=st.NEAR_DTYPE)
    grown = shingles.take(grown, np.lexsort((grown["a0"], grown["pb"], grown["pa"])))
    close = shingles.take(close, np.lexsort((close["b"], close["a"])))
    classes = int(np.unique((grown["pa"].astype(np.int64) << 32) | grown["pb"]).size) if grown.size else 0
    with open(out_p, "wb") as fp, open(out_n, "wb") as fn:
        p_rows = sum(piece.size for piece in _expand(grown, ("pa", "pb"), ctx, fp))
        n_rows = sum(piece.size for piece in _expand(close, ("a", "b"), ctx, fn))
    return PassageResult(str(out_p), str(out_n), p_rows, n_rows, n_seeds, classes)


def _codes_of(nums: np.ndarray, ctx: PassageContext) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Code points of some paragraphs (sorted numbers): (start of each in codes, lengths, codes)."""
    lengths = ctx.length[nums].astype(np.int64)
    starts = np.cumsum(lengths) - lengths
    codes = np.empty(int(lengths.sum()), dtype=np.uint32)
    new = nums >= ctx.first_new
    # new paragraphs: from the batches' codes files, neighbours in one read
    k = np.flatnonzero(new)
    if k.size:
        local = nums[k] - ctx.first_new
        batch, at = ctx.code_batch[local].astype(np.int64), ctx.code_at[local]
        order = np.lexsort((at, batch))
        k, batch, at = k[order], batch[order], at[order]
        end = at + lengths[k]
        brk = np.r_[True, (batch[1:] != batch[:-1]) | ((at[1:] - end[:-1]) * 4 > GAP_READ)]
        groups = np.flatnonzero(brk)
        for g0, g1 in zip(groups.tolist(), np.r_[groups[1:], k.size].tolist()):
            a, b = int(at[g0]), int(end[g0:g1].max())
            dtype = np.uint32 if ctx.code_wide[int(batch[g0])] else np.uint16
            with open(Path(ctx.scratch) / f"codes-{int(batch[g0])}.bin", "rb") as fh:
                block = np.fromfile(fh, dtype=dtype, count=b - a, offset=a * np.dtype(dtype).itemsize)
            for i, x, n in zip(k[g0:g1].tolist(), (at[g0:g1] - a).tolist(), lengths[k[g0:g1]].tolist()):
                codes[starts[i]:starts[i] + n] = block[x:x + n]
    # stored paragraphs: from the index's segments, the units of one report in one read
    k = np.flatnonzero(~new)
    if k.size:
        rows = ctx.doc_first[ctx.doc[nums[k]]] + ctx.index[nums[k]]
        segment = ctx.doc_segment[ctx.doc[nums[k]]]
        order = np.lexsort((rows, segment))
        k, rows, segment = k[order], rows[order], segment[order]
        brk = np.r_[True, (segment[1:] != segment[:-1]) | (rows[1:] - rows[:-1] > 64)]
        groups = np.flatnonzero(brk)
        for g0, g1 in zip(groups.tolist(), np.r_[groups[1:], k.size].tolist()):
            if segment[g0] < 0:
                continue
            offsets, fd = _segment(ctx.segments[int(segment[g0])])
            first, last = int(rows[g0]), int(rows[g1 - 1])
            blob = os.pread(fd, int(offsets[last + 1]) - int(offsets[first]), int(offsets[first]))
            base = int(offsets[first])
            for i, row in zip(k[g0:g1].tolist(), rows[g0:g1].tolist()):
                text = blob[int(offsets[row]) - base:int(offsets[row + 1]) - base].decode("utf-8")
                c = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
                n = min(c.size, int(lengths[i]))
                codes[starts[i]:starts[i] + n] = c[:n]
    return starts, lengths, codes


def _near(found: np.ndarray, ctx: PassageContext, nums, starts, lengths, codes) -> np.ndarray:
    """Near-identical pairs (`shingles.similarity` ≥ shingles.NEAR) among the paragraph pairs with passages."""
    if found.size == 0:
        return np.zeros(0, dtype=st.NEAR_DTYPE)
    p = found[np.lexsort((found["a0"], found["pb"], found["pa"]))]
    pair = (p["pa"].astype(np.int64) << 32) | p["pb"].astype(np.int64)
    cov_a = pas.covered(p["a0"], p["a1"], pair)
    first = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    pa, pb = p["pa"][first].astype(np.int64), p["pb"][first].astype(np.int64)
    q = p[np.lexsort((p["b0"], pair))]
    cov_b = pas.covered(q["b0"], q["b1"], (q["pa"].astype(np.int64) << 32) | q["pb"].astype(np.int64))
    la, lb = np.maximum(ctx.length[pa], 1), np.maximum(ctx.length[pb], 1)
    cand = (cov_a / la >= NEAR_CANDIDATE) & (cov_b / lb >= NEAR_CANDIDATE) & (np.minimum(la, lb) >= shingles.NEAR * np.maximum(la, lb))
    pa, pb = pa[cand], pb[cand]
    same = ctx.text_hash[pa] == ctx.text_hash[pb]
    identical = np.zeros(int(same.sum()), dtype=st.NEAR_DTYPE)
    identical["a"], identical["b"], identical["similarity"] = pa[same], pb[same], 1.0

    def text(num: int) -> str:
        i = int(np.searchsorted(nums, num))
        if i >= nums.size or nums[i] != num:
            return ""
        return codes[starts[i]:starts[i] + lengths[i]].tobytes().decode("utf-32-le")

    close = []
    for a, b in zip(pa[~same].tolist(), pb[~same].tolist()):
        j = shingles.similarity(text(a), text(b))
        if j >= shingles.NEAR:
            close.append((a, b, j))
    return np.concatenate([identical, np.array(close, dtype=st.NEAR_DTYPE)])


def _expand(rows: np.ndarray, cols: tuple[str, str], ctx: PassageContext, out):
    """Rows between class representatives (sorted by them) as rows between every pair of members they stand for.

    Class X's member x (new) and class Y's member y (alive) make a pair when y's report is earlier
    than x's. A class of one paragraph stands for itself. Written to `out` OUT_ROWS at a time.
    """
    if rows.size == 0:
        return
    xa, ya = cols
    key = (rows[xa].astype(np.int64) << 32) | rows[ya].astype(np.int64)
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    count = np.diff(np.r_[first, rows.size])
    rx, ry = rows[xa][first].astype(np.int64), rows[ya][first].astype(np.int64)
    mk = ctx.member_key
    x0 = np.searchsorted(mk, rx << 32)
    x1 = np.searchsorted(mk, (rx + 1) << 32)
    y0 = np.searchsorted(mk, ry << 32)
    per = x1 - x0  # members of x's class
    # per class pair and member x: y's members in earlier reports
    u = np.repeat(np.arange(first.size), per)
    xm = np.repeat(x0, per) + (np.arange(u.size) - np.repeat(np.cumsum(per) - per, per))
    xdoc = (mk[xm] & 0xFFFFFFFF).astype(np.int64)
    ky = np.searchsorted(mk, (ry[u] << 32) | xdoc) - y0[u]
    weight = ky * count[u]  # output rows per (class pair, x member)
    cum = np.cumsum(weight)
    a = 0
    while a < u.size:
        b = int(np.searchsorted(cum, (cum[a - 1] if a else 0) + OUT_ROWS, side="right"))
        b = max(b, a + 1)
        kys, us, xms = ky[a:b], u[a:b], xm[a:b]
        pu = np.repeat(us, kys)
        px = np.repeat(xms, kys)
        py = np.repeat(y0[us], kys) + (np.arange(pu.size) - np.repeat(np.cumsum(kys) - kys, kys))
        c = count[pu]
        r = np.repeat(first[pu], c) + (np.arange(int(c.sum())) - np.repeat(np.cumsum(c) - c, c))
        piece = shingles.take(rows, r)
        piece[xa] = np.repeat(ctx.member_num[px], c)
        piece[ya] = np.repeat(ctx.member_num[py], c)
        out.write(piece.tobytes())
        yield piece
        a = b
