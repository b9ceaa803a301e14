"""Files → Documents: discovery, reading, repair, splitting into reports, metadata, paragraphs."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Sequence

from ..models import Document, SkippedFile
from . import metadata, structure
from .manifest import MANIFEST_NAMES, Manifest
from .raw import IngestError, RawDocument, SourceFile
from .readers import reader_for
from .repair import repair


# A report is a few hundred kilobytes; a dataset of thousands of them tens of megabytes. Past this a
# file is more likely a mistake (a log, a dump) than a corpus, and would hold up the whole run.
MAX_FILE_BYTES = 64 << 20


def _hidden(parts: Sequence[str]) -> bool:
    return any(part.startswith(".") for part in parts)


def discover(paths: Sequence[str | Path]) -> tuple[list[SourceFile], list[SkippedFile]]:
    """Supported files under the given files and folders, sorted by relative path, and what was skipped."""
    found: dict[tuple[str, str], SourceFile] = {}
    skipped: list[SkippedFile] = []
    for given in paths:
        root = Path(given)
        if not root.exists():
            skipped.append(SkippedFile(str(given), "路径不存在"))
            continue
        if root.is_file():
            if reader_for(root) is None:
                skipped.append(SkippedFile(root.name, "不支持的文件格式"))
            else:
                found[(str(root.resolve()), root.name)] = SourceFile(root, root.name)
            continue
        for path in root.rglob("*"):
            rel = path.relative_to(root)
            # manifests live next to the documents they describe but are not documents themselves
            if _hidden(rel.parts) or path.name.lower() in MANIFEST_NAMES or not path.is_file():
                continue
            if reader_for(path) is None:
                continue
            found[(str(path.resolve()), rel.as_posix())] = SourceFile(path, rel.as_posix())
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
    src: SourceFile, manifest: Manifest | None = None, columns: dict[str, str] | None = None
) -> list[Document]:
    """Read one file into its documents (one per report); raise IngestError when it cannot be read.

    `columns` maps fields (text, title, province …) to the column names of CSV/JSONL datasets.
    """
    if src.path.stat().st_size > MAX_FILE_BYTES:
        raise IngestError(f"文件过大（超过 {MAX_FILE_BYTES >> 20} MB），未索引")
    raws = _read_raw(src, columns)
    documents: list[Document] = []
    for raw in raws:
        try:
            documents.extend(_documents_of(src, raw, manifest))
        except IngestError:
            raise
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, UnicodeError) as exc:
            raise IngestError(f"无法解析文件内容（{type(exc).__name__}）") from exc
    if not documents:
        raise IngestError("文件中没有正文")
    return documents


def _documents_of(src: SourceFile, raw: RawDocument, manifest: Manifest | None) -> list[Document]:
    lines = repair(raw.text, raw.layout)
    blocks = structure.to_blocks(lines)
    parts = structure.split_reports(blocks)
    base = f"{src.rel}#{raw.part}" if raw.part is not None else src.rel
    multi = len(parts) > 1
    out: list[Document] = []
    for k, part in enumerate(parts, start=1):
        source = f"{base}#{k}" if multi and raw.part is None else f"{base}-{k}" if multi else base
        report = structure.take_front(part)
        if not report.blocks and not report.front:
            continue
        fields: dict = {}
        if manifest is not None:
            fields = manifest.lookup(source) if multi else manifest.lookup(base)
            if multi and manifest.lookup(source) == manifest.lookup(src.rel):
                fields.pop("title", None)  # one file-level title cannot name each of several reports
        raw_meta = dict(raw.meta)
        if multi:
            raw_meta.pop("title", None)
        body = "\n".join(b.text for b in report.blocks)
        anonymized = "XX" in report.title.upper()
        meta = metadata.describe(
            body=body,
            front={"title": report.title, "date": report.date_line, "speaker": report.speaker_line},
            raw_meta=raw_meta,
            manifest=fields,
            rel=src.rel,
            anonymized_title=anonymized,
        )
        doc_id = structure.doc_id_for(source)
        front = [("title", meta["title"] or report.title or src.rel)]
        front += [("front", line) for line in report.front if line != report.title]
        paragraphs = structure.build(doc_id, report.blocks, front)
        if len(paragraphs) <= len(front):
            continue
        out.append(Document(doc_id=doc_id, source=source, paragraphs=paragraphs, **meta))
    return out
