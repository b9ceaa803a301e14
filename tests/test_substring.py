"""The bigram substring index answers exactly what a scan answers."""

import random

import numpy as np

from search.substring import SubstringIndex


def _scan(texts, needle):
    return [i for i, t in enumerate(texts) if needle in t]


def test_matches_a_scan_on_random_text(tmp_path):
    rng = random.Random(7)
    alphabet = "发展质量高新生产力哈的 ab12"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(400)]
    index = SubstringIndex.build(texts)
    index.save(tmp_path)
    loaded = SubstringIndex.load(tmp_path, len(texts))
    for _ in range(600):
        t = rng.choice(texts)
        if not t:
            continue
        i = rng.randrange(len(t))
        needle = t[i : i + rng.randint(1, 6)]
        for idx in (index, loaded):
            assert idx.find(needle).tolist() == _scan(texts, needle), needle
    for needle in ["哈哈哈哈", "zz", "发展发展发展"]:
        assert index.find(needle).tolist() == _scan(texts, needle)


def test_single_character_at_paragraph_end_and_empty_rows():
    texts = ["", "甲", "乙甲", "", "丙"]
    index = SubstringIndex.build(texts)
    assert index.find("甲").tolist() == [1, 2]
    assert index.find("丙").tolist() == [4]
    assert index.find("").size == 0
    assert index.frequency("甲", np.array([1, 2])).tolist() == [1, 1]


def test_frequency_counts_bigrams():
    texts = ["发展发展发展", "高质量发展", "无关"]
    index = SubstringIndex.build(texts)
    assert index.frequency("发展", np.array([0, 1, 2])).tolist() == [3, 1, 0]
    assert index.frequency("质量发展", np.array([1])).tolist() == [1]


def test_document_frequency_is_exact_for_bigrams_and_an_upper_bound_beyond():
    rng = random.Random(11)
    alphabet = "发展质量高新生产力"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(300)]
    index = SubstringIndex.build(texts)
    for a in alphabet:
        for b in alphabet:
            assert index.document_frequency(a + b) == len(_scan(texts, a + b))
    for _ in range(200):
        t = rng.choice(texts)
        needle = t[: rng.randint(3, 6)]
        if len(needle) >= 3:
            assert index.document_frequency(needle) >= len(_scan(texts, needle))
    assert index.document_frequency("发") == 0 and index.document_frequency("无关词") == 0
