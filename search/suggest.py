"""When a query finds nothing (or far less than its words do): what does exist.

- the longest part of the phrase that occurs ("十四五规划" → "十四五", and how often);
- "did you mean": the phrase with one character replaced, an inner character dropped, or two
  neighbours swapped, kept only when the result occurs in the index, most frequent first. A
  replacement is
  * a homophone (same toneless pinyin, the usual slip of a pinyin input method: 新值生产力 → 新质生产力),
    from pypinyin's dictionary; or
  * when no homophone occurs, any character the index itself puts there (高质量发辰 → 高质量发展,
    乡村振新 → 乡村振兴): at position i, a character c of the pool (the POOL_SIZE most frequent
    characters of jieba's dictionary, ~92% of the characters of the reports) such that both pairs
    phrase[i-1]+c and c+phrase[i+1] occur, ranked by the count of the whole corrected phrase.
    Positions are tried most suspect first (the rarest character pairs around them), at each only
    the MAX_PER_POSITION candidates with the most frequent pairs are counted whole, and the first
    position where one occurs ends the search; no position is started once MAX_PAIR_LOOKUPS pair
    counts are spent. Whatever the phrase: at most MAX_PAIR_LOOKUPS + 2 × POOL_SIZE pair lookups
    beside the phrase's own (~3 µs each in the embedded engine; usually one or two positions, 1,000
    to 3,000 lookups) and a few dozen phrase counts.
  Every candidate must first have both of its new character pairs in the index (a cheap lookup)
  before it is counted. The first and last character are never dropped: that gives a part of the
  phrase, which the longest-part suggestion already offers.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

Counter = Callable[[Sequence[str]], list[int]]

POOL_SIZE = 1000  # characters tried as an index-derived replacement (the most frequent first)
MAX_PAIR_LOOKUPS = 2500  # no new position once this many pool pairs are counted (all positions together)
MAX_PER_POSITION = 12  # index-derived replacements at one position counted whole (best pairs first)
MAX_CANDIDATES = 400  # phrases counted whole, all kinds together


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


@lru_cache(maxsize=1)
def _pool() -> str:
    """The POOL_SIZE CJK characters most frequent in jieba's dictionary (each word's count given to its characters).

    Read once from the dictionary file alone (jieba's tokenizer is not built), in a fraction of a second.
    """
    import importlib.util

    spec = importlib.util.find_spec("jieba")
    folder = Path(next(iter(spec.submodule_search_locations)))
    totals: dict[str, int] = {}
    # Line by line: the whole file and a list of its 350,000 entries would stay in the server's heap.
    with open(folder / "dict.txt", encoding="utf-8") as lines:
        for line in lines:
            word, _, rest = line.partition(" ")
            count = rest.split(" ", 1)[0]
            if not count.isdigit():
                continue
            n = int(count)
            for char in word:
                if _is_cjk(char):
                    totals[char] = totals.get(char, 0) + n
    return "".join(sorted(totals, key=lambda c: (-totals[c], c))[:POOL_SIZE])


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


def _replacements(phrase: str, count: Counter, pairs: Counter, skip: set[str]) -> list[tuple[str, int]]:
    """Phrases with one character replaced by a pool character the index has next to both neighbours.

    Positions most suspect first; the first position where a replacement occurs ends the search.
    """
    n = len(phrase)
    own = pairs([phrase[k:k + 2] for k in range(n - 1)])

    def suspicion(i: int) -> tuple[int, int, int, int]:
        # a slip breaks every pair it is in: a character whose pairs are all rare first (the commoner
        # of its pairs decides; a first or last character has one pair, so on a tie it comes later)
        around = ([own[i - 1]] if i > 0 else []) + ([own[i]] if i + 1 < n else [])
        return max(around), min(around), -len(around), i

    rank = {c: r for r, c in enumerate(_pool())}
    spent = 0
    for i in sorted((i for i in range(n) if _is_cjk(phrase[i])), key=suspicion):
        if spent + POOL_SIZE > MAX_PAIR_LOOKUPS:
            break  # a position once started is finished: at most MAX_PAIR_LOOKUPS + 2 × POOL_SIZE in all
        chars = [c for c in rank if c != phrase[i] and phrase[:i] + c + phrase[i + 1:] not in skip]
        sides = ([phrase[i - 1] + "{}"] if i > 0 else []) + (["{}" + phrase[i + 1]] if i + 1 < n else [])
        # the whole pool against one side, the characters that passed against the other; the side of
        # the rarer neighbour first (a rarer character has fewer partners: fewer pass)
        if len(sides) == 2 and rank.get(phrase[i - 1], POOL_SIZE) < rank.get(phrase[i + 1], POOL_SIZE):
            sides.reverse()
        passed = [(c, k) for c, k in zip(chars, pairs([sides[0].format(c) for c in chars])) if k > 0]
        spent += len(chars)
        if len(sides) == 2 and passed:
            counts = pairs([sides[1].format(c) for c, _ in passed])
            spent += len(passed)
            passed = [(c, min(k, k2)) for (c, k), k2 in zip(passed, counts) if k2 > 0]
        passed.sort(key=lambda ck: (-ck[1], ck[0]))
        tried = [phrase[:i] + c + phrase[i + 1:] for c, _ in passed[:MAX_PER_POSITION]]
        found = [(t, k) for t, k in zip(tried, count(tried)) if k > 0]
        if found:
            return found
    return []


def spelling(phrase: str, count: Counter, pairs: Counter, limit: int = 3) -> list[tuple[str, int]]:
    """Phrases one slip away from `phrase` that occur, most frequent first."""
    if len(phrase) < 2:
        return []
    candidates: list[str] = []
    homophones = _homophones()
    tried: set[str] = set()
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
            tried.add(phrase[:i] + c + phrase[i + 1:])
        wanted = sorted({s for _, a, b in checks for s in (a, b) if s})
        known = dict(zip(wanted, pairs(wanted)))
        for c, left, right in checks:
            if (not left or known.get(left)) and (not right or known.get(right)):
                candidates.append(phrase[:i] + c + phrase[i + 1:])
    if len(phrase) >= 3:
        # inner characters only: dropping the first or last leaves a part of the phrase (see longest_part)
        candidates += [phrase[:i] + phrase[i + 1:] for i in range(1, len(phrase) - 1)]
        candidates += [phrase[:i] + phrase[i + 1] + phrase[i] + phrase[i + 2:] for i in range(len(phrase) - 1)]
    candidates = [c for c in dict.fromkeys(candidates) if c != phrase][:MAX_CANDIDATES]
    found = {c: n for c, n in zip(candidates, count(candidates)) if n > 0}
    if not tried & found.keys():  # no homophone occurs: ask the index what fits there
        for c, n in _replacements(phrase, count, pairs, tried | set(candidates)):
            found.setdefault(c, n)
    return sorted(found.items(), key=lambda cn: (-cn[1], cn[0]))[:limit]
