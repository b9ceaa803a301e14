"""The reuse folder on disk: a state file and parts, each part written once by the run that added its reports.

    reuse/state.json            version, settings used, reports (id → number, characters), dead numbers, parts
    reuse/<part>/paras.npy      one row per paragraph of the part's reports (PARA_DTYPE)
    reuse/<part>/fp.npy         fingerprints (shingles.POSTING_DTYPE) of its paragraphs, sorted by hash
    reuse/<part>/passages.npy   passages shared with earlier reports (passages.PASSAGE_DTYPE; pa is this part's)
    reuse/<part>/near.npy       near-identical paragraph pairs (NEAR_DTYPE; a is this part's)

A later run hard-links the parts it keeps and adds one; a removed report is only listed as dead
(its rows are skipped when read) until dead rows or parts pile up and the parts are compacted into
one. Numbers of reports and paragraphs are never reused, so no part is ever rewritten for a renumbering.
The folder is engine-neutral: it names reports and paragraphs by their stable ids.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

VERSION = 1
STATE = "state.json"
PARAS_FILE = "paras.npy"
FP_FILE = "fp.npy"
PASSAGES_FILE = "passages.npy"
NEAR_FILE = "near.npy"
PARA_DTYPE = np.dtype([
    ("num", "<u4"), ("doc", "<u4"), ("pid", "<u4"), ("dup", "<u2"), ("kind", "u1"), ("formula", "u1"),
    ("index", "<u4"), ("length", "<u4"), ("letters", "<u4"), ("text_hash", "<u8"),
])
NEAR_DTYPE = np.dtype([("a", "<u4"), ("b", "<u4"), ("similarity", "<f4")])
KINDS = ("title", "front", "heading", "paragraph", "row", "note")
COUNTED_KINDS = ("heading", "paragraph", "row", "note")  # a title or a delivery line is not text anyone copies


@dataclass
class State:
    """What state.json holds."""

    docs: dict[str, dict] = field(default_factory=dict)  # doc id → {"num", "chars"} (live reports only)
    dead: list[int] = field(default_factory=list)  # numbers of reports removed since the last compaction
    parts: list[str] = field(default_factory=list)
    next_doc: int = 0
    next_para: int = 0
    settings: dict = field(default_factory=dict)
    last: dict = field(default_factory=dict)  # what the last update did (counts, seconds)

    def to_json(self) -> dict:
        """The state as stored."""
        return {
            "version": VERSION, "next_doc": self.next_doc, "next_para": self.next_para, "parts": self.parts,
            "dead": self.dead, "settings": self.settings, "last": self.last, "docs": self.docs,
        }


def read_state(folder: Path) -> State | None:
    """The state of a reuse folder, or None when it is missing, of another version or broken."""
    try:
        data = json.loads((folder / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("version") != VERSION:
        return None
    return State(
        docs=data["docs"], dead=list(data["dead"]), parts=list(data["parts"]), next_doc=int(data["next_doc"]),
        next_para=int(data["next_para"]), settings=data.get("settings", {}), last=data.get("last", {}),
    )


def write_state(folder: Path, state: State) -> None:
    """Write state.json last, atomically: a folder without it is not reuse data."""
    tmp = folder / (STATE + ".tmp")
    tmp.write_text(json.dumps(state.to_json(), ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, folder / STATE)


def link_part(src: Path, dst: Path) -> None:
    """Hard-link a part's files into a new folder (copy where links are impossible)."""
    dst.mkdir(parents=True)
    for item in src.iterdir():
        try:
            os.link(item, dst / item.name)
        except OSError:
            shutil.copy2(item, dst / item.name)


def load(path: Path, dtype: np.dtype, mmap: bool = True) -> np.ndarray:
    """An array file, or an empty array of `dtype` when the file is absent."""
    if not path.exists():
        return np.zeros(0, dtype=dtype)
    return np.load(path, mmap_mode="r" if mmap else None)


def parse_paragraph_id(pid: str, doc_id: str) -> tuple[int, int] | None:
    """(hash, repeat) of "<doc id>-<8 hex>[-n]", or None for another shape."""
    if not pid.startswith(doc_id + "-"):
        return None
    digest, _, dup = pid[len(doc_id) + 1:].partition("-")
    if len(digest) != 8 or (dup and not dup.isdigit()):
        return None
    try:
        return int(digest, 16), int(dup) if dup else 1
    except ValueError:
        return None


def paragraph_id(doc_id: str, pid: int, dup: int) -> str:
    """A paragraph id from its parts (the inverse of parse_paragraph_id)."""
    return f"{doc_id}-{pid:08x}" + (f"-{dup}" if dup > 1 else "")
