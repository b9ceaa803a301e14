"""The jieba tokenizer for Whoosh: normalized words at ordinal positions."""

from search.analysis import WordTokenizer, segment


def test_positions_are_ordinal_not_character_offsets():
    tokens = [(t.text, t.pos) for t in WordTokenizer()("推进 新型城镇化高质量发展，15分钟养老服务圈", positions=True)]
    assert tokens == [
        ("推进", 0), ("新型", 1), ("城镇化", 2), ("高质量", 3), ("发展", 4),
        ("15", 5), ("分钟", 6), ("养老", 7), ("服务", 8), ("圈", 9),
    ]


def test_tokenizer_normalizes_like_queries():
    assert [t.text for t in WordTokenizer()("高質量發展 ＡＢＣ")] == segment("高质量发展abc")


def test_punctuation_and_spaces_are_not_words():
    assert segment("，。、“”（）  ") == []
