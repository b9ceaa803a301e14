"""An embedded generation → the files a SphinxQL deployment is indexed from.

Per shard a TSV for indexer's `tsvpipe` source, one line per paragraph:
    id  text  doc ordinal kind level phash dup  k_relevance k_newest k_oldest k_document  display section
- `id` (the row): the export's sequence number in the high bits, then the paragraph's position in
  document order — a row names its generation, so a page fetched just before a switch is still
  read from the generation that produced it;
- `text`: the only full-text field, sentinel + the normalized text in the mapped spelling
  (`charmap`); normalized text holds no tab or newline, so it needs no escaping;
- the order keys come from `base.order_keys`/`doc_ranks`/`document_order` over the live rows,
  exactly as the embedded engine computes them, so both engines order every result identically;
- `display` and `section` are string attributes (Sphinx 2.2 stores no documents) holding the text
  as the reader sees it and the heading path, JSON-encoded so tabs and newlines cannot break a line;
- `f_<facet>` (uint): the report's code of each facet field — i + 1 for the i-th value of the export's
  value table (`documents.json` → "facets", the catalog's sorted values), 0 for no value — so filters
  and facets are attribute conditions and GROUP BYs; `f_profile`: the report's combination of the
  facet fields but year (`documents.json` → "profiles"), which answers those five facets in one GROUP BY.

Documents are sharded whole (all paragraphs of a report on one shard), balanced by characters, so
per-document counts never need merging across shards. Beside the TSVs: `documents.json` (metadata
in doc-code order, paragraphs per document, the character table) and `bigrams.npz` (the embedded
index's bigram counts, for the suggestions' cheap existence checks).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...catalog import Catalog
from ...fields import FACETS
from ...models import KINDS
from ..base import doc_ranks, kind_ranks, order_keys
from ..embedded.backend import EmbeddedBackend
from ..embedded.store import UNIT_DTYPE
from .charmap import CharMap


def facet_attribute(name: str) -> str:
    """The uint attribute holding a facet field's value code (0: no value; i + 1: the table's i-th value)."""
    return f"f_{name}"


# The facet fields combined into one "profile" code per report (every field but year: the year would make
# nearly every report a profile of its own). One GROUP BY f_profile with COUNT(DISTINCT doc) answers
# these five facets at once: searchd's distinct count costs a sort of every matching row per statement.
PROFILE_FIELDS: tuple[str, ...] = tuple(name for name in FACETS if name != "year")
PROFILE_ATTRIBUTE = "f_profile"

ROW_BITS = 40  # a row: export sequence number << ROW_BITS | position (1-based) in document order
DOCUMENTS_FILE = "documents.json"
BIGRAMS_FILE = "bigrams.npz"
SIDE_DIR = "side"  # the generation's side data: text reuse, first-seen times
SIDE_DATA = ("reuse", "seen")
ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("doc", "uint"), ("ordinal", "uint"), ("kind", "uint"), ("level", "uint"), ("phash", "uint"), ("dup", "uint"),
    ("k_relevance", "bigint"), ("k_newest", "bigint"), ("k_oldest", "bigint"), ("k_document", "bigint"),
    ("display", "string"), ("section", "string"),
) + tuple((facet_attribute(name), "uint") for name in FACETS) + ((PROFILE_ATTRIBUTE, "uint"),)
# UTF-8 of code points above U+2FFFF: F0 B0..BF or F1..F4 as the lead bytes.
_RARE_UTF8 = re.compile(rb"\xf0[\xb0-\xbf][\x80-\xbf]{2}|[\xf1-\xf4][\x80-\xbf]{3}")


@dataclass
class ExportSummary:
    """What an export wrote."""

    source: str  # the embedded generation's folder name
    documents: int
    paragraphs: int
    shard_paragraphs: list[int]
    shard_documents: list[int]
    characters: int
    seconds: float
    files: list[str] = field(default_factory=list)


def row_of(seq: int, position: int) -> int:
    """The row (Sphinx document id) of the paragraph at `position` (1-based) of export `seq`."""
    return (seq << ROW_BITS) | position


def seq_of(row: int) -> int:
    """The export sequence number a row belongs to."""
    return row >> ROW_BITS


def assign_shards(sizes: list[int], shards: int) -> list[int]:
    """A shard per document: largest first onto the lightest shard (ties: lowest shard, lowest code)."""
    load = [0] * shards
    out = [0] * len(sizes)
    for code in sorted(range(len(sizes)), key=lambda i: (-sizes[i], i)):
        target = min(range(shards), key=lambda s: (load[s], s))
        out[code] = target
        load[target] += sizes[code]
    return out


def _tsv_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def export(index_dir: Path, out_dir: Path, shards: int, seq: int) -> ExportSummary:
    """Write the shard TSVs, documents.json and bigrams.npz of the index's current generation into `out_dir`."""
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    backend = EmbeddedBackend(index_dir)
    try:
        gen = backend._current()  # noqa: SLF001 - the export reads the generation's arrays directly
        documents = gen.documents
        n_docs = len(documents)

        # pass 1: per-row arrays in document order (doc code, then reading order)
        spans = []  # per doc: (segment, first local row, count)
        for code in range(n_docs):
            s_i, first, count = (int(x) for x in gen.doc_rows[code])
            spans.append((s_i, first, count))
        unit_parts = [gen.segments[s].units[first:first + count] for s, first, count in spans]
        units = np.concatenate(unit_parts) if unit_parts else np.zeros(0, dtype=UNIT_DTYPE)
        counts = np.array([c for _, _, c in spans], dtype=np.int64)
        doc = np.repeat(np.arange(n_docs, dtype=np.int64), counts)
        kinds = kind_ranks(list(KINDS))[units["kind"]]
        keys = order_keys(kinds, units["length"], doc, units["ordinal"], doc_ranks(documents))
        chars = np.bincount(doc, weights=units["length"], minlength=n_docs).astype(np.int64).tolist()
        shard_of = assign_shards(chars, shards)
        rare: set[str] = set()
        for seg in gen.segments:
            for m in _RARE_UTF8.finditer(seg.norm):
                rare.add(m.group().decode("utf-8"))
        charmap = CharMap.from_rare(rare)
        # facet fields as value codes: the catalog's sorted value table of this export, 0 for no value
        catalog = Catalog.of(documents)
        facet_codes = [(catalog.codes[name] + 1).tolist() for name in FACETS]
        combos = list(zip(*(facet_codes[FACETS.index(name)] for name in PROFILE_FIELDS))) if n_docs else []
        profiles = sorted(set(combos))
        profile_of = {combo: i + 1 for i, combo in enumerate(profiles)}
        facet_codes.append([profile_of[combo] for combo in combos])

        # pass 2: the shard files
        files = [open(out_dir / f"shard-{s}.tsv", "w", encoding="utf-8", newline="\n") for s in range(shards)]
        shard_rows = [0] * shards
        try:
            position = 0
            for code, (s_i, first, count) in enumerate(spans):
                seg = gen.segments[s_i]
                base = int(gen.bases[s_i])
                out = files[shard_of[code]]
                shard_rows[shard_of[code]] += count
                lines = []
                for k in range(count):
                    u = units[position]
                    local = first + k
                    unit = gen.unit(base + local)
                    norm = seg.norm_text(local)
                    position += 1
                    lines.append("\t".join((
                        str(row_of(seq, position)), charmap.indexed(norm),
                        str(code), str(int(u["ordinal"])), str(int(u["kind"])), str(int(u["level"])),
                        str(int(u["pid"])), str(int(u["dup"])),
                        str(int(keys["relevance"][position - 1])), str(int(keys["newest"][position - 1])),
                        str(int(keys["oldest"][position - 1])), str(int(keys["document"][position - 1])),
                        _tsv_string(unit.text), _tsv_string("\n".join(unit.section)),
                        *(str(codes[code]) for codes in facet_codes),
                    )))
                if lines:
                    out.write("\n".join(lines) + "\n")
        finally:
            for fh in files:
                fh.close()

        records = [d.metadata() for d in documents]
        (out_dir / DOCUMENTS_FILE).write_text(json.dumps({
            "source": gen.path.name,
            "documents": records,
            "paragraphs": counts.tolist(),
            "shard": shard_of,
            "rare": charmap.extra,
            # attribute f_<facet> = i + 1 stands for facets[<facet>][i] (0: the report has no value)
            "facets": {name: catalog.values[name] for name in FACETS},
            # attribute f_profile = i + 1 stands for profiles[i]: the codes of PROFILE_FIELDS, in that order
            "profiles": {"fields": list(PROFILE_FIELDS), "codes": [list(p) for p in profiles]},
        }, ensure_ascii=False), encoding="utf-8")
        _write_bigrams(gen, out_dir / BIGRAMS_FILE)
        _copy_side_data(gen.path, out_dir / SIDE_DIR)
        return ExportSummary(
            source=gen.path.name, documents=n_docs, paragraphs=int(counts.sum()),
            shard_paragraphs=shard_rows,
            shard_documents=[shard_of.count(s) for s in range(shards)],
            characters=int(units["length"].sum()) if units.size else 0,
            seconds=time.perf_counter() - started,
            files=[f"shard-{s}.tsv" for s in range(shards)] + [DOCUMENTS_FILE, BIGRAMS_FILE],
        )
    finally:
        backend.close()


def _copy_side_data(generation: Path, out: Path) -> None:
    """The generation's engine-neutral side data (text reuse, first-seen times) beside the export.

    Hard links where the deployment shares the index's file system (nothing in them is ever rewritten
    in place), copies otherwise; `SphinxBackend.side_path` serves them as the embedded engine does.
    """
    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    for name in SIDE_DATA:
        src = generation / name
        if src.is_dir():
            shutil.copytree(src, out / name, copy_function=link_or_copy)


def _write_bigrams(gen, path: Path) -> None:  # noqa: ANN001 - an embedded _Generation
    """Bigram key → paragraphs holding it, summed over the segments (as the embedded engine counts)."""
    keys = [np.asarray(seg.keys) for seg in gen.segments]
    counts = [np.asarray(seg.count).astype(np.int64) for seg in gen.segments]
    if keys:
        all_keys = np.concatenate(keys)
        all_counts = np.concatenate(counts)
        unique, inverse = np.unique(all_keys, return_inverse=True)
        summed = np.bincount(inverse, weights=all_counts, minlength=unique.size).astype(np.int64)
    else:
        unique, summed = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    np.savez(path, keys=unique, counts=summed)
