"""Files → Documents: discovery, reading, repair, splitting into reports, metadata, paragraphs."""

from __future__ import annotations

import inspect
import os
import stat
from pathlib import Path
from typing import Sequence

from .. import settings
from ..models import Document, Duplicate, SkippedFile
from ..normalize import normalize
from . import fragments, markup, metadata, structure
from .dedupe import Deduper
from .manifest import MANIFEST_NAMES, Manifest
from .raw import IngestError, RawDocument, SourceFile
from .readers import reader_for
from .repair import repair


# A report is a few hundred kilobytes; a dataset of thousands of them tens of megabytes. Past this a
# file is more likely a mistake (a log, a dump) than a corpus, and would hold up the whole run.
MAX_FILE_BYTES = int(settings.get("max_file_mb")) << 20


def _hidden(parts: Sequence[str]) -> bool:
    return any(part.startswith(".") for part in parts)


# Never opened, whatever a link says: kernel and device trees (reading /proc/self/… or a device blocks
# or leaks the machine's state into the index).
_SYSTEM_TREES = ("/proc", "/sys", "/dev", "/run")


def _inside(real: str, roots: Sequence[str]) -> bool:
    return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def file_refusal(path: Path, roots: Sequence[str] = ()) -> str | None:
    """Why a file must not be read (Chinese), or None: only regular files, and only inside `roots` when given.

    Checked with lstat/stat, never by opening: opening a FIFO blocks, a device may never end. A symlink
    is followed only when its real path lies under one of `roots`.
    """
    try:
        link = os.lstat(path)
    except OSError as exc:
        return f"无法读取（{exc.strerror or type(exc).__name__}）"
    real = os.path.realpath(path)
    if _inside(real, _SYSTEM_TREES):
        return "指向系统目录（/proc、/dev 等），未读取"
    if stat.S_ISLNK(link.st_mode) and roots and not _inside(real, roots):
        return "符号链接指向语料目录之外，未读取"
    try:
        info = os.stat(path)
    except OSError as exc:
        return f"无法读取（{exc.strerror or type(exc).__name__}）"
    if not stat.S_ISREG(info.st_mode):
        return "不是普通文件（设备、管道、套接字或目录），未读取"
    return None


def discover(paths: Sequence[str | Path]) -> tuple[list[SourceFile], list[SkippedFile]]:
    """Supported regular files under the given files and folders, sorted by relative path, and what was skipped.

    Folders are walked without following directory symlinks (no loops, nothing outside); a file symlink
    is read only when it points inside the folder it was found in; devices, FIFOs, sockets and anything
    under /proc, /sys, /dev are skipped with a reason. A file named directly is read when it is regular.
    """
    found: dict[tuple[str, str], SourceFile] = {}
    skipped: list[SkippedFile] = []
    for given in paths:
        root = Path(given)
        if not os.path.lexists(root):
            skipped.append(SkippedFile(str(given), "路径不存在"))
            continue
        if not root.is_dir() or root.is_symlink() and not os.path.isdir(os.path.realpath(root)):
            if reader_for(root) is None:
                skipped.append(SkippedFile(root.name, "不支持的文件格式"))
            elif (reason := file_refusal(root)) is not None:
                skipped.append(SkippedFile(root.name, reason))
            else:
                found[(os.path.realpath(root), root.name)] = SourceFile(root, root.name)
            continue
        real_root = os.path.realpath(root)
        if _inside(real_root, _SYSTEM_TREES):
            skipped.append(SkippedFile(str(given), "指向系统目录（/proc、/dev 等），未读取"))
            continue
        for folder, dirnames, filenames in os.walk(root, followlinks=False):
            base = Path(folder)
            for name in sorted(dirnames):
                if os.path.islink(base / name) and not name.startswith("."):
                    rel = (base / name).relative_to(root).as_posix()
                    skipped.append(SkippedFile(rel, "目录符号链接不跟随，未读取"))
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not os.path.islink(base / d))
            for name in filenames:
                path = base / name
                rel_path = path.relative_to(root)
                # manifests live next to the documents they describe but are not documents themselves
                if _hidden(rel_path.parts) or name.lower() in MANIFEST_NAMES or reader_for(path) is None:
                    continue
                reason = file_refusal(path, [real_root])
                if reason is not None:
                    skipped.append(SkippedFile(rel_path.as_posix(), reason))
                    continue
                found[(os.path.realpath(path), rel_path.as_posix())] = SourceFile(path, rel_path.as_posix(), real_root)
    files = sorted(found.values(), key=lambda s: (s.rel, str(s.path)))
    return files, skipped


def _read_raw(src: SourceFile, columns: dict[str, str] | None = None) -> list[RawDocument]:
    reader = reader_for(Path(src.path))
    if reader is None:
        raise IngestError("不支持的文件格式")
    try:
        if columns and "columns" in inspect.signature(reader).parameters:
            return reader(Path(src.path), columns=columns)  # datasets: column names given on the command line
        return reader(Path(src.path))
    except (IngestError, OSError, RecursionError):
        raise
    except Exception as exc:  # a parser choking on bad content must not stop the whole build
        raise IngestError(f"无法解析文件（{type(exc).__name__}）") from exc


def read_documents(
    src: SourceFile, manifest: Manifest | None = None, columns: dict[str, str] | None = None,
    copies: dict[str, list[Duplicate]] | None = None,
) -> list[Document]:
    """Read one file into its documents (one per report); raise IngestError when it cannot be read.

    `columns` maps fields (text, title, province …) to the column names of CSV/JSONL datasets. A given
    `copies` dict receives, per kept doc_id, the copies of its report inside the same file that were
    collapsed into it (a saved page holding a report two or three times): each a `Duplicate` with the
    dropped and the kept copy's place in the file ("copies.html#2", "copies.html#1"), for the summary.
    """
    copies = {} if copies is None else copies
    # Again at reading time, under the folder it was found in: a file swapped for a symlink to somewhere
    # else after the folder was walked is refused too.
    reason = file_refusal(Path(src.path), [src.root] if src.root else ())
    if reason is not None:
        raise IngestError(reason)
    if src.path.stat().st_size > MAX_FILE_BYTES:
        raise IngestError(f"文件过大（超过 {MAX_FILE_BYTES >> 20} MB），未索引")
    raws = _read_raw(src, columns)
    documents: list[Document] = []
    for raw in raws:
        try:
            documents.extend(_documents_of(src, raw, manifest, copies))
        except IngestError:
            raise
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, UnicodeError) as exc:
            raise IngestError(f"无法解析文件内容（{type(exc).__name__}）") from exc
    if not documents:
        raise IngestError("文件中没有正文")
    return documents


def _prepare(raw: RawDocument) -> str:
    """Text without markup that is never text (comments, scripts, escapes), footnote definitions on one line."""
    text = markup.strip_blocks(markup.decode_escapes(raw.text))
    if raw.layout != "pdf":
        text = markup.join_footnote_definitions(text)
    return text


def _clean_meta(meta: dict) -> dict:
    out = {}
    for key, value in meta.items():
        if isinstance(value, str):
            value = markup.strip_blocks(markup.decode_escapes(value)).strip()
        out[key] = value
    return out


def _document(src: SourceFile, raw: RawDocument, blocks: list, source: str, multi: bool,
              manifest: Manifest | None, notes: list[str]) -> Document | None:
    """One report's Document from its blocks, or None when it has no body."""
    base = f"{src.rel}#{raw.part}" if raw.part is not None else src.rel
    report = structure.take_front(blocks)
    if not report.blocks and not report.front:
        return None
    fields: dict = {}
    if manifest is not None:
        fields = manifest.lookup(source) if multi else manifest.lookup(base)
        if multi and manifest.lookup(source) == manifest.lookup(src.rel):
            fields.pop("title", None)  # one file-level title cannot name each of several reports
    raw_meta = _clean_meta(raw.meta)
    if multi:
        raw_meta.pop("title", None)
    body_blocks, joins = fragments.join_fragments(report.blocks)
    body = "\n".join(b.text for b in body_blocks if b.kind == "text")
    headings = [b.text for b in body_blocks if b.kind == "text" and structure.heading_level(b)]
    anonymized = "XX" in report.title.upper()
    notes = list(notes)
    if front_note := raw_meta.pop("note", None):
        notes.append(str(front_note))
    meta = metadata.describe(
        body=body,
        front={"title": report.title, "date": report.date_line, "speaker": report.speaker_line},
        raw_meta=raw_meta,
        manifest=fields,
        rel=src.rel,
        anonymized_title=anonymized,
        headings=headings,
        notes=notes,
    )
    doc_id = structure.doc_id_for(source)
    title = meta["title"]
    # Front lines stay units as written; the title line only when the repaired title does not already
    # hold its text (no text of the source is lost).
    front = [
        line for line in report.front
        if not (line == report.title_line and normalize(line) and normalize(line) in normalize(title))
    ]
    paragraphs = structure.build(doc_id, title, front, body_blocks)
    if not any(p.kind in ("paragraph", "row", "heading") for p in paragraphs):
        return None
    return Document(doc_id=doc_id, source=source, paragraphs=paragraphs, notes=notes, **meta)


def _documents_of(src: SourceFile, raw: RawDocument, manifest: Manifest | None,
                  copies: dict[str, list[Duplicate]]) -> list[Document]:
    lines = repair(_prepare(raw), raw.layout)
    blocks = structure.to_blocks(lines)
    parts = structure.split_reports(blocks)
    base = f"{src.rel}#{raw.part}" if raw.part is not None else src.rel
    multi = len(parts) > 1

    def source_of(k: int) -> str:
        return f"{base}#{k}" if multi and raw.part is None else f"{base}-{k}" if multi else base

    docs = [(k, d) for k, part in enumerate(parts, start=1)
            if (d := _document(src, raw, part, source_of(k), multi, manifest, [])) is not None]
    if len(docs) < 2:
        return [d for _, d in docs]
    # A saved page may hold one report two to four times: copies collapse to the best one.
    kept, dropped = collapse_copies([d for _, d in docs])
    if len(kept) == len(docs):
        return kept
    if len(kept) == 1:
        k = next(k for k, d in docs if d is kept[0])
        note = f"文件中同一报告出现 {len(docs)} 次，已合并为一份"
        single = _document(src, raw, parts[k - 1], base, False, manifest, [note])
        if single is None:
            single = kept[0]
        copies[single.doc_id] = [
            Duplicate(d.source, kept[0].source, f"文件中同一报告出现 {len(docs)} 次，只索引一份（记为 {single.source}）")
            for _, d in docs if d is not kept[0]
        ]
        return [single]
    for doc in kept:
        others = dropped.get(doc.doc_id, [])
        if others:
            doc.notes.append(f"文件中另有 {len(others)} 份相同的报告（{'、'.join(others)}），已合并")
            copies[doc.doc_id] = [Duplicate(other, doc.source, "同一文件中的同一报告，只索引一份") for other in others]
    return kept


def is_copies_note(note: str) -> bool:
    """Whether a document note says that copies inside its file were collapsed (listed as duplicates instead)."""
    return note.startswith(("文件中同一报告出现", "文件中另有"))


def collapse_copies(docs: list[Document]) -> tuple[list[Document], dict[str, list[str]]]:
    """Near-duplicate documents of one file collapsed to the copy whose metadata agrees best with its text.

    Returns the kept documents in file order and, per kept doc_id, the sources of the copies dropped.
    """
    deduper = Deduper()
    kept: dict[str, Document] = {}
    dropped: dict[str, list[str]] = {}
    for doc in docs:
        decision = deduper.offer(doc)
        if decision.kind == "duplicate":
            dropped.setdefault(decision.other_doc_id, []).append(doc.source)
            continue
        if decision.kind == "replaces":
            kept.pop(decision.other_doc_id, None)
            dropped.setdefault(doc.doc_id, []).extend(dropped.pop(decision.other_doc_id, []) + [decision.other_source])
        kept[doc.doc_id] = doc
    order = {d.doc_id: i for i, d in enumerate(docs)}
    return sorted(kept.values(), key=lambda d: order[d.doc_id]), dropped
