"""How the reuse data is computed does not change what it is: worker processes or not, tasks of any size,
identical paragraphs joined once or one by one, stored fingerprints looked up or streamed."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from search import build_index
from search.reuse import build, join
from search.reuse import passages as pas
from search.reuse import storage as st

from . import reuse_corpus
from .test_reuse_incremental import _signature, _state
from .test_reuse_incremental import build_index as build_and_sign


def _dump(folder: Path) -> dict:
    """Everything a reuse folder holds, in a canonical order."""
    state = st.read_state(folder)
    paras = np.concatenate([np.load(folder / p / st.PARAS_FILE) for p in state.parts])
    fp = np.concatenate([np.load(folder / p / st.FP_FILE) for p in state.parts])
    passages = np.concatenate([np.load(folder / p / st.PASSAGES_FILE) for p in state.parts])
    near = np.concatenate([np.load(folder / p / st.NEAR_FILE) for p in state.parts])
    return {"docs": state.docs, "paras": paras[np.argsort(paras["num"])], "fp": fp,
            "passages": np.sort(passages), "near": np.sort(near)}


def _same(a: dict, b: dict) -> None:
    assert a["docs"] == b["docs"]
    for key in ("paras", "fp", "passages", "near"):
        assert a[key].dtype == b[key].dtype and np.array_equal(a[key], b[key]), key


@pytest.fixture(scope="module")
def copied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The planted corpus with four reports copied twice more (identical paragraphs in several reports),
    indexed without reuse data; returns the generation."""
    root = tmp_path_factory.mktemp("reuse-build")
    corpus = reuse_corpus.build(root / "corpus")
    for k, name in enumerate(sorted(corpus.reports)[:4]):
        for copy in ("again", "third"):
            (root / "corpus" / copy).mkdir(exist_ok=True)
            shutil.copy(corpus.folder / name, root / "corpus" / copy / name)
    build_index([root / "corpus"], root / "index", progress=False, keep_duplicates=True, reuse=False)
    return (root / "index" / "current").resolve()


def _compute(generation: Path, **kwargs) -> dict:
    stats = build.update(generation, None, [], [], **kwargs)
    data = _dump(generation / build.FOLDER)
    shutil.rmtree(generation / build.FOLDER)
    return {**data, "stats": stats}


def test_workers_and_task_sizes_change_nothing(copied: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # several batches (where batches start is part of what is computed: the first paragraph of a
    # batch has no windows reaching back before it, so the batches stay the same below)
    monkeypatch.setattr(build, "BATCH_CHARS", 20_000)
    alone = _compute(copied, workers=1)
    assert alone["stats"]["passages"] > 0 and alone["stats"]["near"] > 0
    assert alone["stats"]["classes"] < alone["stats"]["paragraphs"]  # the copies' paragraphs are classes
    monkeypatch.setattr(build, "POOL_CHARS", 0)  # in worker processes, in many joins and passage tasks
    monkeypatch.setattr(build, "TASK_CHARS", 3_000)  # parts of batches, each told the letters before it
    monkeypatch.setattr(build, "JOIN_ROWS", 5_000)
    monkeypatch.setattr(build, "MAX_SEEDS", 2_000)
    shared = _compute(copied, workers=2)
    assert shared["stats"]["workers"] == 2
    _same(alone, shared)
    monkeypatch.setattr(join, "MERGE_ROWS", 1_000)  # small hash ranges, in this process
    monkeypatch.setattr(join, "MAX_PAIRS", 500)
    monkeypatch.setattr(join, "RUN_SEEDS", 1_000)
    _same(alone, _compute(copied, workers=1))


def test_identical_paragraphs_joined_once_give_every_pair(copied: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A class of identical paragraphs stands for each of them: the passages are those computed one by one."""
    classes = _compute(copied, workers=1)
    monkeypatch.setattr(build, "CLASSES", False)
    alone = _compute(copied, workers=1)
    assert alone["stats"]["classes"] == alone["stats"]["paragraphs"]
    assert classes["stats"]["seeds"] < alone["stats"]["seeds"]
    _same(classes, alone)
    # each copied report's three copies share their paragraphs pairwise: three report pairs each at least
    doc = np.zeros(int(alone["paras"]["num"].max()) + 1, dtype=np.int64)
    doc[alone["paras"]["num"]] = alone["paras"]["doc"]
    pairs = set(zip(doc[alone["passages"]["pa"]].tolist(), doc[alone["passages"]["pb"]].tolist()))
    assert all(a > b for a, b in pairs) and len(pairs) >= 4 * 3


@pytest.mark.parametrize("share", [0.0, 1e9], ids=["streamed", "looked-up"])
def test_one_report_added_by_lookup_or_by_streaming(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, share: float) -> None:
    """An added report meets the stored fingerprints either way with the same result as a build from scratch."""
    corpus = reuse_corpus.build(tmp_path / "all", reports=24, plants=16)
    names = sorted(corpus.reports)
    last = max(names, key=lambda n: sum(1 for p in corpus.planted if p.target == n))
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in names:
        if name != last:
            shutil.copy(corpus.folder / name, folder / name)
    build_and_sign([folder], tmp_path / "ix")
    monkeypatch.setattr(build, "LOOKUP_SHARE", share)
    shutil.copy(corpus.folder / last, folder / last)
    build_and_sign([folder], tmp_path / "ix")
    last_run = _state(tmp_path / "ix")["last"]
    assert last_run["paragraphs"] == len(corpus.reports[last]) + reuse_corpus.FIXED_PARAGRAPHS
    assert last_run.get("looked_up", 0) == (1 if share > 1 else 0)
    build_and_sign([corpus.folder], tmp_path / "fresh")
    assert _signature(tmp_path / "ix") == _signature(tmp_path / "fresh")


def test_the_seeds_of_a_chain_need_no_particular_order() -> None:
    """Chains are the same whichever order the seeds come in (they are sorted by pair, offset and diagonal)."""
    rng = np.random.default_rng(3)
    rows = [(x, x + 100) for x in range(0, 40, 5)] + [(x, x + 101) for x in range(45, 90, 5)]
    s = np.zeros(len(rows) * 3, dtype=pas.SEED_DTYPE)
    for k, (x, y) in enumerate(rows):
        for p in range(3):
            s[k * 3 + p] = (10 + p, x, x + 8, 2, y, y + 8, 2)
    expected = pas.chain(s)
    for _ in range(5):
        assert np.array_equal(pas.chain(s[rng.permutation(s.size)]), expected)


def test_fingerprints_begun_while_the_runs_are_merged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fingerprinting started before the merge (`begin`, in the workers) gives the data computed after it,
    for a first build and for reports added to an index."""
    corpus = reuse_corpus.build(tmp_path / "all", reports=30, plants=20)
    names = sorted(corpus.reports)
    first = tmp_path / "first"
    first.mkdir()
    for name in names[:20]:
        shutil.copy(corpus.folder / name, first / name)
    monkeypatch.setattr(build, "POOL_CHARS", 0)  # small corpora are otherwise done in the indexer's process
    monkeypatch.setattr(build, "BATCH_CHARS", 20_000)
    build_and_sign([first], tmp_path / "begun")
    assert "t_waited" in _state(tmp_path / "begun")["last"]  # taken over from `begin`
    for name in names[20:]:
        shutil.copy(corpus.folder / name, first / name)
    build_and_sign([first], tmp_path / "begun")
    last = _state(tmp_path / "begun")["last"]
    assert "t_waited" in last and last["added_docs"] == 10
    assert not (tmp_path / "begun" / "current" / "reuse.runs").exists()
    monkeypatch.delattr(build.hook, "begin")
    build_and_sign([first], tmp_path / "after")
    assert "t_waited" not in _state(tmp_path / "after")["last"]
    assert _signature(tmp_path / "begun") == _signature(tmp_path / "after")
