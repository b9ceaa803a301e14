"""Build an index from files: read → documents → paragraphs → Whoosh, into a new generation folder.

An index folder holds generations `gen-*` and a symlink `current` to the one in use. A build writes
a fresh generation and then swaps the link atomically, so a running server keeps answering from
the old generation until the new one is complete, and a build killed half-way changes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from whoosh.index import create_in

from .ingest.raw import IngestError, SourceFile
from .models import Document, SkippedFile
from .normalize import normalize
from .schema import FACET_FIELDS, SCHEMA_VERSION, build_schema
from .substring import SubstringIndex

CURRENT = "current"
DOCUMENTS_FILE = "documents.jsonl"
META_FILE = "meta.json"
WHOOSH_DIR = "whoosh"
PARA_DOC_FILE = "paragraph_documents.npy"  # row → document number (line of documents.jsonl)
PARA_ORDINAL_FILE = "paragraph_ordinals.npy"  # row → ordinal of the paragraph in its document


@dataclass
class IndexSummary:
    """What a build did, for the closing summary."""

    index_dir: str
    generation: str = ""
    files: int = 0
    documents: int = 0
    paragraphs: int = 0
    characters: int = 0
    seconds: float = 0.0
    skipped: list[SkippedFile] = field(default_factory=list)


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


def _remove_old_generations(index_dir: Path, keep: set[str]) -> None:
    # The previous generation is kept: a server may still be answering a request from it.
    generations = sorted(p for p in index_dir.glob("gen-*") if p.is_dir())
    for path in generations[:-2]:
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)


def _paragraph_fields(doc: Document, first_row: int) -> Iterable[dict]:
    facets = {name: (getattr(doc, name) or "").encode("utf-8") for name in FACET_FIELDS}
    for row, para in enumerate(doc.paragraphs, first_row):
        yield {
            "id": para.id,
            "row": row,
            "doc_id": doc.doc_id,
            "ordinal": para.ordinal,
            "text": para.text,
            "section": " › ".join(para.section),
            "title": (doc.title or "").encode("utf-8"),
            "year": doc.year or 0,
            "words": para.text,
            **facets,
        }


def _document_record(doc: Document) -> dict:
    record = doc.metadata()
    record["headings"] = [[h.text, h.level, h.before] for h in doc.headings]
    record["paragraphs"] = len(doc.paragraphs)
    return record


def _progress(total: int, enabled: bool) -> Callable[[str], None]:
    """A progress bar on a terminal (tqdm), nothing otherwise."""
    if not enabled:
        return lambda _name: None
    from tqdm import tqdm

    bar = tqdm(total=total, unit="文件", file=sys.stderr, dynamic_ncols=True, leave=False)

    def step(name: str) -> None:
        bar.set_postfix_str(name[-30:], refresh=False)
        bar.update(1)
        if bar.n >= total:
            bar.close()

    return step


def build_index(
    paths: Sequence[str | Path],
    index_dir: str | Path | None = None,
    manifest: str | Path | None = None,
    progress: bool | None = None,
) -> IndexSummary:
    """Index the files under `paths` into a new generation of `index_dir` and make it current."""
    from .ingest import discover, load_manifest  # ingest pulls in the format readers; only builds need it

    the_manifest = load_manifest(manifest) if manifest else None
    files, skipped = discover(paths)
    summary = IndexSummary(index_dir="", files=len(files), skipped=list(skipped))
    step = _progress(len(files), sys.stderr.isatty() if progress is None else progress)

    def documents() -> Iterator[Document]:
        for src in files:
            step(src.rel)
            yield from _read(src, the_manifest, summary)

    return index_documents(documents(), index_dir, summary, sources=[str(Path(p).resolve()) for p in paths])


def index_documents(
    documents: Iterable[Document],
    index_dir: str | Path | None = None,
    summary: IndexSummary | None = None,
    sources: Sequence[str] = (),
) -> IndexSummary:
    """Write documents into a new generation of `index_dir` and swap it in atomically."""
    started = time.perf_counter()
    index_path = Path(index_dir) if index_dir is not None else default_index_dir()
    index_path.mkdir(parents=True, exist_ok=True)
    summary = summary or IndexSummary(index_dir="")
    summary.index_dir = str(index_path)
    generation = _new_generation(index_path)
    try:
        whoosh_dir = generation / WHOOSH_DIR
        whoosh_dir.mkdir()
        ix = create_in(str(whoosh_dir), build_schema())
        # A large pool keeps Whoosh from flushing tiny segments; one segment keeps searching fast.
        writer = ix.writer(limitmb=512)
        seen_ids: set[str] = set()
        texts: list[str] = []  # normalized, by row, for the substring index
        para_doc: list[int] = []
        para_ord: list[int] = []
        with open(generation / DOCUMENTS_FILE, "w", encoding="utf-8") as docs_out:
            for doc in documents:
                if doc.doc_id in seen_ids:
                    summary.skipped.append(SkippedFile(doc.source, f"重复的文档标识 {doc.doc_id}，已跳过"))
                    continue
                seen_ids.add(doc.doc_id)
                for fields in _paragraph_fields(doc, len(texts)):
                    writer.add_document(**fields)
                texts.extend(normalize(p.text) for p in doc.paragraphs)
                para_doc.extend([len(seen_ids) - 1] * len(doc.paragraphs))
                para_ord.extend(p.ordinal for p in doc.paragraphs)
                docs_out.write(json.dumps(_document_record(doc), ensure_ascii=False) + "\n")
                summary.documents += 1
                summary.paragraphs += len(doc.paragraphs)
                summary.characters += sum(len(p.text) for p in doc.paragraphs)
        writer.commit(optimize=True)
        SubstringIndex.build(texts).save(generation)
        np.save(generation / PARA_DOC_FILE, np.array(para_doc, dtype=np.int32))
        np.save(generation / PARA_ORDINAL_FILE, np.array(para_ord, dtype=np.int32))
        meta = {
            "schema_version": SCHEMA_VERSION,
            "built": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "documents": summary.documents,
            "paragraphs": summary.paragraphs,
            "sources": list(sources),
        }
        (generation / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        _swap_current(index_path, generation)
    except BaseException:
        shutil.rmtree(generation, ignore_errors=True)
        raise
    _remove_old_generations(index_path, keep={generation.name})
    summary.generation = generation.name
    summary.seconds = time.perf_counter() - started
    return summary


def _read(src: SourceFile, manifest: object, summary: IndexSummary) -> list[Document]:
    from .ingest import read_documents

    try:
        return read_documents(src, manifest)  # type: ignore[arg-type]
    except IngestError as exc:
        summary.skipped.append(SkippedFile(src.rel, exc.reason))
    except OSError as exc:  # vanished or unreadable between discovery and reading
        summary.skipped.append(SkippedFile(src.rel, f"无法读取：{exc.strerror or exc}"))
    return []
