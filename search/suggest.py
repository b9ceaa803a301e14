"""When a query finds nothing (or far less than its words do): what does exist.

- the longest part of the phrase that occurs ("十四五规划" → "十四五", and how often);
- "did you mean": the phrase with one character replaced by a homophone (same toneless pinyin,
  the usual slip of a pinyin input method: 新值生产力 → 新质生产力), dropped or swapped with its
  neighbour, kept only when the result occurs in the index. Homophones come from pypinyin's
  dictionary; a candidate must first have both of its new character pairs in the index (a cheap
  lookup) before it is counted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

Counter = Callable[[Sequence[str]], list[int]]


@lru_cache(maxsize=1)
def _homophones() -> dict[str, tuple[str, ...]]:
    """Toneless pinyin syllable → the common CJK characters read that way."""
    from pypinyin.contrib.tone_convert import to_normal
    from pypinyin.pinyin_dict import pinyin_dict

    table: dict[str, list[str]] = {}
    for code, readings in pinyin_dict.items():
        if 0x4E00 <= code <= 0x9FFF:
            for reading in readings.split(","):
                table.setdefault(to_normal(reading), []).append(chr(code))
    return {k: tuple(v) for k, v in table.items()}


@lru_cache(maxsize=4096)
def _readings(char: str) -> tuple[str, ...]:
    from pypinyin import Style, pinyin

    if not ("\u4e00" <= char <= "\u9fff"):
        return ()
    return tuple(dict.fromkeys(r for group in pinyin(char, style=Style.NORMAL, heteronym=True) for r in group))


def longest_part(phrase: str, count: Counter) -> tuple[str, int] | None:
    """The longest substring of `phrase` (two characters or more) that occurs, with its count."""
    best: tuple[str, int] | None = None
    low, high = 2, len(phrase) - 1
    while low <= high:
        size = (low + high) // 2
        windows = list(dict.fromkeys(phrase[i:i + size] for i in range(len(phrase) - size + 1)))
        counts = count(windows)
        found = [(w, c) for w, c in zip(windows, counts) if c > 0]
        if found:
            best = max(found, key=lambda wc: wc[1])
            low = size + 1
        else:
            high = size - 1
    return best


def spelling(phrase: str, count: Counter, pairs: Counter, limit: int = 3) -> list[tuple[str, int]]:
    """Phrases one slip away from `phrase` that occur, most frequent first."""
    if len(phrase) < 2:
        return []
    candidates: list[str] = []
    homophones = _homophones()
    for i, char in enumerate(phrase):
        options = {c for r in _readings(char) for c in homophones.get(r, ()) if c != char}
        if not options:
            continue
        options_list = sorted(options)
        checks = []
        for c in options_list:
            left = phrase[i - 1] + c if i > 0 else ""
            right = c + phrase[i + 1] if i + 1 < len(phrase) else ""
            checks.append((c, left, right))
        wanted = sorted({s for _, a, b in checks for s in (a, b) if s})
        known = dict(zip(wanted, pairs(wanted)))
        for c, left, right in checks:
            if (not left or known.get(left)) and (not right or known.get(right)):
                candidates.append(phrase[:i] + c + phrase[i + 1:])
    if len(phrase) >= 3:
        candidates += [phrase[:i] + phrase[i + 1:] for i in range(len(phrase))]
        candidates += [phrase[:i] + phrase[i + 1] + phrase[i] + phrase[i + 2:] for i in range(len(phrase) - 1)]
    candidates = [c for c in dict.fromkeys(candidates) if c != phrase][:400]
    found = [(c, n) for c, n in zip(candidates, count(candidates)) if n > 0]
    found.sort(key=lambda cn: (-cn[1], cn[0]))
    return found[:limit]
