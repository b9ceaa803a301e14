"""Build or update an index: files → documents → paragraphs → Whoosh + side arrays, in a new generation.

An index folder holds generations `gen-*` and a symlink `current` to the one in use. Every run
writes a fresh generation and then swaps the link atomically, so a running server keeps answering
from the old generation until the new one is complete, and a run killed half-way changes nothing.
An update starts from a hard-linked copy of the current generation (Whoosh never rewrites a
segment file, it only adds files and a new table of contents), deletes the documents of changed
and removed files and adds those of new and changed files; unchanged files (same SHA-256) are not
read again.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from whoosh.index import create_in, open_dir
from whoosh.query import Term

from .ingest.raw import IngestError, SourceFile
from .models import Document, SkippedFile
from .normalize import normalize
from .schema import FACET_FIELDS, SCHEMA_VERSION, build_schema
from .substring import SubstringIndex

CURRENT = "current"
DOCUMENTS_FILE = "documents.jsonl"
META_FILE = "meta.json"
WHOOSH_DIR = "whoosh"
PARA_DOC_FILE = "paragraph_documents.npy"  # Whoosh docnum → line of documents.jsonl (-1: deleted)
PARA_ORDINAL_FILE = "paragraph_ordinals.npy"  # Whoosh docnum → ordinal of the paragraph in its document


@dataclass
class IndexSummary:
    """What a run did, for the closing summary."""

    index_dir: str
    generation: str = ""
    files: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    documents: int = 0  # documents in the index after the run
    paragraphs: int = 0
    characters: int = 0  # characters read in this run
    seconds: float = 0.0
    skipped: list[SkippedFile] = field(default_factory=list)
    duplicates: list[SkippedFile] = field(default_factory=list)


class IndexBusy(RuntimeError):
    """Another run is updating the same index folder."""


@contextlib.contextmanager
def _build_lock(index_path: Path) -> Iterator[None]:
    # Two runs on one folder would each prune the other's half-built generation. flock, not a
    # lock file's existence: the kernel releases it when a run dies, even by SIGKILL.
    index_path.mkdir(parents=True, exist_ok=True)
    with open(index_path / ".build.lock", "a+b") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusy(f"另一个索引任务正在更新 {index_path}：请等它结束后再运行") from None
        global _lock_fd
        _lock_fd = fh.fileno()
        try:
            yield
        finally:
            _lock_fd = None


def default_index_dir() -> Path:
    """$REPORT_SEARCH_INDEX, or ./index."""
    return Path(os.environ.get("REPORT_SEARCH_INDEX") or "index")


def current_generation(index_dir: str | Path) -> Path | None:
    """The generation folder `current` points to, or None when there is none."""
    link = Path(index_dir) / CURRENT
    try:
        target = os.readlink(link)
    except OSError:
        return None
    path = Path(index_dir) / target
    return path if path.is_dir() else None


def _new_generation(index_dir: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        path = index_dir / f"gen-{stamp}-{os.getpid()}-{n}"
        try:
            path.mkdir(parents=True)
            return path
        except FileExistsError:
            continue
    raise RuntimeError("cannot create a new index generation folder")


def _swap_current(index_dir: Path, generation: Path) -> None:
    """Point `current` at `generation` atomically (rename of a fresh symlink over the old one)."""
    tmp = index_dir / f".current-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(generation.name, tmp)
    os.replace(tmp, index_dir / CURRENT)


def _remove_old_generations(index_dir: Path, keep: Path) -> None:
    # The previous generation stays: a server may still be answering a request from it. Leftovers
    # of killed runs (never made current) go too.
    generations = sorted((p for p in index_dir.glob("gen-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for path in generations[:-2]:
        if path != keep:
            shutil.rmtree(path, ignore_errors=True)


def _paragraph_fields(doc: Document) -> Iterator[dict]:
    facets = {name: (getattr(doc, name) or "").encode("utf-8") for name in FACET_FIELDS}
    for para in doc.paragraphs:
        yield {
            "id": para.id,
            "doc_id": doc.doc_id,
            "ordinal": para.ordinal,
            "text": para.text,
            "section": " › ".join(para.section),
            "title": (doc.title or "").encode("utf-8"),
            "year": doc.year or 0,
            "words": para.text,
            **facets,
        }


def fingerprint(doc: Document) -> str:
    """Identity of a report's content, whatever file it came from (for skipping copies)."""
    digest = hashlib.sha1()
    for para in doc.paragraphs:
        digest.update(normalize(para.text).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()[:20]


def _document_record(doc: Document, file_key: str) -> dict:
    record = doc.metadata()
    record["headings"] = [[h.text, h.level, h.before] for h in doc.headings]
    record["paragraphs"] = len(doc.paragraphs)
    record["fingerprint"] = fingerprint(doc)
    record["file"] = file_key
    return record


def _progress(total: int, enabled: bool) -> Callable[[str], None]:
    """A progress bar on a terminal (tqdm), nothing otherwise."""
    if not enabled or total == 0:
        return lambda _name: None
    from tqdm import tqdm

    bar = tqdm(total=total, unit="文件", file=sys.stderr, dynamic_ncols=True, leave=False)

    def step(name: str) -> None:
        bar.set_postfix_str(name[-30:], refresh=False)
        bar.update(1)
        if bar.n >= total:
            bar.close()

    return step


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_previous(generation: Path | None) -> tuple[dict, list[dict]]:
    if generation is None:
        return {}, []
    try:
        meta = json.loads((generation / META_FILE).read_text(encoding="utf-8"))
        if meta.get("schema_version") != SCHEMA_VERSION:
            return {}, []  # an older format is rebuilt from scratch
        with open(generation / DOCUMENTS_FILE, encoding="utf-8") as fh:
            records = [json.loads(line) for line in fh]
    except (OSError, ValueError):
        return {}, []
    return meta, records


def build_index(
    paths: Sequence[str | Path],
    index_dir: str | Path | None = None,
    manifest: str | Path | None = None,
    progress: bool | None = None,
    rebuild: bool = False,
    columns: dict[str, str] | None = None,
) -> IndexSummary:
    """Index the files under `paths`: update the current generation (or build anew) and swap it in.

    `columns` names the text and metadata columns of CSV/JSONL datasets (field → column).
    """
    from .ingest import load_manifest  # only builds need the readers

    index_path = Path(index_dir) if index_dir is not None else default_index_dir()
    the_manifest = load_manifest(manifest) if manifest else None
    with _build_lock(index_path):
        return _build(paths, index_path, the_manifest, progress, rebuild, columns)


def _build(
    paths: Sequence[str | Path],
    index_path: Path,
    the_manifest: object,
    progress: bool | None,
    rebuild: bool,
    columns: dict[str, str] | None,
) -> IndexSummary:
    from .ingest import discover, read_documents

    files, skipped = discover(paths)
    summary = IndexSummary(index_dir=str(index_path), files=len(files), skipped=list(skipped))
    roots = sorted(str(Path(p).resolve()) for p in paths)
    base = None if rebuild else current_generation(index_path)
    meta, records = _read_previous(base)
    if not meta:
        base = None
        records = []
    known: dict[str, dict] = meta.get("files", {}) if base else {}

    # A file is known by its root and relative path; files under roots not named now are kept.
    current_keys: dict[str, tuple[SourceFile, str]] = {}
    for src in files:
        root = _root_of(src, roots)
        current_keys[f"{root}::{src.rel}"] = (src, root)
    hashes: dict[str, str] = {}
    changed: list[str] = []
    for key, (src, _root) in current_keys.items():
        try:
            hashes[key] = _sha256(src.path)
        except OSError as exc:
            summary.skipped.append(SkippedFile(src.rel, f"无法读取：{exc.strerror or exc}"))
            continue
        if key in known and known[key]["sha256"] == hashes[key]:
            summary.unchanged += 1
        else:
            changed.append(key)
            if key in known:
                summary.updated += 1
            else:
                summary.added += 1
    removed_keys = [k for k, info in known.items() if info.get("root") in roots and k not in current_keys]
    summary.removed = len(removed_keys)
    drop_keys = set(removed_keys) | {k for k in changed if k in known}
    kept_records = [r for r in records if r.get("file") not in drop_keys]

    step = _progress(len(changed), sys.stderr.isatty() if progress is None else progress)
    file_table = {k: v for k, v in known.items() if k not in drop_keys}

    def new_documents() -> Iterator[tuple[str, Document]]:
        for key in changed:
            src, root = current_keys[key]
            step(src.rel)
            try:
                docs = read_documents(src, the_manifest, columns)
            except IngestError as exc:
                summary.skipped.append(SkippedFile(src.rel, exc.reason))
                continue
            except OSError as exc:  # vanished or unreadable between discovery and reading
                summary.skipped.append(SkippedFile(src.rel, f"无法读取：{exc.strerror or exc}"))
                continue
            except RecursionError:
                summary.skipped.append(SkippedFile(src.rel, "结构嵌套过深，无法解析"))
                continue
            file_table[key] = {"sha256": hashes[key], "root": root, "rel": src.rel}
            for doc in docs:
                yield key, doc

    return _write_generation(index_path, base, kept_records, new_documents(), file_table, roots, summary)


def _root_of(src: SourceFile, roots: list[str]) -> str:
    path = str(src.path.resolve())
    for root in sorted(roots, key=len, reverse=True):
        if path == root or path.startswith(root.rstrip(os.sep) + os.sep):
            return root
    return str(src.path.resolve().parent)


def index_documents(documents: Iterable[Document], index_dir: str | Path | None = None) -> IndexSummary:
    """Index ready-made documents (no files) into a fresh generation and swap it in."""
    index_path = Path(index_dir) if index_dir is not None else default_index_dir()
    summary = IndexSummary(index_dir=str(index_path))
    pairs = ((f"::{doc.source}", doc) for doc in documents)
    with _build_lock(index_path):
        return _write_generation(index_path, None, [], pairs, {}, [], summary)


_in_build = False
_lock_fd: int | None = None  # the build lock's descriptor while a run holds it


def _die_with_parent() -> None:
    """In a forked writer process: be killed when the build process dies, even by SIGKILL."""
    if _lock_fd is not None:
        # Let go of the inherited build lock: a writer still dying after a killed run must not keep
        # the next run out. (Pointing the descriptor at /dev/null keeps the parent's lock.)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, _lock_fd)
        os.close(devnull)
    if _in_build and sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG; otherwise orphans wait on their queue forever


os.register_at_fork(after_in_child=_die_with_parent)


def _write_generation(
    index_path: Path,
    base: Path | None,
    kept_records: list[dict],
    new_docs: Iterable[tuple[str, Document]],
    file_table: dict[str, dict],
    roots: list[str],
    summary: IndexSummary,
) -> IndexSummary:
    global _in_build
    started = time.perf_counter()
    index_path.mkdir(parents=True, exist_ok=True)
    generation = _new_generation(index_path)
    _in_build = True
    try:
        whoosh_dir = generation / WHOOSH_DIR
        if base is not None:
            whoosh_dir.mkdir()
            for item in (base / WHOOSH_DIR).iterdir():
                if item.is_file() and not item.name.endswith(".lock"):
                    os.link(item, whoosh_dir / item.name)
            ix = open_dir(str(whoosh_dir))
        else:
            whoosh_dir.mkdir()
            ix = create_in(str(whoosh_dir), build_schema())
        # A large pool keeps Whoosh from flushing many small segments.
        # Two processes analyse and write in parallel (2 cores: ~40% less build time). Updates
        # stay in one process: they touch few documents.
        writer = ix.writer(procs=2, limitmb=256, multisegment=True) if base is None else ix.writer(limitmb=256)
        kept_ids = {r["doc_id"] for r in kept_records}
        if base is not None:
            before = {r["doc_id"] for r in _read_previous(base)[1]}
            for doc_id in before - kept_ids:
                writer.delete_by_query(Term("doc_id", doc_id))
        records = list(kept_records)
        seen_ids = set(kept_ids)
        seen_prints = {r.get("fingerprint"): r.get("source") for r in kept_records}
        for key, doc in new_docs:
            if doc.doc_id in seen_ids:
                summary.duplicates.append(SkippedFile(doc.source, f"与已索引的文档标识 {doc.doc_id} 相同，已跳过"))
                continue
            printed = fingerprint(doc)
            if printed in seen_prints and doc.paragraphs:
                summary.duplicates.append(SkippedFile(doc.source, f"与 {seen_prints[printed]} 内容相同，已跳过"))
                continue
            seen_ids.add(doc.doc_id)
            seen_prints[printed] = doc.source
            for fields in _paragraph_fields(doc):
                writer.add_document(**fields)
            records.append(_document_record(doc, key))
            summary.characters += sum(len(p.text) for p in doc.paragraphs)
        writer.commit()
        records.sort(key=lambda r: r.get("source", ""))
        with open(generation / DOCUMENTS_FILE, "w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        summary.paragraphs = _write_side_files(generation, records)
        summary.documents = len(records)
        meta = {
            "schema_version": SCHEMA_VERSION,
            "built": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "documents": summary.documents,
            "paragraphs": summary.paragraphs,
            "roots": sorted(set(roots) | {v.get("root", "") for v in file_table.values()} - {""}),
            "files": file_table,
        }
        (generation / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        _swap_current(index_path, generation)
    except BaseException:
        shutil.rmtree(generation, ignore_errors=True)
        raise
    finally:
        _in_build = False
    _remove_old_generations(index_path, keep=generation)
    summary.generation = generation.name
    summary.seconds = time.perf_counter() - started
    return summary


def _write_side_files(generation: Path, records: list[dict]) -> int:
    """Arrays by Whoosh document number: document, ordinal and normalized text (for substrings)."""
    code = {r["doc_id"]: i for i, r in enumerate(records)}
    ix = open_dir(str(generation / WHOOSH_DIR))
    with ix.reader() as reader:
        n = reader.doc_count_all()
        para_doc = np.full(n, -1, dtype=np.int32)
        para_ord = np.zeros(n, dtype=np.int32)
        texts = [""] * n
        live = 0
        for docnum, fields in reader.iter_docs():  # live documents only, in docnum order
            para_doc[docnum] = code.get(fields["doc_id"], -1)
            para_ord[docnum] = fields["ordinal"]
            texts[docnum] = normalize(fields["text"])
            live += 1
    SubstringIndex.build(texts).save(generation)
    np.save(generation / PARA_DOC_FILE, para_doc)
    np.save(generation / PARA_ORDINAL_FILE, para_ord)
    return live
