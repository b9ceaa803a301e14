"""`SphinxBackend`: the backend interface answered by a SphinxQL cluster (Sphinx 2.2 or Manticore).

It reads the deployment file `sphinxql.json` (written by `report-search sphinx-config`) and follows
it: when an export switches the file to a new generation, the next call answers from it. Per
generation it keeps in memory what the cluster need not be asked: the document table, the
paragraphs per document, the character table and the bigram counts.

`pin()` holds one generation for every call of a thread inside it (a web request, a Searcher call):
doc codes, rows and the documents they name change between exports, so a search must not take its
counts from one export and its rows or metadata from the next. The pinned generation's indexes stay
loaded in searchd until the export after next rotates (a deployment serves the current and the
previous generation), so a pinned request has at least one whole export and indexer run to finish.

Filters and facets are attributes: each facet field is a uint attribute `f_<field>` holding a code
into the export's value table (`documents.json` → "facets"), a filter on it is `f_<field> IN (codes)`,
and a facet is `GROUP BY f_<field>` with `COUNT(*)` (paragraphs) and `COUNT(DISTINCT doc)` (reports:
exact because every report lives on one shard and the distributed index adds up its agents'
per-group distinct counts). Facets counted under the same filters share one `GROUP BY f_profile` (the
combination of every facet field but year) and add its groups up: a distinct count sorts every
matching row, once per statement. Statements with the same WHERE go in one round trip, where searchd
evaluates the match once for all of them; different WHEREs go side by side. County, title and one
report stay `doc IN (…)` lists.

Every statement names its limits: GROUP BY with `LIMIT <groups>` and `max_matches`, pages with
`OPTION max_matches = offset + limit`, exports in keyset batches (`k > last ORDER BY k LIMIT n`) —
Sphinx's silent defaults (1,000 matches, 20 groups) would otherwise cut totals and deep pages.
`ranker = none`: results are ordered by the stored keys, never by Sphinx's own relevance.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...fields import FACETS
from ...models import KINDS, Document
from ..base import (
    Backend,
    BackendError,
    Filters,
    IndexUnavailable,
    MatchNode,
    PerThread,
    Tally,
    Unit,
    paragraph_id,
    parse_paragraph_id,
    report_page_of,
    tally_of,
)
from .charmap import CharMap
from .client import Pool
from .config import Deployment, Generation, generation_folder, read_deployment
from .export import (
    BIGRAMS_FILE,
    DOCUMENTS_FILE,
    PROFILE_ATTRIBUTE,
    SIDE_DIR,
    facet_attribute,
    seq_of,
)
from .matchexpr import FALSE, match_expression

_COLUMNS = "id, doc, ordinal, kind, level, phash, dup, display, section"
_COUNT_BATCH = 32  # COUNT statements per round trip (searchd refuses batches of more than 32)
_UNKNOWN_INDEX = re.compile(r"unknown local (index|table)")  # Sphinx 2.2 / Manticore


class _Generation:
    """What one exported generation needs in memory."""

    def __init__(self, root: Path, dep: Deployment, gen: Generation):
        self.gen = gen
        self.index = dep.index(gen)
        folder = generation_folder(root, gen)
        try:
            data = json.loads((folder / DOCUMENTS_FILE).read_text(encoding="utf-8"))
            bigrams = np.load(folder / BIGRAMS_FILE)
            self.bigram_keys = np.asarray(bigrams["keys"])
            self.bigram_counts = np.asarray(bigrams["counts"])
        except (OSError, ValueError, KeyError) as exc:
            raise IndexUnavailable(f"检索集群的第 {gen.seq} 版数据文件（{folder}）无法读取：{exc}") from exc
        self.documents = [Document.from_metadata(r) for r in data["documents"]]
        self.code_of = {d.doc_id: i for i, d in enumerate(self.documents)}
        self.paragraphs = np.asarray(data["paragraphs"], dtype=np.int64)
        self.total = int(self.paragraphs.sum())
        self.charmap = CharMap(data.get("rare") or {})
        # facet → value → its attribute code (the table's index + 1); None: an export without facet attributes
        tables = data.get("facets")
        self.facet_codes: dict[str, dict[str, int]] | None = (
            {name: {v: i + 1 for i, v in enumerate(tables[name])} for name in FACETS}
            if isinstance(tables, dict) and all(name in tables for name in FACETS) else None
        )
        self.facet_values: dict[str, list[str]] = {name: list(tables[name]) for name in FACETS} if self.facet_codes else {}
        # f_profile = i + 1 → the attribute codes of the profile fields (None: an export without profiles)
        profiles = data.get("profiles") if self.facet_codes else None
        self.profile_fields: tuple[str, ...] = tuple(profiles["fields"]) if profiles else ()
        self.profiles: list[list[int]] | None = [list(p) for p in profiles["codes"]] if profiles else None


@dataclass
class _Snapshot:
    """The deployment file as last read, and the generations opened from it."""

    stamp: tuple
    deployment: Deployment
    generations: dict[int, _Generation]
    current: _Generation


class SphinxBackend(Backend):
    """The SphinxQL engine over one deployment (see the module docstring)."""

    name = "sphinxql"

    def __init__(self, deployment_file: str | Path):
        self.path = Path(deployment_file)
        self.root = self.path.parent
        self._lock = threading.Lock()
        self._snap: _Snapshot | None = None  # replaced whole, so readers never see half an update
        self._pinned = PerThread()  # the snapshot a pinned thread answers from
        self.pool: Pool | None = None
        self._refresh()

    @classmethod
    def from_file(cls, path: str | Path) -> SphinxBackend:
        """The backend of a deployment file."""
        return cls(path)

    # -- the deployment file -----------------------------------------------------------------------------
    def pin(self) -> contextlib.AbstractContextManager[None]:
        """Answer every call of this thread inside from the generation current now (re-entrant).

        An export may switch the deployment file meanwhile: the calls inside still read the pinned
        generation's documents, doc codes and searchd indexes, so counts, facets, filters, rows and the
        metadata of hits all come from one export.
        """
        return self._pinned.hold(self._snapshot)

    def _refresh(self) -> _Generation:
        """The generation to answer from: the pinned one, else the current one."""
        return self._snapshot().current

    def _snapshot(self) -> _Snapshot:
        """The pinned snapshot, else the current one."""
        pinned = self._pinned.value
        return pinned if pinned is not None else self._latest()

    def _latest(self) -> _Snapshot:
        """The current snapshot, re-reading the deployment file when it changed (pinned or not)."""
        snap = self._snap
        try:
            st = os.stat(self.path)
        except OSError as exc:
            if snap is not None:
                return snap  # a vanished file keeps the generation we have
            raise IndexUnavailable(f"找不到检索集群的部署文件 {self.path}：请先运行 report-search sphinx-config") from exc
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if snap is not None and snap.stamp == stamp:
            return snap
        with self._lock:
            snap = self._snap
            if snap is not None and snap.stamp == stamp:
                return snap
            try:
                dep = read_deployment(self.path)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                if snap is not None:
                    return snap
                raise IndexUnavailable(f"检索集群的部署文件 {self.path} 无法读取：{exc}") from exc
            if dep.current is None:
                if snap is not None:
                    return snap
                raise IndexUnavailable(f"部署 {self.root} 还没有导出的数据：请运行 report-search sphinx-config")
            known = snap.generations if snap is not None else {}
            gens = {dep.current.seq: known.get(dep.current.seq) or _Generation(self.root, dep, dep.current)}
            if dep.previous is not None and dep.previous.seq in known:
                gens[dep.previous.seq] = known[dep.previous.seq]
            if self.pool is None or [n.__dict__ for n in dep.nodes] != [n.__dict__ for n in self.pool.nodes]:
                old, self.pool = self.pool, Pool(dep.nodes, dep.timeouts)
                if old is not None:
                    old.close()
            self._snap = _Snapshot(stamp, dep, gens, gens[dep.current.seq])
            return self._snap

    def _generation_of(self, seq: int) -> _Generation | None:
        """A generation rows may still name: the pinned or current one, or the one before it."""
        snap = self._snapshot()
        if seq == snap.current.gen.seq:
            return snap.current
        gen = snap.generations.get(seq)
        if gen is None and snap.deployment.previous is not None and snap.deployment.previous.seq == seq:
            try:
                gen = _Generation(self.root, snap.deployment, snap.deployment.previous)
            except IndexUnavailable:
                return None
            snap.generations[seq] = gen
        return gen

    def _run(self, statements: Sequence[str], gen: _Generation | None = None) -> list[list[tuple]]:
        assert self.pool is not None
        try:
            return self.pool.run(statements)
        except BackendError as exc:
            if gen is None or not _UNKNOWN_INDEX.search(exc.message):
                raise
            current = self._latest().current.gen.seq
            if current == gen.gen.seq:
                raise
            # a search pinned to a generation two exports old: searchd dropped its indexes meanwhile
            raise BackendError(
                f"检索期间检索集群已换用新导出的数据（第 {current} 版），本次检索所用的第 {gen.gen.seq} 版已卸载；请重试",
                partial=False,
            ) from exc

    def _match(self, gen: _Generation, tree: MatchNode | None):  # noqa: ANN202 - str | None | FALSE
        expr = match_expression(tree, gen.charmap)
        return expr if expr is None or expr is FALSE else f"MATCH({self.pool.escape(expr)})"

    @staticmethod
    def _where(*conditions: str | None) -> str:
        kept = [c for c in conditions if c]
        return " WHERE " + " AND ".join(kept) if kept else ""

    @staticmethod
    def _doc_filter(docs: np.ndarray | None) -> str | None | bool:
        """`doc IN (…)` or `doc NOT IN (…)`, whichever is shorter; None: no filter; False: no document."""
        if docs is None:
            return None
        allowed = np.flatnonzero(docs)
        if allowed.size == 0:
            return False
        if allowed.size == docs.size:
            return None
        refused = np.flatnonzero(~docs.astype(bool))
        if allowed.size <= refused.size:
            return "doc IN (" + ",".join(map(str, allowed.tolist())) + ")"
        return "doc NOT IN (" + ",".join(map(str, refused.tolist())) + ")"

    def _conditions(self, gen: _Generation, docs: np.ndarray | Filters | None) -> list[str] | bool:
        """WHERE conditions for a document mask or `Filters`; False when no document passes.

        Facet fields are attribute conditions `f_<field> IN (codes)` (fields in FACETS order, codes sorted,
        so equal filters give equal statements); the mask (county, title, one report) is a doc list.
        """
        if isinstance(docs, Filters) and gen.facet_codes is None:
            docs = self.mask_of(docs)  # an export without facet attributes: the filters as a doc list
        if not isinstance(docs, Filters):
            flt = self._doc_filter(docs)
            return False if flt is False else [flt] if flt else []
        out = []
        for name in FACETS:
            if name not in docs.fields:
                continue
            table = gen.facet_codes[name]
            codes = sorted({table[v] for v in docs.fields[name] if v in table})
            if not codes:
                return False
            out.append(f"{facet_attribute(name)} IN ({','.join(map(str, codes))})")
        flt = self._doc_filter(docs.docs)
        if flt is False:
            return False
        return out + [flt] if flt else out

    # -- the interface ---------------------------------------------------------------------------------
    def generation(self) -> str:
        """The export's sequence number and the embedded generation it came from."""
        gen = self._refresh().gen
        return f"sphinx-{gen.name}-{gen.source}"

    def documents(self) -> list[Document]:
        """Every document, in doc-code order."""
        return self._refresh().documents

    def doc_counts(self, tree: MatchNode | None) -> np.ndarray:
        """Matching paragraphs per document (GROUP BY doc, every group)."""
        gen = self._refresh()
        out = np.zeros(len(gen.documents), dtype=np.int64)
        match = self._match(gen, tree)
        if match is FALSE or not gen.documents:
            return out
        n = len(gen.documents)
        rows = self._run([
            f"SELECT doc, COUNT(*) FROM {gen.index}{self._where(match)} GROUP BY doc "
            f"LIMIT {n} OPTION max_matches={n}, ranker=none"
        ], gen)[0]
        for doc, count in rows:
            out[int(doc)] = int(count)
        return out

    def page(self, tree: MatchNode | None, docs: np.ndarray | Filters | None, order: str, offset: int, limit: int) -> list[int]:
        """A page of matching rows in `order` (max_matches = offset + limit, so deep pages are whole)."""
        gen = self._refresh()
        match, conds = self._match(gen, tree), self._conditions(gen, docs)
        if match is FALSE or conds is False or limit <= 0 or offset >= gen.total:
            return []
        limit = min(limit, gen.total - offset)
        rows = self._run([
            f"SELECT id FROM {gen.index}{self._where(match, *conds)} ORDER BY k_{_order(order)} ASC "
            f"LIMIT {offset}, {limit} OPTION max_matches={offset + limit}, ranker=none"
        ], gen)[0]
        return [int(r[0]) for r in rows]

    def iter_rows(self, tree: MatchNode | None, docs: np.ndarray | Filters | None, order: str, batch: int = 1000) -> Iterator[list[int]]:
        """Every matching row in `order`: keyset batches (each its own query, no lock held between them)."""
        gen = self._refresh()
        match, conds = self._match(gen, tree), self._conditions(gen, docs)
        if match is FALSE or conds is False:
            return
        key = f"k_{_order(order)}"
        last = -1
        while True:
            rows = self._run([
                f"SELECT id, {key} FROM {gen.index}{self._where(match, *conds, f'{key} > {last}')} "
                f"ORDER BY {key} ASC LIMIT {batch} OPTION max_matches={batch}, ranker=none"
            ], gen)[0]
            if not rows:
                return
            yield [int(r[0]) for r in rows]
            if len(rows) < batch:
                return
            last = int(rows[-1][1])

    # -- totals, facets and report pages from attributes ---------------------------------------------------
    native_counts = True

    def summary(self, tree: MatchNode | None, filters: Filters) -> tuple[int, int]:
        """(matching paragraphs, matching reports): `COUNT(*), COUNT(DISTINCT doc)` under the filters."""
        t = self.tally(tree, filters, {})
        return t.paragraphs, t.reports

    def facet_counts(self, tree: MatchNode | None, filters: Filters, name: str) -> dict[str, tuple[int, int]]:
        """Value → (paragraphs, reports) of one facet under `filters`: `GROUP BY f_<name>`."""
        return self.tally(tree, filters, {name: filters}).facets[name]

    def tally(self, tree: MatchNode | None, filters: Filters, facets: Mapping[str, Filters]) -> Tally:
        """The summary and every facet: one round trip per distinct WHERE (searchd matches once per round trip).

        Without a query every paragraph matches: the export's paragraphs per report answer it here,
        without asking the cluster (as exact, and the cost does not grow with the paragraphs).
        """
        gen = self._refresh()
        if gen.facet_codes is None:
            return super().tally(tree, filters, facets)
        if tree is None:
            return tally_of(self, gen.paragraphs, filters, facets)
        out = Tally(0, 0, {name: {} for name in facets})
        match = self._match(gen, tree)
        if match is FALSE or not gen.documents:
            return out
        # WHERE → the facets counted under it (None: the totals alone, when no facet shares their WHERE)
        batches: dict[str, list[str | None]] = {}
        wanted: list[tuple[Filters, str | None]] = [(filters, None), *((f, name) for name, f in facets.items())]
        summary_where = None
        for flt, name in wanted:
            conds = self._conditions(gen, flt)
            if conds is False:
                continue  # no document passes: zeros
            where = self._where(match, *conds)
            batches.setdefault(where, [])
            if name is None:
                summary_where = where
            else:
                batches[where].append(name)
        if summary_where is not None and not batches[summary_where]:
            batches[summary_where].append(None)  # no facet to add up under the same filters: ask for it
        # per WHERE, its statements: each one (the facets it answers, None for the totals alone)
        plans = {where: self._plan(gen, names) for where, names in batches.items()}
        statements = [[self._count_statement(gen, where, part) for part in plan] for where, plan in plans.items()]
        if len(statements) == 1:
            answers = [self._run(statements[0], gen)]
        else:  # one round trip per WHERE, side by side (each evaluates the match once)
            futures = [_parallel().submit(self._run, batch, gen) for batch in statements]
            answers = [f.result() for f in futures]
        for (where, plan), results in zip(plans.items(), answers):
            for i, (part, rows) in enumerate(zip(plan, results)):
                if part is None:  # COUNT(*), COUNT(DISTINCT doc); no match: (0, NULL)
                    if rows:
                        out.paragraphs, out.reports = int(rows[0][0] or 0), int(rows[0][1] or 0)
                    continue
                out.facets.update(self._facets_of_rows(gen, part, rows))
                if where == summary_where and i == 0:
                    # every report has one code of each field (0: none) and one profile: the groups add up
                    out.paragraphs = sum(int(count) for _, count, _ in rows)
                    out.reports = sum(int(reports) for _, _, reports in rows)
        return out

    @staticmethod
    def _plan(gen: _Generation, names: list[str | None]) -> list[tuple[str, ...] | None]:
        """The statements of one WHERE: the profile fields together (one GROUP BY f_profile) when two or
        more of them are asked and the export has profiles, every other facet alone."""
        profiled = tuple(n for n in names if n is not None and n in gen.profile_fields)
        if gen.profiles is None or len(profiled) < 2:
            profiled = ()
        plan: list[tuple[str, ...] | None] = [profiled] if profiled else []
        plan += [None if n is None else (n,) for n in names if n is None or n not in profiled]
        return plan

    @staticmethod
    def _facets_of_rows(gen: _Generation, part: tuple[str, ...], rows: list[tuple]) -> dict[str, dict[str, tuple[int, int]]]:
        """Value → (paragraphs, reports) of each facet a statement answered, from its group rows."""
        out: dict[str, dict[str, list[int]]] = {name: {} for name in part}
        for code, count, reports in rows:
            code = int(code)
            if len(part) == 1:
                codes = ((part[0], code),)
            else:  # a profile: its code of each field; a report has one profile, so reports add up exactly
                profile = gen.profiles[code - 1]
                codes = tuple((name, profile[gen.profile_fields.index(name)]) for name in part)
            for name, value_code in codes:
                if value_code > 0:
                    acc = out[name].setdefault(gen.facet_values[name][value_code - 1], [0, 0])
                    acc[0] += int(count)
                    acc[1] += int(reports)
        return {name: {v: (p, r) for v, (p, r) in values.items()} for name, values in out.items()}

    @staticmethod
    def _count_statement(gen: _Generation, where: str, part: tuple[str, ...] | None) -> str:
        """GROUP BY one facet's attribute (or the profile) with paragraphs and reports per group, every
        group; None: the totals alone."""
        if part is None:
            return f"SELECT COUNT(*), COUNT(DISTINCT doc) FROM {gen.index}{where} LIMIT 1 OPTION max_matches=1, ranker=none"
        if len(part) == 1:
            attr, groups = facet_attribute(part[0]), len(gen.facet_codes[part[0]]) + 1
        else:
            attr, groups = PROFILE_ATTRIBUTE, len(gen.profiles) + 1
        return (f"SELECT {attr}, COUNT(*), COUNT(DISTINCT doc) FROM {gen.index}{where} GROUP BY {attr} "
                f"LIMIT {groups} OPTION max_matches={groups}, ranker=none")

    def report_page(
        self, tree: MatchNode | None, filters: Filters, sort: str, offset: int, limit: int
    ) -> tuple[int, int, list[tuple[int, int]]]:
        """The totals, then a page of matching reports: `GROUP BY doc` under the filters, ordered by the
        report's count or rank.

        max_matches = the matching reports (from the totals), so no group is dropped before the page is
        cut, and searchd sets up no more room than that (its cost grows with max_matches); only the page
        crosses the network.
        """
        gen = self._refresh()
        if gen.facet_codes is None:
            return super().report_page(tree, filters, sort, offset, limit)
        if tree is None:
            allowed = self.mask_of(filters)
            counts = gen.paragraphs if allowed is None else np.where(allowed, gen.paragraphs, 0)
            return report_page_of(self.catalog(), counts, sort, offset, limit)
        summary = self.tally(tree, filters, {})
        paragraphs, reports = summary.paragraphs, summary.reports
        if offset >= reports or limit <= 0:
            return paragraphs, reports, []
        limit = min(limit, reports - offset)
        match, conds = self._match(gen, tree), self._conditions(gen, filters)
        order = "c DESC, k_newest ASC" if sort == "relevance" else f"k_{_order(sort)} ASC"
        rows = self._run([
            f"SELECT doc, COUNT(*) c FROM {gen.index}{self._where(match, *conds)} GROUP BY doc ORDER BY {order} "
            f"LIMIT {offset}, {limit} OPTION max_matches={reports}, ranker=none"
        ], gen)[0]
        return paragraphs, reports, [(int(doc), int(count)) for doc, count in rows]

    def fetch(self, rows: Sequence[int]) -> list[Unit]:
        """The paragraphs of these rows, in the same order (rows of a generation no longer served are left out)."""
        by_seq: dict[int, list[int]] = defaultdict(list)
        for row in rows:
            by_seq[seq_of(int(row))].append(int(row))
        found: dict[int, Unit] = {}
        for seq, wanted in by_seq.items():
            gen = self._generation_of(seq)
            if gen is None:
                continue
            ids = ",".join(map(str, sorted(set(wanted))))
            n = len(set(wanted))
            try:
                result = self._run([
                    f"SELECT {_COLUMNS} FROM {gen.index} WHERE id IN ({ids}) LIMIT {n} OPTION max_matches={n}"
                ], gen)[0]
            except BackendError:
                if seq != self._refresh().gen.seq:
                    continue  # the previous generation was just dropped: its rows are gone
                raise
            for record in result:
                unit = self._unit(gen, record)
                found[unit.row] = unit
        return [found[int(r)] for r in rows if int(r) in found]

    @staticmethod
    def _unit(gen: _Generation, record: tuple) -> Unit:
        row, doc, ordinal, kind, level, phash, dup, display, section = record
        doc = int(doc)
        text = json.loads(display)
        heads = json.loads(section)
        return Unit(
            row=int(row), id=paragraph_id(gen.documents[doc].doc_id, int(phash), int(dup)), doc=doc,
            ordinal=int(ordinal), kind=KINDS[int(kind)], level=int(level), text=text,
            section=tuple(heads.split("\n")) if heads else (),
        )

    def document_units(self, doc: int) -> list[Unit]:
        """Every paragraph of a document, in reading order."""
        gen = self._refresh()
        n = int(gen.paragraphs[doc]) if 0 <= doc < len(gen.documents) else 0
        if n == 0:
            return []
        result = self._run([
            f"SELECT {_COLUMNS} FROM {gen.index} WHERE doc = {int(doc)} ORDER BY k_document ASC "
            f"LIMIT {n} OPTION max_matches={n}"
        ], gen)[0]
        return [self._unit(gen, r) for r in result]

    def find(self, paragraph_id: str) -> Unit | None:
        """A paragraph by its stable id ("<doc id>-<hash>[-n]")."""
        gen = self._refresh()
        parts = parse_paragraph_id(paragraph_id)
        code = gen.code_of.get(parts[0]) if parts else None
        if code is None:
            return None
        _doc_id, value, dup = parts
        result = self._run([
            f"SELECT {_COLUMNS} FROM {gen.index} WHERE doc = {code} AND phash = {value} AND dup = {dup} "
            "LIMIT 1"
        ], gen)[0]
        return self._unit(gen, result[0]) if result else None

    def count_phrases(self, phrases: Sequence[str]) -> list[int]:
        """Paragraphs containing each string: COUNT(*) statements, many per round trip."""
        gen = self._refresh()
        out = [0] * len(phrases)
        pending: list[tuple[int, str]] = []
        for i, phrase in enumerate(phrases):
            if not phrase:
                continue  # as the embedded engine: the empty string counts nothing
            if len(phrase) > 1 and not all(self._bigram_count(gen, phrase[k:k + 2]) for k in range(len(phrase) - 1)):
                continue  # a pair no paragraph holds: the phrase occurs nowhere (spelling candidates, mostly)
            match = self._match(gen, _phrase(phrase))
            if match is FALSE:
                continue
            pending.append((i, f"SELECT COUNT(*) FROM {gen.index}{self._where(match)} OPTION ranker=none"))
        for start in range(0, len(pending), _COUNT_BATCH):
            chunk = pending[start:start + _COUNT_BATCH]
            for (i, _), rows in zip(chunk, self._run([s for _, s in chunk], gen)):
                out[i] = int(rows[0][0]) if rows else 0
        return out

    def bigram_counts(self, pairs: Sequence[str]) -> list[int]:
        """Paragraphs holding each two-character string, from the exported bigram table."""
        gen = self._refresh()
        return [self._bigram_count(gen, pair) for pair in pairs]

    @staticmethod
    def _bigram_count(gen: _Generation, pair: str) -> int:
        if len(pair) != 2:
            return 0
        key = np.uint64((ord(pair[0]) << 21) | ord(pair[1]))
        i = int(np.searchsorted(gen.bigram_keys, key))
        return int(gen.bigram_counts[i]) if i < gen.bigram_keys.size and gen.bigram_keys[i] == key else 0

    def side_path(self, name: str) -> Path | None:
        """The side data exported with the current generation (text reuse, first-seen times), if any."""
        folder = generation_folder(self.root, self._refresh().gen) / SIDE_DIR / name
        return folder if folder.is_dir() else None

    def stats(self) -> dict:
        """Figures of the deployment."""
        snap = self._snapshot()
        gen, dep = snap.current, snap.deployment
        return {
            "engine": self.name,
            "generation": gen.gen.name,
            "source": gen.gen.source,
            "built": gen.gen.built,
            "paragraphs": gen.total,
            "documents": len(gen.documents),
            "shards": dep.shards,
            "nodes": [{"shard": n.shard, "address": n.address} for n in dep.nodes],
        }

    def close(self) -> None:
        """Close the connections."""
        if self.pool is not None:
            self.pool.close()


_EXECUTOR: ThreadPoolExecutor | None = None
_EXECUTOR_LOCK = threading.Lock()


def _parallel() -> ThreadPoolExecutor:
    """Threads for round trips sent side by side (the statements are built by the caller's thread)."""
    global _EXECUTOR
    with _EXECUTOR_LOCK:
        if _EXECUTOR is None:
            _EXECUTOR = ThreadPoolExecutor(max_workers=8, thread_name_prefix="sphinxql")
        return _EXECUTOR


def _order(order: str) -> str:
    if order not in ("relevance", "newest", "oldest", "document"):
        raise ValueError(f"unknown order {order!r}")
    return order


def _phrase(text: str):  # noqa: ANN202
    from ..base import Phrase

    return Phrase(text)
