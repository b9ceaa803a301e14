"""Every character one token, and one reversible mapping applied to indexed text and queries alike.

Sphinx splits text into tokens by its character tables. Exact substring search needs each
character to be a token of its own with consecutive positions, so every character the index holds
is listed in `ngram_chars` with `ngram_len = 1`. Three kinds of characters need a mapping first:

- ASCII punctuation is query syntax (`" - | ( ) ! @ ^ $ * = < /` …) and cannot be escaped
  reliably (`*` at a phrase's edge stays an operator): each is mapped to its full-width form
  (U+FF01–FF5E). NFKC, applied by `search.normalize`, never outputs those forms, so the mapping
  is reversible and a full-width character in the source still matches its ASCII query.
- The space kept between Latin letters or digits is a separator to Sphinx (it takes no position:
  "c 2" would match "c2"); it becomes U+3000, which NFKC also never outputs.
- Sphinx 2.2 handles code points up to U+2FFFF only (a table reaching further crashes indexer).
  The few rarer characters a corpus holds (CJK extension G/H, variation selectors) get a private-use
  code each (U+E001…), recorded per generation; normalization drops private-use characters, so
  those codes are free. A query character above U+2FFFF that the table lacks occurs nowhere.

A sentinel (U+E000) opens every indexed paragraph: a query of only NOT terms needs something every
paragraph holds, and so does the empty phrase.
"""

from __future__ import annotations

from collections.abc import Iterable

SENTINEL = "\ue000"
FIRST_PRIVATE = 0xE001
LAST_PRIVATE = 0xF8FF
MAX_CODE = 0x2FFFF  # the highest code point Sphinx 2.2's character tables accept
FULLWIDTH_SPACE = "\u3000"

# ASCII punctuation → full width (U+0021..U+007E minus letters and digits), space → U+3000.
_BASE = {c: chr(c + 0xFEE0) for c in range(0x21, 0x7F) if not chr(c).isalnum()}
_BASE[0x20] = FULLWIDTH_SPACE

# Every character a token: Latin letters and digits, and all of the BMP from U+00A0 (controls and
# surrogates never survive normalization), then the supplementary planes Sphinx accepts.
NGRAM_CHARS = "U+30..U+39, U+61..U+7A, U+A0..U+D7FF, U+E000..U+FFFD, U+10000..U+2FFFF"
# charset_table must not be empty; letters listed in both tables are still single-character tokens.
CHARSET_TABLE = "U+61..U+7A"


class CharMap:
    """The mapping of one generation: the fixed ASCII part plus the codes of characters above U+2FFFF."""

    def __init__(self, extra: dict[str, str] | None = None):
        self.extra = dict(extra or {})
        self.table = {**_BASE, **{ord(k): v for k, v in self.extra.items()}}

    @classmethod
    def for_texts(cls, texts: Iterable[str]) -> "CharMap":
        """A mapping covering every character above U+2FFFF that occurs in `texts`."""
        rare: set[str] = set()
        for text in texts:
            if not text.isascii() and max(text) > "\U0002ffff":
                rare.update(c for c in text if ord(c) > MAX_CODE)
        return cls.from_rare(rare)

    @classmethod
    def from_rare(cls, rare: Iterable[str]) -> "CharMap":
        """A mapping giving each of these characters its own private-use code."""
        chars = sorted(set(rare))
        if len(chars) > LAST_PRIVATE - FIRST_PRIVATE + 1:
            raise ValueError(f"too many characters above U+2FFFF ({len(chars)})")
        return cls({c: chr(FIRST_PRIVATE + i) for i, c in enumerate(chars)})

    def indexed(self, norm: str) -> str:
        """The field text of a normalized paragraph: sentinel + mapped characters."""
        return SENTINEL + norm.translate(self.table)

    def query(self, phrase: str) -> str | None:
        """A normalized phrase as the index spells it; None when it holds a character no paragraph has."""
        mapped = phrase.translate(self.table)
        if not mapped.isascii() and max(mapped) > "\U0002ffff":
            return None  # above U+2FFFF and not in this generation's table: it occurs nowhere
        return mapped
