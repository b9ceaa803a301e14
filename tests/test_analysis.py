"""jieba segmentation: rjieba agrees with the reference jieba on Chinese text; punctuation is not a word."""

import re

from search.analysis import jieba_words, segment
from search.normalize import normalize

from .conftest import SAMPLE


def test_punctuation_and_spaces_are_not_words():
    assert segment("，。、“”（）  ") == []
    assert segment(normalize("推进 新型城镇化高质量发展，15分钟养老服务圈")) == [
        "推进", "新型", "城镇化", "高质量", "发展", "15", "分钟", "养老", "服务", "圈",
    ]


def test_rjieba_agrees_with_jieba_on_the_sample_corpus():
    text = normalize((SAMPLE / "2024年常州市政府工作报告.txt").read_text(encoding="utf-8"))
    compared = 0
    for line in text.split("。"):
        # they differ only inside Latin/digit runs ("pm_2.5", "3.aeo"): compare sentences without any
        if re.search(r"[0-9a-z]", line) or not line:
            continue
        assert segment(line) == jieba_words(line), line
        compared += 1
    assert compared > 150
