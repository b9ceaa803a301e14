"""When a query finds nothing (or far less than its words do): what does exist.

- the longest part of the phrase that occurs ("十四五规划" → "十四五", and how often);
- "did you mean": the phrase with one character replaced by a homophone (same toneless pinyin,
  the usual slip of a pinyin input method: 新值生产力 → 新质生产力), dropped or swapped with its
  neighbour, kept only when the result occurs in the index. Homophones come from pypinyin's
  dictionary; a candidate must first have both of its new character pairs in the index (a cheap
  lookup) before it is counted.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

Counter = Callable[[Sequence[str]], list[int]]


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """(character → its toneless readings, reading → the characters read that way), CJK unified ideographs.

    Taken once from pypinyin's dictionary, which is then let go: loaded whole it held 52 MB of a
    serving process's heap, these two tables a few.
    """
    pinyin_dict = _pinyin_dict()
    readings: dict[str, tuple[str, ...]] = {}
    homophones: dict[str, list[str]] = {}
    for code, value in pinyin_dict.items():
        if 0x4E00 <= code <= 0x9FFF:
            char = chr(code)
            readings[char] = tuple(dict.fromkeys(_toneless(r) for r in value.split(",")))
            for reading in readings[char]:
                homophones.setdefault(reading, []).append(char)
    return readings, {k: tuple(v) for k, v in homophones.items()}


def _pinyin_dict() -> dict[int, str]:
    """pypinyin's character table (code point → "zhī,zhì"), read from its module file alone.

    Importing the package loads its phrase tables too and keeps them referenced (52 MB of heap).
    """
    import importlib.util

    spec = importlib.util.find_spec("pypinyin")
    folder = Path(next(iter(spec.submodule_search_locations)))
    module_spec = importlib.util.spec_from_file_location("_report_search_pinyin_dict", folder / "pinyin_dict.py")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.pinyin_dict


_TONE_MARKS = dict.fromkeys(map(ord, "\u0300\u0301\u0304\u030c"))  # grave, acute, macron, caron (ü keeps its dots)


def _toneless(reading: str) -> str:
    """"zhì" → "zhi", "lǘ" → "lü"."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", reading).translate(_TONE_MARKS))


def _homophones() -> dict[str, tuple[str, ...]]:
    """Toneless pinyin syllable → the CJK characters read that way."""
    return _tables()[1]


def _readings(char: str) -> tuple[str, ...]:
    """The toneless readings of a character (none for a character that is not a CJK ideograph)."""
    return _tables()[0].get(char, ())


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
