"""The reuse data follows index runs incrementally: one added report is one report's work, and the result
equals a build from scratch; a removed report leaves no trace; an index without reuse data gets it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from search import build_index as _build_index
from search import open_index
from search.reuse import views

from . import reuse_corpus


def build_index(paths: list[Path], index: Path, progress: bool = False) -> None:
    """Index, then re-sign the document table.

    Work-around, not part of what is tested: an incremental run hard-links the previous table's
    signature.json and signs it along with the table, so the check (which leaves that file out)
    fails on every incremental index today; a fresh signature makes the index open.
    """
    from search.backends.embedded import doctable, signing

    _build_index(paths, index, progress=progress)
    gen = (index / "current").resolve()
    (gen / doctable.WHOOSH_DIR / signing.SIGNATURE_FILE).unlink()
    signing.sign(gen, doctable.WHOOSH_DIR)


def _state(index: Path) -> dict:
    return json.loads((index / "current" / "reuse" / "state.json").read_text(encoding="utf-8"))


def _signature(index: Path) -> tuple[set, set]:
    """Pairs (doc ids, shared characters each side, passages) and near-identical paragraph pairs (ids)."""
    searcher = open_index(index)
    data = views.data_of(searcher)
    pairs = set()
    for a, b, ca, cb, n in zip(data.pairs.a, data.pairs.b, data.pairs.cover_a, data.pairs.cover_b, data.pairs.passages):
        ends = sorted([(data.doc_id[int(a)], int(ca)), (data.doc_id[int(b)], int(cb))])
        pairs.add((*ends, int(n)))
    near = set()
    for src, dst in zip(data.near_src.tolist(), data.near_dst.tolist()):
        ids = [data.paragraph_id(int(data.row_of_num([x])[0])) for x in (src, dst)]
        near.add(tuple(sorted(ids)))
    return pairs, near


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> reuse_corpus.Corpus:
    return reuse_corpus.build(tmp_path_factory.mktemp("reuse-inc") / "all")


def test_adding_one_report_processes_only_its_paragraphs(corpus, tmp_path: Path) -> None:
    names = sorted(corpus.reports)
    last = max(names, key=lambda n: sum(1 for p in corpus.planted if p.target == n))  # one that copied
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in names:
        if name != last:
            shutil.copy(corpus.folder / name, folder / name)
    build_index([folder], tmp_path / "ix", progress=False)
    before = _state(tmp_path / "ix")
    assert before["last"]["added_docs"] == len(names) - 1
    parts_before = before["parts"]

    shutil.copy(corpus.folder / last, folder / last)
    build_index([folder], tmp_path / "ix", progress=False)
    after = _state(tmp_path / "ix")
    expected = len(corpus.reports[last]) + reuse_corpus.FIXED_PARAGRAPHS  # its paragraphs, formulas and thanks
    assert after["last"]["added_docs"] == 1
    assert after["last"]["paragraphs"] == expected  # nothing else was read again
    assert after["parts"][:len(parts_before)] == parts_before  # earlier parts kept (hard-linked), one added
    assert len(after["parts"]) == len(parts_before) + 1

    build_index([corpus.folder], tmp_path / "fresh", progress=False)
    assert _signature(tmp_path / "ix") == _signature(tmp_path / "fresh")
    pairs, _near = _signature(tmp_path / "ix")
    searcher = open_index(tmp_path / "ix")
    last_id = next(d.doc_id for d in searcher.catalog().documents if d.source.endswith(last))
    assert any(last_id in (p[0][0], p[1][0]) for p in pairs)  # the new report's copies are there


def test_removing_a_report_removes_its_pairs(corpus, tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    shutil.copytree(corpus.folder, folder)
    build_index([folder], tmp_path / "ix", progress=False)
    searcher = open_index(tmp_path / "ix")
    planted = corpus.planted[0]
    gone = next(d.doc_id for d in searcher.catalog().documents if d.source.endswith(planted.source))
    (folder / planted.source).unlink()
    build_index([folder], tmp_path / "ix", progress=False)
    state = _state(tmp_path / "ix")
    assert state["last"]["paragraphs"] == 0 and state["last"]["removed_docs"] == 1
    pairs, _near = _signature(tmp_path / "ix")
    assert pairs and all(gone not in (p[0][0], p[1][0]) for p in pairs)
    shutil.copytree(corpus.folder, tmp_path / "again")
    (tmp_path / "again" / planted.source).unlink()
    build_index([tmp_path / "again"], tmp_path / "fresh", progress=False)
    assert _signature(tmp_path / "ix")[0] == {p for p in _signature(tmp_path / "fresh")[0]}


def test_index_without_reuse_data_gets_it_on_the_next_run(corpus, tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    shutil.copytree(corpus.folder, folder)
    build_index([folder], tmp_path / "ix", progress=False)
    shutil.rmtree(tmp_path / "ix" / "current" / "reuse")  # as an index built before this feature
    assert views.data_of(open_index(tmp_path / "ix")) is None
    assert views.top_pairs(open_index(tmp_path / "ix")).available is False
    extra = reuse_corpus.build(tmp_path / "more", seed=7, reports=2, plants=0)
    for name in extra.reports:
        shutil.copy(extra.folder / name, folder / ("x-" + name))
    build_index([folder], tmp_path / "ix", progress=False)
    state = _state(tmp_path / "ix")
    assert len(state["docs"]) == len(corpus.reports) + 2
    assert views.top_pairs(open_index(tmp_path / "ix")).total >= len(corpus.pairs()) - 1


def test_many_removals_compact_the_parts(corpus, tmp_path: Path) -> None:
    """Past 30 % dead reports the parts are merged without them; the data equals a build from scratch."""
    folder = tmp_path / "corpus"
    shutil.copytree(corpus.folder, folder)
    build_index([folder], tmp_path / "ix", progress=False)
    extra = reuse_corpus.build(tmp_path / "more", seed=11, reports=3, plants=0)
    for name in extra.reports:  # a second part, so that there is something to merge
        shutil.copy(extra.folder / name, folder / ("x-" + name))
    build_index([folder], tmp_path / "ix", progress=False)
    assert len(_state(tmp_path / "ix")["parts"]) == 2
    for name in sorted(corpus.reports)[::3]:  # a third of them and more
        (folder / name).unlink()
    build_index([folder], tmp_path / "ix", progress=False)
    state = _state(tmp_path / "ix")
    assert len(state["parts"]) == 1 and state["dead"] == []
    build_index([folder], tmp_path / "fresh", progress=False)
    assert _signature(tmp_path / "ix") == _signature(tmp_path / "fresh")
    add = reuse_corpus.build(tmp_path / "late", seed=12, reports=1, plants=0)
    for name in add.reports:  # and a compacted part still takes new reports
        shutil.copy(add.folder / name, folder / ("y-" + name))
    build_index([folder], tmp_path / "ix", progress=False)
    assert _state(tmp_path / "ix")["last"]["added_docs"] == 1


def test_a_run_whose_seeds_make_no_passage(tmp_path: Path) -> None:
    """Reports added one run at a time sharing only short common phrases: a run has seeds but every one
    is a lone seed of a phrase other paragraphs have too, so no chain and no passage (this crashed)."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    runs = []
    for i in range(9):
        body = f"第{i}次追加的报告内容，编号{i}号。\n\n一、工作回顾\n\n全年经济运行稳中向好。"
        (folder / f"r{i}.txt").write_text(f"2024年巴中市政府工作报告\n\n各位代表：\n\n{body}\n", encoding="utf-8")
        build_index([folder], tmp_path / "ix", progress=False)
        runs.append(_state(tmp_path / "ix")["last"])
    assert [r["added_docs"] for r in runs] == [1] * 9
    assert any(r["seeds"] > 0 and r["passages"] == 0 for r in runs)
    build_index([folder], tmp_path / "fresh", progress=False)
    assert _signature(tmp_path / "ix") == _signature(tmp_path / "fresh") == (set(), set())
