"""Search engines behind one interface (`base.Backend`): the embedded index and a SphinxQL cluster.

`open_backend(location)` chooses: a folder with a `sphinxql.json` deployment file (written by
`report-search sphinx-config`) opens the SphinxQL engine; any other folder is an embedded index.
"""

from __future__ import annotations

from pathlib import Path

from .base import Backend, BackendError

SPHINX_FILE = "sphinxql.json"


def open_backend(location: str | Path) -> Backend:
    """The engine for an index location (see the module docstring)."""
    path = Path(location)
    if (path / SPHINX_FILE).is_file():
        from .sphinxql.backend import SphinxBackend

        return SphinxBackend.from_file(path / SPHINX_FILE)
    from .embedded.backend import EmbeddedBackend

    return EmbeddedBackend(path)


__all__ = ["Backend", "BackendError", "open_backend"]
