"""Building an index: the entry point the CLI and the tests call, whatever engine serves it later.

The embedded generation is the canonical store: `build_index` reads files into it (incrementally),
and a SphinxQL deployment is exported from it (`search.backends.sphinxql`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from . import settings
from .backends.embedded.generation import IndexBusy
from .backends.embedded.writer import BuildOptions, build
from .models import IndexSummary
from .reuse import register_build_hook

register_build_hook()  # text reuse (search.reuse) follows every index generation


def default_index_dir() -> Path:
    """$REPORT_SEARCH_INDEX, or ./index."""
    return Path(os.environ.get("REPORT_SEARCH_INDEX") or "index")


def build_index(
    paths: Sequence[str | Path],
    index_dir: str | Path | None = None,
    manifest: str | Path | None = None,
    progress: bool | None = None,
    rebuild: bool = False,
    columns: dict[str, str] | None = None,
    keep_duplicates: bool = False,
    workers: int | None = None,
    reuse: bool = True,
) -> IndexSummary:
    """Index the files under `paths`: update the current generation (or build anew) and swap it in.

    `columns` names the text and metadata columns of CSV/JSONL datasets (field → column);
    `keep_duplicates` indexes every copy of a report (benchmarks that plant copies on purpose);
    `reuse=False` writes no text-reuse data this run (the reuse pages then say so; a later run with it
    computes it for every report).
    """
    import sys

    from .ingest import load_manifest  # only builds need the readers
    from .views.seen import register  # side data kept with every generation: when a report was first seen

    register()

    options = BuildOptions(
        manifest=load_manifest(manifest) if manifest else None,
        columns=columns,
        keep_duplicates=keep_duplicates,
        workers=workers or int(settings.get("build_workers")),
        progress=sys.stderr.isatty() if progress is None else progress,
        without=frozenset() if reuse else frozenset({"reuse"}),
    )
    index_path = Path(index_dir) if index_dir is not None else default_index_dir()
    return build(paths, index_path, rebuild, options)


__all__ = ["IndexBusy", "build_index", "default_index_dir"]
