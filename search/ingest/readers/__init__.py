"""Format readers: one module per input format, each `read(path) -> list[RawDocument]`.

A reader raises `IngestError` with a reason when the file cannot be read. Readers are imported
lazily so that a missing optional parser only affects its own format.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Callable

from ..raw import RawDocument

# file suffix → module in this package that reads it
_MODULES: dict[str, str] = {
    ".txt": "text",
    ".md": "text",
    ".markdown": "text",
    ".html": "html",
    ".htm": "html",
    ".shtml": "html",
    ".pdf": "pdf",
    ".docx": "docx",
    ".csv": "dataset",
    ".jsonl": "dataset",
    ".ndjson": "dataset",
}

SUFFIXES: frozenset[str] = frozenset(_MODULES)


def reader_for(path: Path) -> Callable[[Path], list[RawDocument]] | None:
    """The read function for a file, or None when its format is not supported."""
    module = _MODULES.get(path.suffix.lower())
    if module is None:
        return None
    return importlib.import_module(f"{__name__}.{module}").read
