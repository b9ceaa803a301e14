"""The embedded engine: answers the backend interface from the current generation of an index folder.

It follows the folder's `current` link by itself, so a re-index is picked up without a restart. A
generation is opened once (every file memory-mapped, the document table read from Whoosh) and
shared by all threads; nothing takes a lock longer than a dictionary update.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from ...models import Document
from ...query import And, Not, Or
from ..base import (
    Backend, Filters, IndexUnavailable, MatchNode, PerThread, Phrase, Unit, document_order, paragraph_id,
    parse_paragraph_id,
)
from . import doctable, generation as gen_mod, store
from .signing import UntrustedIndex
from .writer import ROWS_FILE, SCHEMA_VERSION, SEGMENTS_DIR

_PHRASE_CACHE = 512  # phrases whose rows are kept per generation (sorted int64 arrays)


class _Generation:
    """One opened generation."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.meta = gen_mod.read_meta(path)
        except (OSError, ValueError) as exc:
            raise IndexUnavailable(f"索引不完整或已损坏（{path / gen_mod.META_FILE} 无法读取）：{exc}") from exc
        if self.meta.get("schema_version") != SCHEMA_VERSION:
            raise IndexUnavailable(
                f"索引 {path} 的格式版本是 {self.meta.get('schema_version')}，本程序需要 {SCHEMA_VERSION}："
                "请用 report-search index --rebuild 重建索引"
            )
        try:
            records = doctable.read(path)
        except UntrustedIndex as exc:
            raise IndexUnavailable(str(exc)) from exc
        documents = [Document.from_metadata(r) for r in records]
        order = document_order(documents)
        self.documents = [documents[i] for i in order]
        self.code_of = {d.doc_id: i for i, d in enumerate(self.documents)}
        self.segments = [store.Segment(path / SEGMENTS_DIR / s["name"]) for s in self.meta["segments"]]
        self.bases = np.cumsum([0] + [s.rows for s in self.segments]).astype(np.int64)
        self.rows = np.load(path / ROWS_FILE, mmap_mode="r")
        self.row_doc = self.rows["doc"]
        self.total = int(self.rows.shape[0])
        # where each document's rows are: (segment index, first local row, count)
        self.doc_rows = np.zeros((len(self.documents), 3), dtype=np.int64)
        for s_i, (seg, info) in enumerate(zip(self.segments, self.meta["segments"])):
            dead = set(info.get("dead", []))
            for k, record in enumerate(seg.docs):
                code = self.code_of.get(record["doc_id"])
                if k not in dead and code is not None:
                    self.doc_rows[code] = (s_i, record["first"], record["rows"])
        self.live_mask = np.asarray(self.row_doc) >= 0
        live = np.flatnonzero(self.live_mask)
        self.live_rows = live
        self.units_per_doc = np.bincount(np.asarray(self.row_doc)[live], minlength=len(self.documents)).astype(np.int64)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    # matching
    def phrase_rows(self, text: str) -> np.ndarray:
        with self._lock:
            rows = self._cache.get(text)
            if rows is not None:
                self._cache.move_to_end(text)
                return rows
        parts = []
        for base, seg in zip(self.bases.tolist(), self.segments):
            found = seg.find(text)
            if found.size:
                parts.append(found + base)
        rows = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        if rows.size:
            rows = rows[np.asarray(self.row_doc)[rows] >= 0]
        with self._lock:
            self._cache[text] = rows
            while len(self._cache) > _PHRASE_CACHE:
                self._cache.popitem(last=False)
        return rows

    def evaluate(self, node: MatchNode | None) -> np.ndarray:
        """Sorted live rows matching a tree."""
        if node is None:
            return self.live_rows
        if isinstance(node, Phrase):
            return self.phrase_rows(node.text)
        if isinstance(node, Not):
            # a mask over all rows: np.setdiff1d sorts, which made OR/NOT queries slower than before
            mask = self.live_mask.copy()
            mask[self.evaluate(node.child)] = False
            return np.flatnonzero(mask)
        parts = [self.evaluate(c) for c in node.children]
        if isinstance(node, And):
            parts.sort(key=len)
            out = parts[0]
            for other in parts[1:]:
                if out.size == 0:
                    break
                idx = np.searchsorted(other, out)
                idx[idx == other.size] = 0
                out = out[other[idx] == out] if other.size else other
            return out
        if isinstance(node, Or):
            mask = np.zeros(self.total, dtype=bool)
            for part in parts:
                mask[part] = True
            return np.flatnonzero(mask)
        raise TypeError(f"unknown node {node!r}")

    # reading
    def locate(self, row: int) -> tuple[store.Segment, int]:
        s = int(np.searchsorted(self.bases, row, side="right")) - 1
        return self.segments[s], row - int(self.bases[s])

    def unit(self, row: int) -> Unit:
        seg, local = self.locate(row)
        u = seg.units[local]
        doc = int(self.row_doc[row])
        section: list[str] = []
        parent = int(u["parent"])
        guard = 0
        while parent >= 0 and guard < 32:  # heading chains are short; a broken file must not loop
            section.append(seg.display(parent))
            parent = int(seg.units[parent]["parent"])
            guard += 1
        doc_id = self.documents[doc].doc_id
        return Unit(
            row=row, id=paragraph_id(doc_id, int(u["pid"]), int(u["dup"])), doc=doc,
            ordinal=int(u["ordinal"]), kind=store.KINDS[int(u["kind"])], level=int(u["level"]),
            text=seg.display(local), section=tuple(reversed(section)),
        )


class EmbeddedBackend(Backend):
    """The embedded engine over an index folder."""

    name = "embedded"

    def __init__(self, index_dir: str | Path):
        self.index_dir = Path(index_dir)
        self._gen: _Generation | None = None
        self._lock = threading.Lock()
        self._link = str(self.index_dir / gen_mod.CURRENT)
        self._pinned = PerThread()
        self._current()  # fail now, clearly, rather than on the first request

    def pin(self) -> contextlib.AbstractContextManager[None]:
        """Answer every call inside from the generation current now, even if a rebuild swaps it meanwhile.

        A request makes several calls (counts, facets, a page, its rows); row numbers of one generation
        mean other paragraphs in the next.
        """
        return self._pinned.hold(self._current)

    def _current(self) -> _Generation:
        pinned = self._pinned.value
        if pinned is not None:
            return pinned
        gen = self._gen
        try:
            target = os.readlink(self._link)  # one system call: this runs several times per request
        except OSError:
            target = None
        if gen is not None and (target is None or target in (gen.path.name, str(gen.path))):
            return gen  # a vanished link keeps the generation we have rather than failing requests
        path = gen_mod.current_generation(self.index_dir)
        if gen is not None and (path is None or path == gen.path):
            return gen
        if path is None:
            if not self.index_dir.exists():
                raise IndexUnavailable(f"索引文件夹 {self.index_dir} 不存在：请先运行 report-search index")
            raise IndexUnavailable(f"索引文件夹 {self.index_dir} 中还没有建好的索引：请先运行 report-search index")
        with self._lock:
            if self._gen is None or self._gen.path != path:
                try:
                    self._gen = _Generation(path)
                except IndexUnavailable:
                    if self._gen is None:
                        raise
                except Exception as exc:  # a half-written or foreign folder must not take the server down
                    if self._gen is None:
                        raise IndexUnavailable(f"无法打开索引 {path}：{exc}") from exc
            return self._gen

    def generation(self) -> str:
        """The generation folder's name."""
        return self._current().path.name

    def documents(self) -> list[Document]:
        """Every document, in document order."""
        return self._current().documents

    def doc_counts(self, tree: MatchNode | None) -> np.ndarray:
        """Matching paragraphs per document."""
        gen = self._current()
        if tree is None:
            return gen.units_per_doc
        rows = gen.evaluate(tree)
        return np.bincount(np.asarray(gen.row_doc)[rows], minlength=len(gen.documents)).astype(np.int64)

    def _matched(self, gen: _Generation, tree: MatchNode | None, docs: np.ndarray | None) -> np.ndarray:
        rows = gen.evaluate(tree)
        if docs is not None:
            rows = rows[docs[np.asarray(gen.row_doc)[rows]]]
        return rows

    def page(self, tree: MatchNode | None, docs: np.ndarray | Filters | None, order: str, offset: int, limit: int) -> list[int]:
        """A page of matching rows in `order`."""
        gen = self._current()
        rows = self._matched(gen, tree, self.mask_of(docs))
        end = min(offset + limit, rows.size)
        if offset >= end:
            return []
        keys = np.asarray(gen.rows[order])[rows]
        if end < rows.size:
            head = np.argpartition(keys, end - 1)[:end]
            head = head[np.argsort(keys[head], kind="stable")]
        else:
            head = np.argsort(keys, kind="stable")
        return rows[head[offset:end]].tolist()

    def iter_rows(self, tree: MatchNode | None, docs: np.ndarray | Filters | None, order: str, batch: int = 1000) -> Iterator[list[int]]:
        """Every matching row in `order`, in batches."""
        gen = self._current()
        rows = self._matched(gen, tree, self.mask_of(docs))
        rows = rows[np.argsort(np.asarray(gen.rows[order])[rows], kind="stable")]
        for start in range(0, rows.size, batch):
            yield rows[start:start + batch].tolist()

    def fetch(self, rows: Sequence[int]) -> list[Unit]:
        """The paragraphs of these rows."""
        gen = self._current()
        return [gen.unit(int(r)) for r in rows]

    def norm_texts(self, rows: Sequence[int]) -> list[tuple[int, str]]:
        """(doc code, normalized text) of rows, read from the mapped texts without decompressing display text."""
        gen = self._current()
        out = []
        for row in rows:
            seg, local = gen.locate(int(row))
            out.append((int(gen.row_doc[row]), seg.norm_text(local)))
        return out

    def document_units(self, doc: int) -> list[Unit]:
        """All paragraphs of a document in reading order."""
        gen = self._current()
        s_i, first, count = (int(x) for x in gen.doc_rows[doc])
        base = int(gen.bases[s_i])
        return [gen.unit(base + r) for r in range(first, first + count)]

    def find(self, pid: str) -> Unit | None:
        """A paragraph by id ("<doc id>-<hash>[-n]")."""
        gen = self._current()
        parts = parse_paragraph_id(pid)
        code = gen.code_of.get(parts[0]) if parts else None
        if code is None:
            return None
        _doc_id, value, dup = parts
        s_i, first, count = (int(x) for x in gen.doc_rows[code])
        units = gen.segments[s_i].units[first:first + count]
        hits = np.flatnonzero((units["pid"] == value) & (units["dup"] == dup))
        return gen.unit(int(gen.bases[s_i]) + first + int(hits[0])) if hits.size else None

    def count_phrases(self, phrases: Sequence[str]) -> list[int]:
        """Paragraphs containing each string."""
        gen = self._current()
        return [int(gen.phrase_rows(p).size) if p else 0 for p in phrases]

    def bigram_counts(self, pairs: Sequence[str]) -> list[int]:
        """Paragraphs holding each two-character string (a cheap existence check, dead rows included)."""
        gen = self._current()
        out = []
        for pair in pairs:
            if len(pair) != 2:
                out.append(0)
                continue
            key = (ord(pair[0]) << 21) | ord(pair[1])
            out.append(sum(seg.bigram_count(key) for seg in gen.segments))
        return out

    def clear_cache(self) -> None:
        """Forget the generation's cached phrase rows and decompressed text blocks."""
        gen = self._current()
        with gen._lock:
            gen._cache.clear()
        for seg in gen.segments:
            with seg._blocks_lock:
                seg._blocks.clear()

    def side_path(self, name: str) -> Path | None:
        """`name` inside the current generation folder, when the indexer wrote it."""
        path = self._current().path / name
        return path if path.is_dir() else None

    def stats(self) -> dict:
        """Figures of the generation."""
        gen = self._current()
        return {
            "engine": self.name,
            "generation": gen.path.name,
            "built": gen.meta.get("built", ""),
            "segments": len(gen.segments),
            "paragraphs": int(gen.live_rows.size),
            "documents": len(gen.documents),
            "summary": gen.meta.get("summary", {}),
        }
