"""Query parsing: how each piece is read (exact by default), quotes, operators, filters; no input raises."""

from hypothesis import given, settings
from hypothesis import strategies as st

from search.query import MAX_DEPTH, MAX_QUERY_CHARS, MAX_TERMS, And, Not, Or, Term, parse_query


def test_unquoted_piece_is_one_term_with_its_words():
    root = parse_query("15分钟养老服务圈").root
    assert root == Term("15分钟养老服务圈", False, ("15", "分钟", "养老", "服务", "圈"))
    assert parse_query("人工智能+").root.text == "人工智能+"  # punctuation stays part of the phrase


def test_a_piece_wrapped_in_any_quotes_is_one_quoted_phrase_spaces_included():
    for q in ('"XX 区 政府"', "“XX 区 政府”", "'XX 区 政府'", "‘XX 区 政府’", "「XX 区 政府」"):
        assert parse_query(q).root == Term("xx区政府", True, ("xx", "区政府")), q


def test_quotes_inside_a_piece_are_text():
    for q in ("“十四五”规划", '"十四五"规划', "「十四五」规划"):
        assert parse_query(q).root.text == '"十四五"规划', q
    assert parse_query("‘双碳’目标").root.text == "'双碳'目标"
    # wrapped whole, with quotes inside: one phrase holding them
    assert parse_query('"“十四五”规划"').root == Term('"十四五"规划', True, ("十四五", "规划"))
    assert parse_query('"村”活动,促进城乡协"').root.text == '村"活动,促进城乡协'


def test_space_separated_terms_are_anded():
    root = parse_query("新质生产力 高质量发展").root
    assert isinstance(root, And) and [t.text for t in root.children] == ["新质生产力", "高质量发展"]


def test_operators_any_case_with_a_message_for_lowercase():
    parsed = parse_query("(养老 OR 托育) and 服务 not 收费 -价格")
    root = parsed.root
    assert isinstance(root, And) and isinstance(root.children[0], Or)
    assert isinstance(root.children[2], Not) and isinstance(root.children[3], Not)
    assert {"OR", "AND", "NOT"} <= set(parsed.operators)
    assert any("“and”已按运算符 AND" in m for m in parsed.messages)
    assert any("“not”已按运算符 NOT" in m for m in parsed.messages)
    assert parse_query("养老 or 托育").root == Or((Term("养老", False, ("养老",)), Term("托育", False, ("托育",))))


def test_parentheses_group_at_piece_edges_and_are_text_inside():
    assert parse_query("（一）着力扩大内需").root.text == "(一)着力扩大内需"
    assert parse_query("十四五(2021-2025年)规划").root.text == "十四五(2021-2025年)规划"
    assert parse_query("(养老)").root.text == "养老"


def test_field_filters_are_lifted_out_of_the_tree():
    parsed = parse_query('发展 province:江苏 year:2020-2024 title:"政府 工作报告" 级别：区 省:浙江')
    assert ("province", "江苏") in parsed.filters
    assert ("year", "2020-2024") in parsed.filters
    assert ("title", "政府 工作报告") in parsed.filters
    assert ("level", "区") in parsed.filters and ("province", "浙江") in parsed.filters
    assert parsed.root == Term("发展", False, ("发展",))


def test_unknown_field_is_named_and_never_searched():
    parsed = parse_query("doc:123 发展")
    assert parsed.root == Term("发展", False, ("发展",))
    assert any("doc" in m and "已忽略" in m for m in parsed.messages)
    # a colon after Chinese text is text
    assert parse_query("目标：增长5%").root.text == "目标:增长5%"


def test_a_field_under_a_minus_is_never_searched_as_text():
    plain = parse_query("新质生产力")
    for q in ("新质生产力 -province:江苏", "新质生产力 -省：江苏", '新质生产力 -province:"江 苏"', "(-province:江苏) 新质生产力"):
        parsed = parse_query(q)
        assert parsed.root == plain.root and not parsed.negative and not parsed.filters, q
        assert any(m.startswith("不支持排除筛选条件（-province:江") and "已忽略" in m for m in parsed.messages), q
    # the same reading as NOT
    assert parse_query("新质生产力 NOT province:江苏").root == plain.root
    # an unknown field under a minus is named like any unknown field
    for q in ("新质生产力 -doc:1", "新质生产力 --doc:1"):
        parsed = parse_query(q)
        assert parsed.root == plain.root and not parsed.negative, q
        assert any("不认识的筛选字段“doc”" in m and "已忽略" in m for m in parsed.messages), q
    # two minus signs cancel, as for a word: the filter applies
    assert parse_query("新质生产力 --province:江苏").filters == [("province", "江苏")]
    # a plain excluded word and Chinese text with a colon are unchanged
    assert parse_query("发展 -收费").root == And((Term("发展", False, ("发展",)), Not(Term("收费", False, ("收费",)))))
    assert parse_query("-目标：增长5%").root == Not(Term("目标:增长5%", False, ("目标", "增长", "5%")))
    assert parse_query("目标：增长5%").root.text == "目标:增长5%"


def test_traditional_query_is_simplified():
    assert parse_query('"高質量發展"').root.text == "高质量发展"


def test_malformed_queries_give_messages():
    assert parse_query('"未闭合').root == Term("未闭合", True, ("未", "闭合"))
    assert any("引号没有闭合" in m for m in parse_query('"未闭合').messages)
    assert parse_query("AND").root is None and parse_query("AND").messages
    assert any("括号没有闭合" in m for m in parse_query("((发展").messages)
    assert parse_query("发展))").root == parse_query("发展").root
    assert parse_query("NOT").root is None


def test_limits_give_messages_not_exceptions():
    assert any(str(MAX_QUERY_CHARS) in m for m in parse_query("发展" * 5000).messages)
    deep = parse_query("(" * 300 + "发展" + ")" * 300)
    assert deep.root == Term("发展", False, ("发展",)) and any(str(MAX_DEPTH) in m for m in deep.messages)
    many = parse_query(" ".join(f"词{i}" for i in range(100)))
    assert len(many.positive) == MAX_TERMS and any(str(MAX_TERMS) in m for m in many.messages)
    assert parse_query("-" * 499 + "x").root == Not(Term("x", False, ("x",)))
    assert parse_query("NOT " * 120 + "发展").root == Term("发展", False, ("发展",))  # an even number of NOTs


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('发展"“”‘’()（） -:：ANDORNOTandornot年year省title<>&\';\\x09')) | st.characters(), max_size=80))
def test_never_raises(text):
    parse_query(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_never_raises_on_any_text(text):
    parse_query(text)
