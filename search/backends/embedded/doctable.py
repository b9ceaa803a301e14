"""The embedded index's document table, kept in Whoosh: one Whoosh document per report.

Whoosh holds what it is good at on this scale: a few thousand to a few hundred thousand records
with fields, updated in place from one generation to the next (unchanged reports are not rewritten:
the previous generation's segment files are hard-linked and only removed and added reports are
written). Each record carries the report's metadata as JSON plus its fields for lookup by id.
Paragraph postings are not in Whoosh: its pure-Python writer took most of the build time (72 s of
a 73 s lawtext build, measured) and exact matching never used them.

Whoosh keeps its table of contents and stored fields as pickles, and unpickling runs code. So the
indexer signs the Whoosh files with a key kept outside every index folder (`signing.py`) and the
table is opened only after the signature checks.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from whoosh.fields import ID, NUMERIC, STORED, Schema
from whoosh.index import create_in, open_dir
from whoosh.query import Term

from . import signing

WHOOSH_DIR = "documents"
_FIELDS = ("province", "city", "county", "level", "tier", "type")


def _schema() -> Schema:
    return Schema(
        doc_id=ID(stored=True, unique=True),
        record=STORED(),
        year=NUMERIC(int, bits=16, signed=False),
        **{name: ID() for name in _FIELDS},
    )


def write(generation: Path, base: Path | None, removed: Iterable[str], added: Iterable[dict]) -> None:
    """Write the generation's table: the base generation's, minus `removed` doc ids, plus `added` records."""
    folder = generation / WHOOSH_DIR
    folder.mkdir()
    if base is not None and (base / WHOOSH_DIR).is_dir():
        signing.verify(base, WHOOSH_DIR)
        for item in (base / WHOOSH_DIR).iterdir():
            # Whoosh adds files and never rewrites one, so its files can be shared with the base;
            # the lock and the signature are this generation's own.
            if item.is_file() and "WRITELOCK" not in item.name and item.name != signing.SIGNATURE_FILE:
                os.link(item, folder / item.name)
        ix = open_dir(str(folder))
    else:
        ix = create_in(str(folder), _schema())
    writer = ix.writer(limitmb=64)
    for doc_id in removed:
        writer.delete_by_query(Term("doc_id", doc_id))
    for record in added:
        writer.add_document(
            doc_id=record["doc_id"],
            record=json.dumps(record, ensure_ascii=False),
            year=int(record.get("year") or 0),
            **{name: str(record.get(name) or "") for name in _FIELDS},
        )
    writer.commit(optimize=False)
    signing.sign(generation, WHOOSH_DIR)


def read(generation: Path) -> list[dict]:
    """Every record of the generation's table (after checking its signature)."""
    signing.verify(generation, WHOOSH_DIR)
    ix = open_dir(str(generation / WHOOSH_DIR))
    with ix.reader() as reader:
        return [json.loads(fields["record"]) for _, fields in reader.iter_docs()]
