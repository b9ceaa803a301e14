"""Ingest: files → `Document`s whose paragraphs are every unit a reader sees, with inferred metadata.

What the indexer calls: `discover`, `read_documents` (one file → its documents, `IngestError` with a
Chinese reason otherwise; on request also the copies of a report inside the file that were collapsed
into one), `Deduper` / `agreement` / `signature` (near-duplicates across files, in file order),
`short_paragraphs` (what remains under 8 characters, for the summary). `Document.notes` lists what
ingest noticed about a report (metadata conflicts and repairs, in Chinese).
"""

from __future__ import annotations

from .dedupe import Decision, Deduper, agreement, signature
from .fragments import short_paragraphs
from .manifest import Manifest, load_manifest
from .pipeline import discover, is_copies_note, read_documents
from .raw import IngestError, RawDocument, SourceFile

__all__ = [
    "discover", "load_manifest", "read_documents", "is_copies_note", "Manifest", "IngestError", "RawDocument",
    "SourceFile", "Deduper", "Decision", "agreement", "signature", "short_paragraphs",
]
