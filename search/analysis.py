"""jieba word segmentation: the words of a query term (words mode) and of a concordance's neighbours.

Segments with rjieba (jieba-rs: the same dictionary and algorithm, ~25× faster) where installed,
else with `jieba.Tokenizer` directly (jieba's module-level API opens files and warns at import).
The two agree on Chinese text; they differ only inside Latin/digit runs such as "3.AEO".
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache

import jieba

try:  # jieba-rs: the same dictionary and algorithm, ~25x faster (tests check both agree on Chinese text)
    import rjieba
except ImportError:  # pragma: no cover - rjieba is a declared dependency; jieba alone still works
    rjieba = None


jieba.setLogLevel(logging.WARNING)
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _jieba() -> jieba.Tokenizer:
    with _lock:
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()  # load the dictionary once, up front, not inside the first request
    return tokenizer


def _is_word(token: str) -> bool:
    """A token worth indexing: has a letter, digit or CJK character (not punctuation or space)."""
    return any(c.isalnum() for c in token)


def jieba_words(normalized: str) -> list[str]:
    """Words from the reference jieba (Python); `segment` gives the same on Chinese text, faster."""
    return [w for w in _jieba().lcut(normalized, HMM=True) if _is_word(w)]


def segment(normalized: str) -> list[str]:
    """jieba words of an already normalized string, punctuation and spaces left out."""
    if not normalized:
        return []
    if rjieba is None:
        return jieba_words(normalized)
    return [w for w in rjieba.cut(normalized, hmm=True) if _is_word(w)]
