"""Text reuse: which paragraphs and passages of a report are found in others, and which report came first.

Computed at index time, incrementally with the index generations (`build`), kept in a folder beside
each generation (`storage`), read at serve time through `Searcher.backend.side_path("reuse")`
(`data`), and answered as plain data (`views`): similar paragraphs of one paragraph, the reports a
report shares text with, two reports side by side, the strongest pairs of the index.
"""

from __future__ import annotations


def register_build_hook() -> None:
    """Have every index run update the reuse data (idempotent)."""
    from ..backends.embedded.writer import GENERATION_HOOKS
    from .build import hook

    if hook not in GENERATION_HOOKS:
        GENERATION_HOOKS.append(hook)
