"""Build or update an embedded index: files → documents → runs → a segment → a new generation.

The work is split so memory stays bounded whatever the collection's size and both cores are used:

- Two forked workers read files in chunks (a few megabytes each, in file order), repair and split
  them into documents, normalize every paragraph and write a *run* (sorted bigram pairs, texts,
  per-row arrays) into the new generation's scratch folder. Only small document records travel back.
- The parent takes the records in file order and decides duplicates (a copy whose metadata agrees
  with its text wins); a losing copy is marked dead, not rewritten.
- `store.merge` streams all runs into one segment, key range by key range, leaving dead rows out.
- An update keeps the previous generation's segments (hard links), marks the documents of changed
  and removed files dead and adds one segment for what was read; when dead rows or segments pile up
  the live paragraphs are compacted into one segment again.
- Last, per-generation files: the document table (Whoosh), per-row document codes and order keys.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ... import settings
from ...models import Document, Duplicate, IndexSummary, SkippedFile
from ...normalize import normalize
from ..base import doc_ranks, document_order, kind_ranks, order_keys, paragraph_id, parse_paragraph_id
from . import doctable, generation as gen_mod, store
from .pool import Pool

SCHEMA_VERSION = 6
ROWS_FILE = "rows.npy"
SEGMENTS_DIR = "segments"
RUN_CHARS = 4_000_000  # characters per run: a worker's peak stays near 300 MB
CHUNK_BYTES = 2 << 20  # file bytes per task sent to a worker
FILE_TIMEOUT = float(settings.get("file_timeout"))  # seconds one file may take to read before it is skipped
WORKER_MEMORY = int(settings.get("worker_memory_mb")) << 20  # address space a worker may add while reading a chunk
MAX_SEGMENTS = 6  # more segments than this (or DEAD_SHARE dead rows) and the live rows are compacted
DEAD_SHARE = 0.3
# Called as hook(generation, base generation or None, added doc ids, removed doc ids) after the
# segments are final and before the generation is swapped in (and before its document table exists).
# A hook's optional `begin(generation, base, runs, run_live, removed doc ids so far)` is called before
# the new documents' runs are merged (store.Run: texts and records as written; run_live[i] says which
# of run i's documents are kept); the runs are deleted once merged.
GENERATION_HOOKS: list[Callable[[Path, Path | None, list[str], list[str]], None]] = []
ROW_DTYPE = np.dtype([
    ("doc", "<i4"), ("relevance", "<i8"), ("newest", "<i8"), ("oldest", "<i8"), ("document", "<i8"),
])


@dataclass
class BuildOptions:
    """How to read files (manifest, dataset columns) and how to run."""

    manifest: object = None
    columns: dict[str, str] | None = None
    keep_duplicates: bool = False
    workers: int = 2
    progress: bool = False
    without: frozenset[str] = frozenset()  # side data not to write this run (a hook's `side` name, e.g. "reuse")


@dataclass
class _DocIn:
    """A document's record while building, before it has rows in a segment."""

    record: dict
    run: str
    local: int
    signature: bytes
    agreement: int


@dataclass
class _Chunk:
    runs: list[dict] = field(default_factory=list)  # {"name", "rows", "docs": [records]}
    skipped: list[tuple[str, str]] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # file key → sha256 of what was read
    characters: int = 0


# -- the worker side ---------------------------------------------------------------------------------

def _signature(units: Sequence[store.UnitIn]) -> bytes:
    """The near-duplicate signature of a report (ingest's), from the normalized texts already computed."""
    from ...ingest.dedupe import BODY_KINDS, signature_of_text

    return signature_of_text("".join(u.norm for u in units if u.kind in BODY_KINDS))


class _ChunkJob:
    """Runs in a worker: read a chunk of files and write their paragraphs as runs."""

    def __init__(self, scratch: Path, options: BuildOptions):
        self.scratch = scratch
        self.options = options

    def __call__(self, items: Sequence[tuple[str, object, str]], started: Callable[[int], None]) -> _Chunk:
        from ...ingest import agreement, read_documents, short_paragraphs
        from ...ingest.raw import IngestError

        out = _Chunk()
        units: list[store.UnitIn] = []
        records: list[dict] = []
        chars = 0

        def flush() -> None:
            nonlocal units, records, chars
            if not records:
                return
            name = f"run-{os.getpid()}-{time.monotonic_ns()}"
            store.write_run(self.scratch, name, units, records)
            out.runs.append({"name": name, "rows": len(units), "docs": records})
            units, records, chars = [], [], 0

        for k, (key, src, sha) in enumerate(items):
            started(k)
            try:
                copies: dict[str, list] = {}  # doc_id → copies inside the file collapsed into it
                docs = read_documents(src, self.options.manifest, self.options.columns, copies=copies)
            except IngestError as exc:
                memory = isinstance(exc.__cause__, MemoryError)
                out.skipped.append((src.rel, "读取时内存超限，已跳过" if memory else exc.reason))
                continue
            except OSError as exc:  # vanished or unreadable between discovery and reading
                out.skipped.append((src.rel, f"无法读取：{exc.strerror or exc}"))
                continue
            except RecursionError:
                out.skipped.append((src.rel, "结构嵌套过深，无法解析"))
                continue
            except MemoryError:
                out.skipped.append((src.rel, "读取时内存超限，已跳过"))
                continue
            out.files[key] = sha
            for doc in docs:
                local = len(records)
                first = len(units)
                parents: dict[tuple[str, ...], int] = {}
                for para in doc.paragraphs:
                    norm = normalize(para.text)
                    row = len(units)
                    pid, dup = _id_parts(doc.doc_id, para.id)
                    # the innermost heading above: the nearest heading that opened this section path
                    parent = parents.get(tuple(para.section), -1)
                    units.append(store.UnitIn(local, para.ordinal, para.kind, para.level, parent, pid, dup, para.text, norm))
                    if para.kind == "heading":
                        parents[(*para.section, para.text)] = row
                    chars += len(norm)
                    out.characters += len(para.text)
                record = doc.metadata()
                record.update(
                    file=key, first=first, rows=len(units) - first,
                    signature=_signature(units[first:]).hex(), agreement=agreement(doc), short=short_paragraphs(doc),
                )
                if copies.get(doc.doc_id):  # copies of it inside the same file, collapsed into it
                    record["copies"] = [[c.dropped, c.kept, c.reason] for c in copies[doc.doc_id]]
                records.append(record)
                if chars >= RUN_CHARS:
                    flush()
        flush()
        return out


def _id_parts(doc_id: str, pid: str) -> tuple[int, int]:
    """The 32-bit hash and repeat number of a paragraph id "docid-hash8[-n]" (stored instead of the string)."""
    parts = parse_paragraph_id(pid)
    if parts is None or parts[0] != doc_id:
        raise ValueError(f"unexpected paragraph id {pid!r}")
    return parts[1], parts[2]


def read_units(generation: Path, doc_ids: Sequence[str]) -> dict[str, list[tuple[str, str, str, str]]]:
    """(paragraph id, kind, display text, normalized text) of each document's paragraphs, in reading order.

    For side data written during a build (text reuse); works before the generation is complete.
    """
    meta_segments = sorted((generation / SEGMENTS_DIR).iterdir(), reverse=True)  # newest first: a re-read report's new copy
    wanted = set(doc_ids)
    out: dict[str, list[tuple[str, str, str, str]]] = {}
    for folder in meta_segments:
        segment = store.Segment(folder)
        for record in segment.docs:
            if record["doc_id"] not in wanted or record["doc_id"] in out:
                continue
            units = []
            for row in range(record["first"], record["first"] + record["rows"]):
                u = segment.units[row]
                units.append((
                    paragraph_id(record["doc_id"], int(u["pid"]), int(u["dup"])), store.KINDS[int(u["kind"])],
                    segment.display(row), segment.norm_text(row),
                ))
            out[record["doc_id"]] = units
    return out


# -- the parent side ---------------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _root_of(path: Path, roots: list[str]) -> str:
    resolved = str(path.resolve())
    for root in sorted(roots, key=len, reverse=True):
        if resolved == root or resolved.startswith(root.rstrip(os.sep) + os.sep):
            return root
    return str(path.resolve().parent)


def _chunks(items: list[tuple[str, object, str]]) -> list[list[tuple[str, object, str]]]:
    out: list[list] = []
    current: list = []
    size = 0
    for item in items:
        try:
            n = item[1].path.stat().st_size
        except OSError:
            n = 0
        if current and size + n > CHUNK_BYTES:
            out.append(current)
            current, size = [], 0
        current.append(item)
        size += n
    if current:
        out.append(current)
    return out


class _Progress:
    def __init__(self, total: int, enabled: bool):
        self.bar = None
        if enabled and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="文件", file=sys.stderr, dynamic_ncols=True, leave=False)

    def step(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@dataclass
class _SegmentState:
    name: str
    rows: int
    docs: list[dict]  # records in local order, with "first"/"rows"
    dead: set[int] = field(default_factory=set)  # local doc indices no longer in the index


def build(paths: Sequence[str | Path], index_dir: Path, rebuild: bool, options: BuildOptions) -> IndexSummary:
    """Index the files under `paths` into a new generation of `index_dir` and swap it in."""
    from ...ingest import discover

    with gen_mod.build_lock(index_dir):
        started = time.perf_counter()
        files, skipped = discover(paths)
        summary = IndexSummary(index_dir=str(index_dir), files=len(files), skipped=list(skipped))
        roots = sorted(str(Path(p).resolve()) for p in paths)
        base = None if rebuild else gen_mod.current_generation(index_dir)
        meta: dict = {}
        if base is not None:
            try:
                meta = gen_mod.read_meta(base)
            except (OSError, ValueError):
                meta = {}
            if meta.get("schema_version") != SCHEMA_VERSION:
                base, meta = None, {}  # an older format is rebuilt from scratch
        known: dict[str, dict] = meta.get("files", {})

        current: dict[str, tuple[object, str]] = {}
        for src in files:
            current[f"{_root_of(src.path, roots)}::{src.rel}"] = (src, _root_of(src.path, roots))
        changed: list[tuple[str, object, str]] = []
        for key, (src, _root) in current.items():
            try:
                sha = _sha256(src.path)
            except OSError as exc:
                summary.skipped.append(SkippedFile(src.rel, f"无法读取：{exc.strerror or exc}"))
                continue
            if key in known and known[key]["sha256"] == sha:
                summary.unchanged += 1
            else:
                changed.append((key, src, sha))
                summary.updated += key in known
                summary.added += key not in known
        removed_keys = {k for k, info in known.items() if info.get("root") in roots and k not in current}
        summary.removed = len(removed_keys)
        drop_files = removed_keys | {k for k, _, _ in changed if k in known}
        file_table = {k: v for k, v in known.items() if k not in drop_files}

        generation = gen_mod.new_generation(index_dir)
        try:
            _write(generation, base, meta, changed, drop_files, file_table, roots, current, options, summary)
            gen_mod.swap_current(index_dir, generation)
        except BaseException:
            shutil.rmtree(generation, ignore_errors=True)
            raise
        gen_mod.cleanup(index_dir)
        summary.generation = generation.name
        summary.seconds = time.perf_counter() - started
        return summary


def _write(
    generation: Path, base: Path | None, meta: dict, changed: list, drop_files: set[str], file_table: dict,
    roots: list[str], current: dict, options: BuildOptions, summary: IndexSummary,
) -> None:
    scratch = generation / "scratch"
    scratch.mkdir()
    seg_dir = generation / SEGMENTS_DIR
    seg_dir.mkdir()

    # the previous generation's segments, hard-linked, with its dead documents
    segments: list[_SegmentState] = []
    for info in meta.get("segments", []):
        src = base / SEGMENTS_DIR / info["name"]
        (seg_dir / info["name"]).mkdir()
        for item in src.iterdir():
            os.link(item, seg_dir / info["name"] / item.name)
        with open(src / "docs.jsonl", encoding="utf-8") as fh:
            docs = [json.loads(line) for line in fh]
        segments.append(_SegmentState(info["name"], info["rows"], docs, set(info.get("dead", []))))
    from ...ingest import Deduper, is_copies_note
    from ...ingest.dedupe import identity

    removed_ids: list[str] = []
    deduper = Deduper()  # near-duplicates on normalized text, seeded with what the index keeps
    for seg in segments:
        for k, record in enumerate(seg.docs):
            if k in seg.dead:
                continue
            if record.get("file") in drop_files:
                seg.dead.add(k)
                removed_ids.append(record["doc_id"])
                continue
            deduper.seed(record["doc_id"], record["source"], bytes.fromhex(record["signature"]),
                         int(record.get("agreement", 0)), identity(record))

    # read what changed, in chunks, in file order
    job = _ChunkJob(scratch, options)
    tasks = _chunks(changed)
    pool = Pool(job, workers=options.workers, timeout=FILE_TIMEOUT, memory_limit=WORKER_MEMORY)
    progress = _Progress(len(changed), options.progress)
    runs: list[store.Run] = []
    run_live: list[np.ndarray] = []
    pending: dict[str, tuple[int, int]] = {}  # doc_id of a doc read this run → (run index, local)
    seen_ids: set[str] = {r["doc_id"] for s in segments for k, r in enumerate(s.docs) if k not in s.dead}
    notes: dict[str, list[str]] = {}  # doc_id → what ingest noticed, for the documents kept
    for _index, chunk, failed in pool.run(tasks):
        progress.step(len(tasks[_index]))
        for item, reason in failed:
            summary.skipped.append(SkippedFile(item[1].rel, reason))
        if chunk is None:
            continue
        for rel, reason in chunk.skipped:
            summary.skipped.append(SkippedFile(rel, reason))
        for key, sha in chunk.files.items():
            file_table[key] = {"sha256": sha, "root": current[key][1], "rel": current[key][0].rel}
        summary.characters += chunk.characters
        for run_info in chunk.runs:
            run = store.Run(scratch, run_info["name"], run_info["rows"], run_info["docs"])
            live = np.ones(len(run.docs), dtype=bool)
            for local, record in enumerate(run.docs):
                doc_id, source = record["doc_id"], record["source"]
                if doc_id in seen_ids:  # the same source read twice (a file named twice on the command line)
                    live[local] = False
                    summary.duplicates.append(Duplicate(source, source, f"与已索引的文档标识 {doc_id} 相同，已跳过"))
                    continue
                if options.keep_duplicates:
                    kind = "new"
                else:
                    decision = deduper.offer_signature(
                        doc_id, source, bytes.fromhex(record["signature"]), int(record.get("agreement", 0)),
                        identity(record),
                    )
                    kind = decision.kind
                if kind == "duplicate":
                    live[local] = False
                    summary.duplicates.append(Duplicate(source, decision.other_source, decision.reason))
                    continue
                if kind == "replaces":  # this copy agrees with its text, the kept one did not
                    _kill(decision.other_doc_id, segments, pending, [*run_live, live], removed_ids)
                    notes.pop(decision.other_doc_id, None)
                    summary.duplicates.append(Duplicate(decision.other_source, source, decision.reason))
                pending[doc_id] = (len(runs), local)
                seen_ids.add(doc_id)
                # copies of the report inside its own file are duplicates too ("copies.html#2" dropped,
                # "copies.html#1" kept), not a metadata conflict
                summary.duplicates.extend(Duplicate(*c) for c in record.get("copies") or [])
                notes[doc_id] = [source, *(n for n in record.get("notes") or [] if not is_copies_note(n))]
            runs.append(run)
            run_live.append(live)
    for source, *said in notes.values():
        summary.conflicts.extend(SkippedFile(source, note) for note in said)
    progress.close()

    added_records: list[dict] = []
    if runs and any(live.any() for live in run_live):
        for hook in GENERATION_HOOKS:
            # side data may start on the new documents' texts (as written in the runs) while the runs
            # are merged, on the core the merge leaves idle
            begin = getattr(hook, "begin", None)
            if begin is not None and getattr(hook, "side", None) not in options.without:
                begin(generation, base, runs, run_live, removed_ids)
        name = _segment_name(seg_dir)
        records = store.merge(runs, run_live, seg_dir / name)
        rows = int(np.load(seg_dir / name / "units.npy", mmap_mode="r").shape[0])
        segments.append(_SegmentState(name, rows, records))
        added_records = records
    for run in runs:
        store.remove_run(run)

    # what this run changed, as side data sees it (compaction below only renumbers rows)
    new_ids = [r["doc_id"] for r in added_records]
    gone_ids = [d for d in removed_ids if d not in set(new_ids)]
    total_rows = sum(s.rows for s in segments)
    dead_rows = sum(s.docs[k]["rows"] for s in segments for k in s.dead)
    table_removed: list[str] = removed_ids
    if len(segments) > MAX_SEGMENTS or (total_rows and dead_rows / total_rows > DEAD_SHARE):
        segments = _compact(segments, seg_dir, scratch)
        table_removed, added_records, base_for_table = [], [r for s in segments for r in s.docs], None
    else:
        base_for_table = base
    shutil.rmtree(scratch, ignore_errors=True)

    live_records = [
        {k: v for k, v in r.items() if k not in ("first", "rows")}
        for s in segments for i, r in enumerate(s.docs) if i not in s.dead
    ]
    for hook in GENERATION_HOOKS:
        # Side data that follows the generations incrementally (text reuse): told which documents were
        # added and removed; it reads their paragraphs with `read_units` and keeps its files in the folder.
        # Left out on request, it is absent from this generation and rebuilt whole by a later run.
        if getattr(hook, "side", None) not in options.without:
            hook(generation, base, new_ids, gone_ids)
    table_added = [{k: v for k, v in r.items() if k not in ("first", "rows")} for r in added_records]
    doctable.write(generation, base_for_table, table_removed, table_added)
    summary.documents = len(live_records)
    # short paragraphs of the documents the index holds (unchanged files' figures come with their
    # records), counted after duplicates were decided
    short = Counter(item for r in live_records for item in r.get("short") or [])
    summary.short_paragraphs = sum(short.values())
    summary.short_examples = short.most_common(20)
    summary.paragraphs = _write_rows(generation, segments)
    summary.segments = len(segments)
    meta_out = {
        "schema_version": SCHEMA_VERSION,
        "built": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "previous": base.name if base is not None else "",
        "documents": summary.documents,
        "paragraphs": summary.paragraphs,
        "roots": sorted(set(roots) | {v.get("root", "") for v in file_table.values()} - {""}),
        "files": file_table,
        "segments": [{"name": s.name, "rows": s.rows, "dead": sorted(s.dead)} for s in segments],
        "summary": {
            "duplicates": [d.__dict__ for d in summary.duplicates],
            "conflicts": [c.__dict__ for c in summary.conflicts],
            "skipped": [s.__dict__ for s in summary.skipped],
            "short_paragraphs": summary.short_paragraphs,
            "short_examples": summary.short_examples,
        },
    }
    (generation / gen_mod.META_FILE).write_text(json.dumps(meta_out, ensure_ascii=False, indent=1), encoding="utf-8")


def _kill(doc_id: str, segments: list[_SegmentState], pending: dict, run_live: list, removed: list) -> None:
    if doc_id in pending:
        run_index, local = pending.pop(doc_id)
        run_live[run_index][local] = False
        return
    for seg in segments:
        for k, record in enumerate(seg.docs):
            if record["doc_id"] == doc_id and k not in seg.dead:
                seg.dead.add(k)
                removed.append(doc_id)
                return


def _segment_name(seg_dir: Path) -> str:
    """The next segment's name: numbered, so names sort in the order segments were written."""
    numbers = [int(p.name[4:]) for p in seg_dir.glob("seg-*") if p.name[4:].isdigit()]
    return f"seg-{max(numbers, default=0) + 1:08d}"


def _compact(segments: list[_SegmentState], seg_dir: Path, scratch: Path) -> list[_SegmentState]:
    """Rewrite the live paragraphs of all segments as one segment (runs re-derived from stored texts)."""
    runs: list[store.Run] = []
    lives: list[np.ndarray] = []
    for seg in segments:
        segment = store.Segment(seg_dir / seg.name)
        units: list[store.UnitIn] = []
        records: list[dict] = []
        chars = 0
        for k, record in enumerate(seg.docs):
            if k in seg.dead:
                continue
            first = len(units)
            for row in range(record["first"], record["first"] + record["rows"]):
                u = segment.units[row]
                norm = segment.norm_text(row)
                parent = int(u["parent"])
                units.append(store.UnitIn(
                    len(records), int(u["ordinal"]), store.KINDS[int(u["kind"])], int(u["level"]),
                    parent - record["first"] + first if parent >= 0 else -1,
                    int(u["pid"]), int(u["dup"]), segment.display(row), norm,
                ))
                chars += len(norm)
            records.append({**record, "first": first, "rows": len(units) - first})
            if chars >= RUN_CHARS:
                runs.append(store.write_run(scratch, f"compact-{len(runs)}", units, records))
                lives.append(np.ones(len(records), dtype=bool))
                units, records, chars = [], [], 0
        if records:
            runs.append(store.write_run(scratch, f"compact-{len(runs)}", units, records))
            lives.append(np.ones(len(records), dtype=bool))
    name = _segment_name(seg_dir)
    records = store.merge(runs, lives, seg_dir / name)
    for run in runs:
        store.remove_run(run)
    for seg in segments:
        shutil.rmtree(seg_dir / seg.name, ignore_errors=True)
    rows = int(np.load(seg_dir / name / "units.npy", mmap_mode="r").shape[0])
    return [_SegmentState(name, rows, records)]


def _write_rows(generation: Path, segments: list[_SegmentState]) -> int:
    """Per global row: its document code (-1 when dead) and a key for each order; returns live rows."""
    live_docs = [(s_i, k, r) for s_i, s in enumerate(segments) for k, r in enumerate(s.docs) if k not in s.dead]
    documents = [Document.from_metadata(r) for _, _, r in live_docs]
    order = document_order(documents)
    code_of = np.empty(len(order), dtype=np.int64)
    code_of[order] = np.arange(len(order))
    coded = [documents[i] for i in order]
    ranks = doc_ranks(coded)
    total = sum(s.rows for s in segments)
    rows = np.zeros(total, dtype=ROW_DTYPE)
    doc = np.full(total, -1, dtype=np.int64)
    kind = np.zeros(total, dtype=np.int8)
    length = np.zeros(total, dtype=np.int64)
    ordinal = np.zeros(total, dtype=np.int64)
    bases = np.cumsum([0] + [s.rows for s in segments])
    position = {(s_i, k): i for i, (s_i, k, _) in enumerate(live_docs)}
    for s_i, seg in enumerate(segments):
        if seg.rows == 0:
            continue
        units = np.load(generation / SEGMENTS_DIR / seg.name / "units.npy", mmap_mode="r")
        local_code = np.full(len(seg.docs), -1, dtype=np.int64)
        for k in range(len(seg.docs)):
            if (s_i, k) in position:
                local_code[k] = code_of[position[(s_i, k)]]
        sl = slice(int(bases[s_i]), int(bases[s_i + 1]))
        doc[sl] = local_code[units["doc"]]
        kind[sl] = kind_ranks([store.KINDS[i] for i in range(len(store.KINDS))])[units["kind"]]
        length[sl] = units["length"]
        ordinal[sl] = units["ordinal"]
    keys = order_keys(kind, length, np.maximum(doc, 0), ordinal, ranks)
    rows["doc"] = doc
    for name, values in keys.items():
        rows[name] = values
    np.save(generation / ROWS_FILE, rows)
    return int((doc >= 0).sum())

