"""Shared fixtures: real indexes built from real files into temporary folders, and the oracle."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# Every run draws the same examples: the examples come from a seed derived from each test (not from
# the clock), and no example database replays what an earlier run happened to find. A failure is then
# reproducible by running the test again, and a green run means the same thing every time. Tests
# keep their own max_examples/deadline; a settings decorator starts from this loaded profile.
hypothesis_settings.register_profile("repeatable", derandomize=True, database=None)
hypothesis_settings.load_profile("repeatable")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "corpus" / "sample"
SAMPLE_MANIFEST = SAMPLE / "manifest.csv"
SHARED = ROOT.parent / "shared" / "corpus"
SEEDS = SHARED / "seeds"
LAWTEXT = SHARED / "lawtext"


@pytest.fixture(scope="session", autouse=True)
def signing_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A signing key of the test session's own, so tests never touch the user's key."""
    path = tmp_path_factory.mktemp("key") / "index.key"
    os.environ["REPORT_SEARCH_KEY_FILE"] = str(path)
    return path


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory, signing_key: Path) -> Path:
    """An index of the bundled sample corpus (the five seed files), built once per test session."""
    from search import build_index

    folder = tmp_path_factory.mktemp("sample-index")
    summary = build_index([SAMPLE], folder, manifest=SAMPLE_MANIFEST, progress=False)
    assert summary.documents == 30 and not summary.skipped, summary
    return folder


@pytest.fixture(scope="session")
def lawtext_index(tmp_path_factory: pytest.TempPathFactory, signing_key: Path) -> Path:
    """The embedded index of the lawtext corpus, built once per session (skips when the corpus is absent).

    Tests using it are marked `lawtext` (deselect them with -m "not lawtext").
    """
    from search import build_index

    if not LAWTEXT.is_dir():
        pytest.skip(f"lawtext 语料不在 {LAWTEXT}")
    folder = tmp_path_factory.mktemp("lawtext-index")
    summary = build_index([LAWTEXT], folder, progress=False)
    assert summary.documents > 1600 and not summary.skipped, summary
    return folder


@pytest.fixture(scope="session")
def lawtext_searcher(lawtext_index: Path):
    """A searcher over the lawtext index, shared by the tests of a session."""
    from search import open_index

    return open_index(lawtext_index)


@pytest.fixture(scope="session")
def searcher(sample_index: Path):
    """A searcher over the sample index, shared by the tests of a session."""
    from search import open_index

    return open_index(sample_index)


@pytest.fixture(scope="session")
def oracle():
    """Brute-force answers over the sample corpus, read from the files (never from an index)."""
    from .oracle import Oracle, read_corpus

    return Oracle(read_corpus([SAMPLE], SAMPLE_MANIFEST))


@pytest.fixture(scope="session")
def web_app(sample_index: Path):
    """The Flask app over the sample index (opened once per session)."""
    from web import create_app

    return create_app({"INDEX_DIR": str(sample_index), "TESTING": True})


CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags chromium keeps trying to reach Google's hosts, refused here.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def serve_app(app):  # noqa: ANN001, ANN201 - a Flask app → a context manager yielding its base URL
    """Serve an app with werkzeug on 127.0.0.1 and a free port in a thread, for a `with` block."""
    import contextlib
    import threading

    from werkzeug.serving import make_server

    @contextlib.contextmanager
    def running():
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.port}"
        finally:
            server.shutdown()
            thread.join(timeout=10)

    return running()


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium, headless, driven by Playwright (skips when either is missing)."""
    import shutil

    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed")
    executable = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    if not executable:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture()
def client(web_app):
    """A Flask test client of the app over the sample index."""
    return web_app.test_client()
