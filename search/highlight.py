"""Highlighting: find the query's strings in the normalized text, mark the source text, escape the rest."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from .normalize import normalize_with_offsets
from .query import Term


def needles(terms: Iterable[Term]) -> list[str]:
    """The strings to mark for a query's positive terms, longest first.

    An exact phrase is marked whole. An unquoted term is marked where it occurs whole and, since it
    matches by its jieba words, where those words occur; single characters split off a longer term
    are left unmarked so a hit is not sprinkled with stray characters.
    """
    out: list[str] = []
    for term in terms:
        out.append(term.text)
        if not term.exact:
            out.extend(w for w in term.words if len(w) > 1 or len(term.text) == 1)
    return sorted(set(filter(None, out)), key=len, reverse=True)


def spans(normalized: str, strings: Iterable[str]) -> list[tuple[int, int]]:
    """Merged [start, end) spans of every occurrence of the strings in `normalized`."""
    found: list[tuple[int, int]] = []
    for needle in strings:
        start = normalized.find(needle)
        while start != -1:
            found.append((start, start + len(needle)))
            start = normalized.find(needle, start + 1)
    found.sort()
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, strings: Iterable[str]) -> str:
    """HTML-escaped `text` with <mark> around every occurrence of the (normalized) strings."""
    strings = list(strings)
    if not strings:
        return escape(text)
    normalized, origin = normalize_with_offsets(text)
    marked = spans(normalized, strings)
    if not marked:
        return escape(text)
    parts: list[str] = []
    cursor = 0
    for start, end in marked:
        src_start, src_end = origin[start], origin[end - 1] + 1
        if src_start < cursor:  # two spans meeting inside one expanded source character
            src_start = cursor
        parts.append(escape(text[cursor:src_start]))
        parts.append("<mark>" + escape(text[src_start:src_end]) + "</mark>")
        cursor = src_end
    parts.append(escape(text[cursor:]))
    return "".join(parts)
