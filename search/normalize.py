"""The one text normalization applied to indexed text and to queries alike.

Steps, in order: NFKC (full-width → half-width), Latin case folded, control and format characters
dropped, quotation marks folded (“ ” 「 」 ＂ → ", ‘ ’ 『 』 ＇ → ': a pasted “十四五” finds text typed
with straight quotes and the reverse), whitespace dropped unless it stands between two Latin letters
or digits (then one space), traditional → simplified characters. Because the exact-phrase promise is "the normalized paragraph
contains the normalized query", this module is the single definition of "normalized".
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_IRREGULAR: set[str] = set()  # characters that normalize to no character or to several
# Quotation marks differ between sources only in typography; one form each keeps phrases with quotes exact.
QUOTES = {c: '"' for c in "“”„‟″〃「」〝〞"} | {c: "'" for c in "‘’‚‛′『』"}
_LATIN_OR_DIGIT = re.compile(r"[0-9a-z\u00c0-\u024f]")
_SPACES = re.compile(r" +")


class _CharTable(dict):
    """str.translate table computed lazily per character: NFKC + lower, whitespace → ' '."""

    def __missing__(self, key: int) -> str:
        char = chr(key)
        if char.isspace():
            value = " "
        elif unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            value = ""  # zero-width spaces, BOMs, soft hyphens, stray controls carry no text
        else:
            value = unicodedata.normalize("NFKC", char).lower()
            value = QUOTES.get(value, value)
            if any(c.isspace() for c in value):  # e.g. NFKC of U+00A8 gives " \u0308"
                value = "".join(c for c in value if not c.isspace())
            if not value.isascii():
                # Character by character, not phrase by phrase: a context-free mapping makes the
                # normalized query a substring of the normalized text whenever the raw one was.
                value = "".join(_t2s().convert(c) for c in value)
        self[key] = value
        if len(value) != 1:
            _IRREGULAR.add(char)
        return value


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


_TABLE = _CharTable()


def _squeeze_spaces(text: str) -> str:
    def keep(match: re.Match[str]) -> str:
        start, end = match.start(), match.end()
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        if before and after and _LATIN_OR_DIGIT.match(before) and _LATIN_OR_DIGIT.match(after):
            return " "
        return ""

    return _SPACES.sub(keep, text)


def normalize(text: str) -> str:
    """Normalize text for indexing and matching (see the module docstring)."""
    if not text:
        return ""
    return _squeeze_spaces(text.translate(_TABLE))


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """Normalize `text` and give, for each normalized character, the index of its source character."""
    translated = text.translate(_TABLE)  # also fills _IRREGULAR for the characters of `text`
    if _IRREGULAR.isdisjoint(text):
        # Common case: one character in, one out; only dropped whitespace shifts the offsets.
        origin = list(range(len(translated)))
        kept = []
        last = 0
        for match in _SPACES.finditer(translated):
            start, end = match.span()
            kept.append((last, start))
            before = translated[start - 1] if start else ""
            after = translated[end] if end < len(translated) else ""
            if before and after and _LATIN_OR_DIGIT.match(before) and _LATIN_OR_DIGIT.match(after):
                kept.append((start, start + 1))
            last = end
        if not kept:
            return translated, origin
        kept.append((last, len(translated)))
        return "".join(translated[a:b] for a, b in kept), [i for a, b in kept for i in origin[a:b]]
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for out in char.translate(_TABLE):
            chars.append(out)
            origin.append(index)
    # Same rule as _squeeze_spaces, applied while keeping the origin of every kept character.
    kept_chars: list[str] = []
    kept_origin: list[int] = []
    n = len(chars)
    i = 0
    while i < n:
        if chars[i] != " ":
            kept_chars.append(chars[i])
            kept_origin.append(origin[i])
            i += 1
            continue
        j = i
        while j < n and chars[j] == " ":
            j += 1
        before = chars[i - 1] if i else ""
        after = chars[j] if j < n else ""
        if before and after and _LATIN_OR_DIGIT.match(before) and _LATIN_OR_DIGIT.match(after):
            kept_chars.append(" ")
            kept_origin.append(origin[i])
        i = j
    return "".join(kept_chars), kept_origin


def source_span(origin: list[int], start: int, end: int) -> tuple[int, int]:
    """Map a span [start, end) of normalized text back to a span of the source text."""
    return origin[start], origin[end - 1] + 1
