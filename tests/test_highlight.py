"""Ranges to mark: whole matches in the source text, mapped from the normalized text."""

from html import escape

from search.highlight import marked, spans


def test_phrase_marked_whole_across_source_whitespace():
    text = "建设 15 分钟养老服务圈，推进<养老>服务"
    ranges = spans(text, ["15分钟养老服务圈"])
    assert [text[a:b] for a, b in ranges] == ["15 分钟养老服务圈"]


def test_full_width_and_traditional_text_is_marked_where_it_stands():
    text = "推動高質量發展，ＡＩ＋"
    assert [text[a:b] for a, b in spans(text, ["高质量发展", "ai+"])] == ["高質量發展", "ＡＩ＋"]


def test_overlapping_strings_merge_and_marks_escape_the_rest():
    text = '<script>高质量发展</script>'
    ranges = spans(text, ["高质量", "质量发展"])
    assert ranges == [(8, 13)]
    html = marked(text, ranges, "<mark>", "</mark>", escape=escape)
    assert html == "&lt;script&gt;<mark>高质量发展</mark>&lt;/script&gt;"


def test_quotes_fold_so_a_pasted_phrase_marks_either_form():
    text = "编制“十四五”规划和\"十四五\"规划"
    assert len(spans(text, ['"十四五"规划'])) == 2
