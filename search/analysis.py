"""jieba word segmentation and a Whoosh tokenizer on it that gives ordinal token positions.

jieba's bundled Whoosh analyzer stores character offsets as token positions, which breaks phrase
queries, and opens a file at import; this tokenizer segments with `jieba.Tokenizer` directly, or
with rjieba (jieba-rs, same dictionary and algorithm) where installed: segmentation was three
quarters of the build time, and the two agree on Chinese text (they differ only inside Latin/digit
runs such as "3.AEO").
The tokenizer normalizes its input with `search.normalize.normalize`, as queries are.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from functools import lru_cache

import jieba
from whoosh.analysis import Token, Tokenizer

try:  # jieba-rs: the same dictionary and algorithm, ~25x faster (tests check both agree on Chinese text)
    import rjieba
except ImportError:  # pragma: no cover - rjieba is a declared dependency; jieba alone still works
    rjieba = None

from .normalize import normalize

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


class WordTokenizer(Tokenizer):
    """jieba words of the normalized text at consecutive positions 0, 1, 2 …"""

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self).__name__)

    def __call__(  # noqa: PLR0913 - Whoosh's tokenizer signature
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        """Yield one Token per word; `pos` is the word's ordinal, not its character offset."""
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        items = segment(normalize(value)) if tokenize else [value]
        for pos, text in enumerate(items, start_pos):
            token.text = text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = pos
            yield token
