"""Shared fixtures: real indexes built from real files into temporary folders."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "corpus" / "sample"
SAMPLE_MANIFEST = SAMPLE / "manifest.csv"
SHARED = ROOT.parent / "shared" / "corpus"
SEEDS = SHARED / "seeds"
LAWTEXT = SHARED / "lawtext"


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the bundled sample corpus (the five seed files), built once per test session."""
    from search import build_index

    folder = tmp_path_factory.mktemp("sample-index")
    manifest = SAMPLE_MANIFEST if SAMPLE_MANIFEST.exists() else None
    summary = build_index([SAMPLE], folder, manifest=manifest, progress=False)
    assert summary.documents >= 30 and not summary.skipped, summary
    return folder


@pytest.fixture(scope="session")
def searcher(sample_index: Path):
    """A searcher over the sample index, shared by the tests of a session."""
    from search import open_index

    return open_index(sample_index)


@pytest.fixture(scope="session")
def web_app(sample_index: Path):
    """The Flask app over the sample index (opened once per session)."""
    from web import create_app

    app = create_app({"INDEX_DIR": str(sample_index), "TESTING": True})
    return app


@pytest.fixture()
def client(web_app):
    """A Flask test client of the app over the sample index."""
    return web_app.test_client()
