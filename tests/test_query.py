"""Query parsing: the syntax, and that no input raises."""

from hypothesis import given, settings
from hypothesis import strategies as st

from search.query import MAX_QUERY_CHARS, And, Filter, Not, Or, Term, parse_query


def test_quoted_phrase_is_exact_and_normalized():
    parsed = parse_query('"XX 区 政府"')
    assert parsed.root == Term("xx区政府", True, parsed.root.words)
    assert parse_query("“新质生产力”").root.exact


def test_space_separated_terms_are_anded():
    root = parse_query("新质生产力 高质量发展").root
    assert isinstance(root, And) and [t.text for t in root.children] == ["新质生产力", "高质量发展"]


def test_unquoted_term_keeps_its_jieba_words():
    term = parse_query("高质量发展").root
    assert not term.exact and term.words == ("高质量", "发展")


def test_operators_parentheses_and_minus():
    root = parse_query("(养老 OR 托育) AND 服务 NOT 收费 -价格").root
    assert isinstance(root, And)
    assert isinstance(root.children[0], Or)
    assert isinstance(root.children[2], Not) and isinstance(root.children[3], Not)


def test_field_filters():
    parsed = parse_query('发展 province:江苏 year:2020-2024 title:"政府工作报告" level：区')
    assert Filter("province", "江苏") in parsed.filters
    assert Filter("year", "2020-2024") in parsed.filters
    assert Filter("title", "政府工作报告") in parsed.filters
    assert Filter("level", "区") in parsed.filters
    assert [t.text for t in parsed.positive] == ["发展"]


def test_unknown_field_is_text():
    assert [t.text for t in parse_query("foo:bar").positive] == ["foo:bar"]


def test_traditional_query_is_simplified():
    assert parse_query('"高質量發展"').root.text == "高质量发展"


def test_malformed_queries_give_messages():
    assert parse_query('"未闭合').messages
    assert parse_query("AND").root is None and parse_query("AND").messages
    assert parse_query("((发展").messages
    assert parse_query("发展))").root == parse_query("发展").root
    assert parse_query("NOT").root is None
    assert parse_query("year:abc").messages


def test_long_query_is_cut_with_a_message():
    parsed = parse_query("发展" * 5000)
    assert any(str(MAX_QUERY_CHARS) in m for m in parsed.messages)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('发展"“”()（） -:：ANDORNOTyear省title<>&\';\\x09')) | st.characters(), max_size=60))
def test_never_raises(text):
    parse_query(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_never_raises_on_any_text(text):
    parse_query(text)
