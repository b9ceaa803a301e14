"""Did-you-mean on the sample corpus: a slip gives back the word, not a fragment of it; the work is bounded.

The words are the corpus's own most frequent phrases (counted here from the oracle's reading of the
files), the slips characters unrelated to the ones they replace (no shared reading, so the homophone
rule cannot find them): only the index can say what belongs there.
"""

from __future__ import annotations

from collections import Counter

import pytest

from search import SearchRequest
from search.suggest import (
    MAX_PAIR_LOOKUPS,
    MAX_PER_POSITION,
    POOL_SIZE,
    _homophones,
    _pool,
    _readings,
    _replacements,
)

UNRELATED = "辰驮蚪乒锣翡"  # slips to try, in order; each is checked to fit the test's conditions


def _cjk(text: str) -> bool:
    return all("\u4e00" <= c <= "\u9fff" for c in text)


def _most_frequent(oracle, size: int) -> str:
    """The CJK string of `size` characters held by the most paragraphs."""
    counts: Counter = Counter()
    for unit in oracle.units:
        counts.update({unit.norm[i:i + size] for i in range(len(unit.norm) - size + 1)} - {""})
    return next(g for g, _ in counts.most_common() if _cjk(g))


def _slip(oracle, word: str, i: int) -> str:
    """`word` with character i replaced by an unrelated one: no reading in common, and neither the
    slip nor any homophone of it at i occurs in the corpus."""
    for t in UNRELATED:
        if set(_readings(t)) & set(_readings(word[i])):
            continue
        variants = {word[:i] + h + word[i + 1:] for r in _readings(t) for h in _homophones().get(r, ())} | {word[:i] + t + word[i + 1:]}
        if not any(oracle.phrase(v) for v in variants):
            return word[:i] + t + word[i + 1:]
    raise AssertionError(f"no unrelated slip for {word}[{i}]")


@pytest.mark.parametrize("size,where", [(5, -1), (5, 2), (4, -1), (4, 1), (5, 0)])
def test_a_slip_to_an_unrelated_character_suggests_the_word_first(searcher, oracle, size, where):
    word = _most_frequent(oracle, size)
    i = where % size
    assert word[i] in _pool()  # a frequent character of the reports is in the pool the index is asked about
    typo = _slip(oracle, word, i)
    result = searcher.search(SearchRequest(q=typo))
    assert result.total == 0
    spelled = [s for s in result.query.suggestions if s.kind == "spelling"]
    assert spelled and spelled[0].text == word, (typo, [s.text for s in spelled])
    assert spelled[0].count == len(oracle.phrase(word)) > 0
    # never a part of what was typed: the longest-part suggestion offers that
    assert not any(s.text in typo for s in spelled), [s.text for s in spelled]


def test_homophones_still_come_first(searcher, oracle):
    for typo, word in (("新值生产力", "新质生产力"), ("高质量发战", "高质量发展")):
        spelled = [s for s in searcher.search(SearchRequest(q=typo)).query.suggestions if s.kind == "spelling"]
        assert spelled and spelled[0].text == word and spelled[0].count == len(oracle.phrase(word)) > 0, typo


def test_index_derived_replacements_are_bounded(searcher):
    backend = searcher.backend
    spent = {"pairs": 0, "counted": 0}

    def pairs(strings):
        spent["pairs"] += len(strings)
        return backend.bigram_counts(strings)

    def count(strings):
        spent["counted"] += len(strings)
        return backend.count_phrases(strings)

    for phrase in ("辰驮蚪乒锣翡辰驮蚪乒锣翡辰驮蚪乒锣翡", "的的的的的的的的的的", "发展发展发展辰发展发展"):
        spent.update(pairs=0, counted=0)
        _replacements(phrase, count, pairs, set())
        own = len(phrase) - 1
        assert spent["pairs"] <= own + MAX_PAIR_LOOKUPS + 2 * POOL_SIZE, phrase
        assert spent["counted"] <= (MAX_PAIR_LOOKUPS // POOL_SIZE + 1) * MAX_PER_POSITION, phrase
