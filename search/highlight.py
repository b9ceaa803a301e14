"""Where a query matches a paragraph, as character ranges of the text the reader sees (no HTML here).

The query's strings are found in the paragraph's *normalized* text (the text matching is defined
on) and mapped back to the source characters, so "高質量發展" marks 高质量发展 and a match never
ends inside a character. The web layer turns ranges into <mark>, the command line into colour.
"""

from __future__ import annotations

from collections.abc import Iterable

from .normalize import normalize_with_offsets


def find_all(normalized: str, strings: Iterable[str]) -> list[tuple[int, int]]:
    """Merged [start, end) ranges of every occurrence of the strings in `normalized`."""
    found: list[tuple[int, int]] = []
    for needle in strings:
        if not needle:
            continue
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


def spans(text: str, strings: Iterable[str]) -> list[tuple[int, int]]:
    """[start, end) ranges of `text` (as written) where the normalized strings occur, merged, in order."""
    strings = [s for s in strings if s]
    if not strings or not text:
        return []
    normalized, origin = normalize_with_offsets(text)
    out: list[tuple[int, int]] = []
    for start, end in find_all(normalized, strings):
        src_start, src_end = origin[start], origin[end - 1] + 1
        if out and src_start < out[-1][1]:  # two ranges meeting inside one expanded source character
            out[-1] = (out[-1][0], max(out[-1][1], src_end))
        else:
            out.append((src_start, src_end))
    return out


def marked(text: str, ranges: Iterable[tuple[int, int]], open_mark: str, close_mark: str,
           escape=lambda s: s) -> str:
    """`text` with the ranges wrapped in marks and everything else passed through `escape`."""
    parts: list[str] = []
    cursor = 0
    for start, end in ranges:
        parts.append(escape(text[cursor:start]))
        parts.append(open_mark + escape(text[start:end]) + close_mark)
        cursor = end
    parts.append(escape(text[cursor:]))
    return "".join(parts)
