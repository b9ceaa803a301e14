"""The one normalization: the same on indexed text and queries."""

from hypothesis import given, settings
from hypothesis import strategies as st

from search.normalize import normalize, normalize_with_offsets


def test_whitespace_next_to_chinese_carries_no_meaning():
    assert normalize("XX 区") == normalize("XX区") == "xx区"
    assert normalize("增长 6%") == "增长6%"
    assert normalize("政 府 工 作 报 告") == "政府工作报告"
    assert normalize("2024年 1月 4日") == "2024年1月4日"
    assert normalize("1550 亿元\n增长") == "1550亿元增长"


def test_whitespace_between_latin_or_digits_is_one_space():
    assert normalize("Hello   World") == "hello world"
    assert normalize("2023 2025") == "2023 2025"
    assert normalize("G 20 峰会") == "g 20峰会"


def test_full_width_forms_case_and_traditional_characters():
    assert normalize("ＡＢＣ１２３") == "abc123"
    assert normalize("（一）") == "(一)"
    assert normalize("高質量發展") == "高质量发展"
    assert normalize("\u3000新质\u200b生产力\ufeff") == "新质生产力"


def test_idempotent_on_examples():
    for text in ["新质生产力", "XX 区", "Ｇ２０", "高質量發展", "15分钟养老服务圈"]:
        assert normalize(normalize(text)) == normalize(text)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_offsets_agree_with_normalize(text):
    normalized, origin = normalize_with_offsets(text)
    assert normalized == normalize(text)
    assert len(origin) == len(normalized)
    assert origin == sorted(origin)
    assert all(0 <= i < len(text) for i in origin)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8")), st.data())
def test_substring_of_normalized_text_normalizes_to_itself(text, data):
    # What makes "a quoted substring always finds its paragraph" hold: normalization is
    # context-free, so a piece of normalized text is unchanged by normalizing it again.
    normalized = normalize(text)
    if not normalized:
        return
    i = data.draw(st.integers(0, len(normalized) - 1))
    j = data.draw(st.integers(i + 1, len(normalized)))
    piece = normalized[i:j].strip(" ")
    if piece:
        assert normalize(piece) in normalized


def test_rjieba_and_jieba_agree_on_chinese_text():
    import re

    from search.analysis import jieba_words, rjieba, segment

    if rjieba is None:  # pragma: no cover - rjieba is a dependency
        return
    from .conftest import SAMPLE

    sentences = []
    for path in sorted(SAMPLE.glob("*.txt")):
        text = normalize(path.read_text(encoding="utf-8"))
        sentences += [s for s in re.split(r"[。！？；]", text) if s and not re.search(r"[0-9a-z]", s)]
    assert len(sentences) > 1000
    differ = [s for s in sentences if segment(s) != jieba_words(s)]
    assert differ == []
