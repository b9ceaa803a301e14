"""Highlighting marks whole matches in the source text and escapes everything else."""

from search.highlight import highlight, needles
from search.query import parse_query


def test_phrase_marked_whole_across_source_whitespace():
    text = "建设 15 分钟养老服务圈，推进<养老>服务"
    html = highlight(text, needles(parse_query('"15分钟养老服务圈"').positive))
    assert html.count("<mark>") == 1
    assert "<mark>15 分钟养老服务圈</mark>" in html
    assert "&lt;养老&gt;" in html


def test_unquoted_term_marks_words_not_stray_characters():
    html = highlight("养老服务圈和文化圈", needles(parse_query("养老服务圈").positive))
    assert "<mark>养老服务圈</mark>" in html
    assert "文化圈" in html  # the lone 圈 split off by jieba stays unmarked


def test_markup_in_text_and_query_is_escaped():
    html = highlight('<script>alert("x")</script> 发展', needles(parse_query("<script> 发展").positive))
    assert "<script>" not in html
    assert "<mark>&lt;script&gt;</mark>" in html
    assert "<mark>发展</mark>" in html


def test_traditional_query_marks_simplified_text():
    assert "<mark>高质量发展</mark>" in highlight("推动高质量发展", needles(parse_query("高質量發展").positive))
