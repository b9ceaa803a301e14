"""Ingest: files → `Document`s with repaired paragraphs, headings and inferred metadata."""

from __future__ import annotations

from .manifest import Manifest, load_manifest
from .pipeline import discover, read_documents
from .raw import IngestError, RawDocument, SourceFile

__all__ = ["discover", "load_manifest", "read_documents", "Manifest", "IngestError", "RawDocument", "SourceFile"]
