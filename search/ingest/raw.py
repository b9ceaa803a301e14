"""What a format reader hands to the rest of ingest: text plus the metadata the format itself carries."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SourceFile:
    """A file to ingest and its name relative to the folder that was asked for."""

    path: Path  # where it is on disk
    rel: str  # posix path relative to the indexed folder; the file name when a file was named directly
    root: str = ""  # the real path of the folder it was found in ("" when named directly): reading checks it again


@dataclass
class RawDocument:
    """Text extracted by a reader, before repair, splitting and metadata inference.

    `text` is light Markdown: one paragraph per line or block, headings may be marked with '#'.
    `layout` tells the repair step what to expect: "pdf" for hard-wrapped, paginated text
    (wraps to join, page numbers to drop), "plain" for one paragraph per line, "markdown" likewise
    with '#' headings and front matter already removed.
    """

    text: str
    meta: dict[str, Any] = field(default_factory=dict)  # title, date, year, url, province, city, type, speaker …
    layout: str = "plain"
    part: int | None = None  # k for the k-th record of a dataset file (CSV row, JSONL line): source "rel#k"


class IngestError(Exception):
    """A file that cannot be read; `reason` says why, for the summary."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
