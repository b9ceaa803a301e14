"""The HTML pages through Flask's test client over the real sample index; expected counts from the oracle."""

from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

PHRASE = "新质生产力"
LOOSE = "养老服务"  # exact finds some, the words find more
NOWHERE = "十四五规划"  # never written as such in the sample; its words are


def text(response) -> str:
    return response.get_data(as_text=True)


def total(page: str) -> int:
    return int(re.search(r'class="summary" data-total="(\d+)"', page).group(1))


def documents(page: str) -> int:
    return int(re.search(r'data-documents="(\d+)"', page).group(1))


def hit_ids(page: str) -> list[str]:
    return re.findall(r'<li class="hit[^"]*" id="hit-[^"]+" data-id="([^"]+)"', page)


def links(page: str, container_class: str) -> list[tuple[str, str]]:
    """(href, link text) of the links inside the first element whose class starts with `container_class`."""
    start = page.index(f'class="{container_class}')
    end = min(i for i in (page.find(tag, start) for tag in ("</nav>", "</ul>", "</section>", "</div>")) if i != -1)
    return [(html.unescape(h), re.sub(r"<[^>]+>", "", t).strip())
            for h, t in re.findall(r'<a [^>]*?href="([^"]+)"[^>]*>(.*?)</a>', page[start:end], re.S)]


def args(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


# -- home ------------------------------------------------------------------------------------------
def test_home_shows_box_figures_and_examples_that_explain_exact_matching(client, oracle):
    page = text(client.get("/"))
    assert 'name="q"' in page and 'action="/search"' in page
    assert f"<strong>{len(oracle.documents)}</strong> 份报告" in page
    assert f"<strong>{len(oracle.units)}</strong> 个段落" in page
    examples = [html.unescape(h) for h in re.findall(r'<ul class="examples">(.*?)</ul>', page, re.S)[0].split('href="')[1:]]
    queries = [args(e.split('"')[0])["q"][0] for e in examples]
    # Each of the first two examples shows what exact-by-default means on this index: one finds more
    # with the words, one is not written as such at all.
    exact, words = oracle.totals(queries[0])[0], oracle.totals(queries[0], "words")[0]
    assert 0 < exact < words
    assert oracle.totals(queries[1])[0] == 0 < oracle.totals(queries[1], "words")[0]


# -- the result header, the loose count, highlights -----------------------------------------------------------
def test_header_counts_paragraphs_and_reports(client, oracle):
    page = text(client.get("/search", query_string={"q": LOOSE}))
    paragraphs, reports = oracle.totals(LOOSE)
    assert (total(page), documents(page)) == (paragraphs, reports)
    assert f"<strong>{paragraphs}</strong> 段，来自 <strong>{reports}</strong> 份报告" in page


def test_exact_by_default_with_the_loose_count_as_a_link(client, oracle):
    page = text(client.get("/search", query_string={"q": LOOSE}))
    assert "精确检索" in page and "不加引号的词也按原文逐字匹配" in page
    exact = oracle.totals(LOOSE)[0]
    words = oracle.totals(LOOSE, "words")[0]
    link = re.search(r'<a class="loose" href="([^"]+)" data-loose="(\d+)">', page)
    assert link, "the loose count must be shown as a link"
    assert int(link.group(2)) == words - exact
    url = html.unescape(link.group(1))
    assert args(url)["mode"] == ["words"] and args(url)["q"] == [LOOSE]
    followed = text(client.get(url))
    assert total(followed) == words
    assert "分词检索" in followed and "只看原样匹配" in followed


def test_every_hit_is_highlighted(client, oracle):
    page = text(client.get("/search", query_string={"q": PHRASE, "per_page": 100}))
    ids = hit_ids(page)
    assert set(ids) == oracle.ids(PHRASE)
    items = re.findall(r'<li class="hit.*?</li>', page, re.S)
    assert len(items) == len(ids)
    for item in items:
        assert f"<mark>{PHRASE}</mark>" in item


def test_words_mode_counts_and_marks_the_words(client, oracle):
    page = text(client.get("/search", query_string={"q": LOOSE, "mode": "words", "per_page": 100}))
    assert total(page) == oracle.totals(LOOSE, "words")[0]
    assert set(hit_ids(page)) == oracle.ids(LOOSE, "words")
    assert "<mark>养老</mark>" in page


def test_nothing_found_says_why_and_offers_suggestions(client, oracle):
    page = text(client.get("/search", query_string={"q": NOWHERE}))
    assert total(page) == 0
    assert "精确检索要求原样出现" in page
    suggestions = re.findall(r'<li data-kind="(\w+)"><a href="([^"]+)">[^<]*</a>（(\d+) 段）', page)
    kinds = {k for k, _, _ in suggestions}
    assert {"words", "part"} <= kinds
    for kind, url, count in suggestions:
        url = html.unescape(url)
        q, mode = args(url)["q"][0], args(url).get("mode", ["exact"])[0]
        assert int(count) == oracle.totals(q, mode)[0] > 0, (kind, q)
        assert total(text(client.get(url))) == int(count)


def test_misspelling_offers_did_you_mean(client, oracle):
    page = text(client.get("/search", query_string={"q": "新值生产力"}))
    assert total(page) == 0
    spelling = re.search(r'<li data-kind="spelling"><a href="([^"]+)">', page)
    assert spelling and args(html.unescape(spelling.group(1)))["q"] == [PHRASE]


def test_single_quotes_where_the_text_has_double_ones_are_offered_the_text(client, oracle):
    quoted = sorted({m for u in oracle.units for m in re.findall(r'"[^"\s]{2,6}"[^"\s,.;:!?]{2}', u.norm)})[0]
    single = quoted.replace('"', "'")
    assert oracle.totals(single)[0] == 0 < oracle.totals(quoted)[0]
    page = text(client.get("/search", query_string={"q": single}))
    offered = [(args(html.unescape(u))["q"][0], int(n)) for u, n in
               re.findall(r'<li data-kind="spelling"><a href="([^"]+)">[^<]*</a>（(\d+) 段）', page)]
    assert (quoted, oracle.totals(quoted)[0]) in offered


def test_operators_and_unknown_fields_are_explained(client):
    page = text(client.get("/search", query_string={"q": "养老 OR 托育 -收费 doc:abc"}))
    assert "OR：任一即可" in page and "排除" in page and "收费" in page
    assert "不认识的筛选字段“doc”" in page


def test_how_terms_combine_is_said_as_read(client):
    page = html.unescape(text(client.get("/search", query_string={"q": "(养老 or 托育) and 服务"})))
    assert "组合：（“养老” 或 “托育”） 且 “服务”" in page
    assert '<span class="and">且</span>' not in page  # the terms list no longer reads as all of them
    page = text(client.get("/search", query_string={"q": "养老 托育"}))
    assert '<span class="and">且</span>' in page and "组合：" not in page


def test_why_names_a_term_split_into_a_single_word():
    """"人工智能+" is one jieba word plus a sign: the why line names it rather than leaving a hole."""
    from search.models import QueryInfo, Suggestion, TermInfo
    from web.params import SearchParams
    from web.views import reading

    info = QueryInfo("人工智能+", terms=[TermInfo("人工智能+", True, ["人工智能"], False)], loose=7,
                     suggestions=[Suggestion("words", "人工智能+", "words", 9, "人工智能+")])
    why = reading(SearchParams(q="人工智能+"), info, 2).why
    assert why == ["精确检索要求原样出现；“人工智能+”拆为 人工智能，这些词分开出现的段落另有 7 段。"]


# -- filters: URL and box read the same way, canonical URLs ------------------------------------------------------
def test_typed_filter_redirects_to_the_canonical_url(client, oracle):
    response = client.get("/search", query_string={"q": "发展 province:江苏"})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/search?")  # relative: no host written back
    assert args(location) == {"q": ["发展"], "province": ["江苏省"]}
    page = text(client.get(location))
    assert total(page) == oracle.totals("发展", filters={"province": ["江苏"]})[0]
    assert re.search(r'<li class="chip" data-field="province"><a [^>]*>省份：江苏省', page)
    assert re.search(r'<li class="selected" data-value="江苏省">', page)


@pytest.mark.parametrize("given,canonical", [
    ({"q": "发展", "province": "江苏"}, {"province": ["江苏省"]}),
    ({"q": "发展", "level": "县"}, {"level": ["县"]}),
    ({"q": "发展 年:2024"}, {"year": ["2024"]}),
    ({"q": "发展 省：江苏 级别:县"}, {"province": ["江苏省"], "level": ["县"]}),
])
def test_box_and_url_read_the_same(client, oracle, given, canonical):
    response = client.get("/search", query_string=given)
    if response.status_code == 302:
        response = client.get(response.headers["Location"])
    page = text(response)
    assert total(page) == oracle.totals("发展", filters=canonical)[0]
    for name, values in canonical.items():
        for v in values:
            assert re.search(rf'<li class="chip" data-field="{name}">', page)
            assert re.search(rf'<li class="selected" data-value="{re.escape(v)}">', page)


def test_year_ranges(client, oracle):
    for raw in ("2015-2020", "2020-", "-2024", "2024"):
        page = text(client.get("/search", query_string={"q": "发展", "year": raw}))
        assert total(page) == oracle.totals("发展", filters={"year": [raw]})[0], raw
    page = text(client.get("/search", query_string={"q": "发展", "year": "2020-2024"}))
    assert "年份：2020–2024年" in page


def test_unknown_value_is_a_removable_chip_not_a_400(client):
    response = client.get("/search", query_string={"q": "发展", "province": "火星"})
    assert response.status_code == 200
    page = text(response)
    assert total(page) == 0
    assert 'value="发展"' in page  # the query stays in the box
    chip = re.search(r'<li class="chip unknown" data-field="province"><a href="([^"]+)"', page)
    assert chip and "火星（本索引中没有）" in page
    assert "本索引中没有省份为“火星”的报告" in page
    removed = html.unescape(chip.group(1))
    assert args(removed) == {"q": ["发展"]}


def test_a_filter_typed_inside_parentheses_stays_in_the_box_and_is_removable(client, oracle):
    province = next(iter(oracle.facet("province", PHRASE)))
    short = province[:2]  # as typed: 江苏 for 江苏省
    response = client.get("/search", query_string={"q": f"({PHRASE} province:{short})"})
    assert response.status_code == 200  # kept in the box: not moved into the URL
    page = text(response)
    assert total(page) == oracle.totals(PHRASE, filters={"province": [province]})[0]
    chip = html.unescape(re.search(r'<li class="chip" data-field="province"><a href="([^"]+)"', page).group(1))
    facet = html.unescape(re.search(rf'<li class="selected" data-value="{province}"><a href="([^"]+)"', page).group(1))
    for url in (chip, facet):  # the chip and the checked facet value both take the filter out of the query
        assert args(url) == {"q": [f"({PHRASE})"]}
        assert total(text(client.get(url))) == oracle.totals(PHRASE)[0]


@pytest.mark.parametrize("query,param", [
    ({"q": "发展", "page": "-1"}, "page"),
    ({"q": "发展", "page": "abc"}, "page"),
    ({"q": "发展", "page": "0"}, "page"),
    ({"q": "发展", "page": "9" * 5000}, "page"),
    ({"q": "发展", "per_page": "1000000"}, "per_page"),
    ({"q": "发展", "per_page": "0"}, "per_page"),
    ({"q": "发展", "sort": "xyz"}, "sort"),
    ({"q": "发展", "mode": "fuzzy"}, "mode"),
    ({"q": "发展", "doc": "<b>x</b>"}, "doc"),
])
def test_what_no_reading_can_fix_is_a_400_that_keeps_the_query(client, query, param):
    response = client.get("/search", query_string=query)
    assert response.status_code == 400
    page = text(response)
    assert "参数有误" in page and f"<code>{param}</code>" in page
    assert 'name="q" value="发展"' in page
    assert "<b>x</b>" not in page


def test_facets_show_paragraphs_and_reports_with_working_toggles(client, oracle):
    page = text(client.get("/search", query_string={"q": PHRASE}))
    expected = oracle.facet("province", PHRASE)
    shown = re.findall(r'<li class="" data-value="([^"]+)"><a href="([^"]+)".*?<span class="count"[^>]*>(\d+)</span>'
                       r'<span class="docs"[^>]*> · (\d+)</span>', page, re.S)
    provinces = {v: (int(c), int(d)) for v, _, c, d in shown if v in expected or v.endswith("省")}
    assert provinces == expected
    value, url, count, _ = shown[0]
    followed = text(client.get(html.unescape(url)))
    assert total(followed) == int(count) == oracle.totals(PHRASE, filters={"province": [value]})[0]


def test_two_values_of_one_facet_combine_with_or(client, oracle):
    facet = sorted(oracle.facet("province", PHRASE).items(), key=lambda kv: -kv[1][0])
    (a, (na, _)), (b, (nb, _)) = facet[0], facet[1]
    both = text(client.get("/search", query_string=[("q", PHRASE), ("province", a), ("province", b)]))
    assert total(both) == na + nb


def test_chip_removal_keeps_the_rest(client, oracle):
    page = text(client.get("/search", query_string=[("q", PHRASE), ("province", "江苏省"), ("year", "2024")]))
    removal = [u for u, t in links(page, "chips") if "江苏省" in t][0]
    assert args(removal) == {"q": [PHRASE], "year": ["2024"]}
    assert total(text(client.get(removal))) == oracle.totals(PHRASE, filters={"year": ["2024"]})[0]


# -- charts ----------------------------------------------------------------------------------------
def test_province_chart_lists_every_province_with_a_table(client, oracle):
    page = text(client.get("/search", query_string={"q": "发展"}))
    expected = oracle.facet("province", "发展")
    figure = re.search(r'<figure class="chart chart-province".*?</figure>', page, re.S).group(0)
    table = dict(re.findall(r'<th scope="row"><a [^>]+>([^<]+)</a></th><td>(\d+)</td>', figure))
    assert {k: int(v) for k, v in table.items()} == {k: v[0] for k, v in expected.items()}
    bars = re.findall(r'<a href="[^"]+" class="bar', figure)
    assert len(bars) == len(expected)  # first twelve plus the fold: none left out
    # a phrase found in few provinces: the others of the index are named with 0, none left out
    few = oracle.facet("province", PHRASE)
    figure = re.search(r'<figure class="chart chart-province".*?</figure>',
                       text(client.get("/search", query_string={"q": PHRASE})), re.S).group(0)
    zeros = re.search(r'<p class="zeros">没有命中的省份（(\d+) 个）：([^<]*)</p>', figure)
    indexed = {d.province for d in oracle.documents if d.province}
    assert zeros and set(zeros.group(2).split("、")) == indexed - set(few) and int(zeros.group(1)) == len(indexed - set(few))
    assert 'role="img"' in figure and "<text" in figure
    assert " style=" not in page


def test_charts_switch_to_reports_in_the_url(client, oracle):
    page = text(client.get("/search", query_string={"q": "发展"}))
    switch = [u for u, t in links(page, "switch") if "报告" in t][0]
    assert args(switch)["count"] == ["reports"]
    counted = text(client.get(switch))
    figure = re.search(r'<figure class="chart chart-province".*?</figure>', counted, re.S).group(0)
    table = dict(re.findall(r'<th scope="row"><a [^>]+>([^<]+)</a></th><td>(\d+)</td>', figure))
    assert {k: int(v) for k, v in table.items()} == {k: v[1] for k, v in oracle.facet("province", "发展").items()}


def test_year_chart_has_every_year_zeros_included():
    import search
    from web.charts import year_chart

    facet = [search.FacetValue("2018", 5, 2), search.FacetValue("2015", 3, 1, selected=True)]
    chart = year_chart(facet, [2014, 2015, 2018, 2019], "paragraphs", lambda n, v: f"/search?{n}={v}")
    assert [b.label for b in chart.bars] == ["2014", "2015", "2016", "2017", "2018", "2019"]
    assert [b.count for b in chart.bars] == [0, 3, 0, 0, 5, 0]
    assert [b.height > 0 for b in chart.bars] == [False, True, False, False, True, False]
    assert chart.bars[1].selected and chart.bars[4].height > chart.bars[1].height


# -- the 按报告 view ---------------------------------------------------------------------------------
def test_reports_view_counts_and_links_to_the_report_paragraphs(client, oracle):
    page = text(client.get("/search", query_string={"q": LOOSE, "view": "reports", "per_page": 100}))
    per_doc = Counter(u.doc.doc_id for u in oracle.matches(LOOSE))
    shown = dict(re.findall(r'<li class="report" data-doc-id="([^"]+)" data-count="(\d+)">', page))
    assert {k: int(v) for k, v in shown.items()} == dict(per_doc)
    assert documents(page) == len(per_doc) and total(page) == sum(per_doc.values())
    doc_id, count = next(iter(shown.items()))
    item = re.search(rf'data-doc-id="{doc_id}".*?</li>', page, re.S).group(0)
    url = html.unescape(re.search(r'<a class="paragraphs" href="([^"]+)"', item).group(1))
    assert args(url)["doc"] == [doc_id] and "view" not in args(url)
    listed = text(client.get(url))
    assert total(listed) == int(count)
    assert f"<mark>{LOOSE}</mark>" in item
    assert re.search(r'<li class="chip" data-field="doc">', listed)


def test_research_views_are_offered_for_a_selection_of_places_not_inside_one_report(client, oracle):
    doc_id = next(iter(oracle.matches(PHRASE))).doc.doc_id
    assert 'aria-label="研究视图"' in text(client.get("/search", query_string={"q": PHRASE}))
    assert 'aria-label="研究视图"' not in text(client.get("/search", query_string={"q": PHRASE, "doc": doc_id}))


def test_reports_path_is_the_same_page(client):
    response = client.get("/reports", query_string={"q": LOOSE, "province": "江苏"})
    assert response.status_code == 302
    assert args(response.headers["Location"]) == {"q": [LOOSE], "province": ["江苏省"], "view": ["reports"]}


# -- kinds, documents, permalinks -------------------------------------------------------------------
def test_headings_and_titles_are_hits_marked_as_such(client, oracle):
    heading = next(u for u in oracle.units if u.para.kind == "heading" and len(u.norm) > 8)
    q = heading.para.text[:8]
    page = text(client.get("/search", query_string={"q": q, "per_page": 100}))
    item = re.search(rf'<li class="hit kind-heading" id="hit-{heading.para.id}".*?</li>', page, re.S)
    assert item, "the heading is a hit of its own"
    assert '<span class="kind kind-heading">小标题</span>' in item.group(0)
    href = html.unescape(re.search(r'<h2><a href="([^"]+)"', item.group(0)).group(1))
    assert href.startswith(f"/doc/{heading.doc.doc_id}?") and href.endswith(f"#p-{heading.para.id}")
    doc = text(client.get(href.split("#")[0]))
    assert f'id="p-{heading.para.id}"' in doc


def test_document_search_box_count_and_hit_navigation(client, oracle):
    doc_id = Counter(u.doc.doc_id for u in oracle.matches(LOOSE)).most_common(1)[0][0]
    expected = [u.para.id for u in oracle.matches(LOOSE) if u.doc.doc_id == doc_id]
    expected.sort(key=lambda pid: oracle.by_id[pid].para.ordinal)
    page = text(client.get(f"/doc/{doc_id}", query_string={"q": LOOSE}))
    assert f'action="/doc/{doc_id}"' in page
    assert int(re.search(r'data-matches="(\d+)"', page).group(1)) == len(expected)
    matches = re.findall(r'<div class="para [^"]*match" id="p-([^"]+)"', page)
    assert matches == expected
    nexts = re.findall(r'<a href="#p-([^"]+)" rel="next">', page)
    prevs = re.findall(r'<a href="#p-([^"]+)" rel="prev">', page)
    assert nexts == expected[1:] and prevs == expected[:-1]
    assert re.search(rf'<a class="first-hit" href="#p-{expected[0]}">', page)


def test_back_link_returns_to_the_same_search(client):
    state = [("q", LOOSE), ("mode", "words"), ("province", "江苏省"), ("sort", "newest"), ("per_page", "5"), ("page", "2")]
    page = text(client.get("/search", query_string=state))
    href = html.unescape(re.search(r'<li class="hit.*?<h2><a href="([^"]+)"', page, re.S).group(1))
    doc = text(client.get(href.split("#")[0]))
    back = html.unescape(re.search(r'<a class="back" href="([^"]+)"', doc).group(1))
    assert urlsplit(back).path == "/search"
    assert args(back) == {k: [v] for k, v in state}
    # a search inside the document (its box's form as a browser submits it), then "取消高亮": still the same way back
    form = re.search(r'<form class="search" action="([^"]+)".*?</form>', doc, re.S)
    fields = [(n, html.unescape(v)) for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0))]
    inside = text(client.get(form.group(1), query_string=fields + [("q", PHRASE)]))
    assert html.unescape(re.search(r'<a class="back" href="([^"]+)"', inside).group(1)) == back
    clear = html.unescape(re.search(r'<a href="([^"]+)">取消高亮</a>', inside).group(1))
    cleared = text(client.get(clear))
    assert html.unescape(re.search(r'<a class="back" href="([^"]+)"', cleared).group(1)) == back


def test_copy_link_and_citation_carry_the_query(client, web_app):
    page = text(client.get("/search", query_string={"q": LOOSE, "mode": "words"}))
    base = web_app.config["BASE_URL"]
    first = hit_ids(page)[0]
    copy = html.unescape(re.search(r'<button type="button" class="copy" data-copy="([^"]+)"', page).group(1))
    assert copy.startswith(f"{base}/p/{first}?")
    assert args(copy) == {"q": [LOOSE], "mode": ["words"]}
    citation = html.unescape(re.search(r'<span class="citation">([^<]+)</span>', page).group(1))
    assert citation.endswith(copy) and citation.startswith("《")


def test_permalink_lands_on_the_paragraph_under_a_title_bar(client, oracle):
    unit = sorted(oracle.matches(PHRASE), key=lambda u: u.para.id)[0]
    response = client.get(f"/p/{unit.para.id}", query_string={"q": PHRASE})
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert parts.path == f"/doc/{unit.doc.doc_id}" and parts.fragment == f"p-{unit.para.id}"
    assert args(location) == {"q": [PHRASE]} and not parts.netloc
    page = text(client.get(location.split("#")[0]))
    head = re.search(r'<header class="dochead">.*?</header>', page, re.S).group(0)
    from web.labels import title_label

    assert html.escape(title_label(unit.doc), quote=False) in head
    block = re.search(rf'id="p-{unit.para.id}">.*?</div>', page, re.S).group(0)
    assert f"<mark>{PHRASE}</mark>" in block


def test_a_gone_paragraph_lands_in_its_document_with_a_message(client, oracle):
    doc = oracle.documents[0]
    response = client.get(f"/p/{doc.doc_id}-00000000", query_string={"q": PHRASE})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert urlsplit(location).path == f"/doc/{doc.doc_id}" and args(location)["gone"] == [f"{doc.doc_id}-00000000"]
    page = text(client.get(location))
    assert "在索引更新后已不存在" in page
    assert client.get("/p/000000000000-00000000").status_code == 404


def test_permalinks_survive_a_rebuild(tmp_path: Path, oracle, web_app):
    import search
    from web import create_app

    from .conftest import SAMPLE, SAMPLE_MANIFEST

    search.build_index([SAMPLE], tmp_path, manifest=SAMPLE_MANIFEST, progress=False, rebuild=True)
    rebuilt = create_app({"INDEX_DIR": str(tmp_path), "TESTING": True}).test_client()
    for pid in sorted(oracle.ids(PHRASE))[:5]:
        before = web_app.test_client().get(f"/p/{pid}?q={PHRASE}").headers["Location"]
        after = rebuilt.get(f"/p/{pid}?q={PHRASE}")
        assert after.status_code == 302 and after.headers["Location"] == before


def test_metadata_urls_become_links_only_when_http():
    from web.labels import safe_url

    assert safe_url("https://www.gov.cn/x.htm") == "https://www.gov.cn/x.htm"
    for bad in ("javascript:alert(1)", "data:text/html,x", "//evil.org/x", "http://", "ftp://x.org/f",
                'http://x.org/"onmouseover=alert(1)', "http://x.org/\nSet-Cookie: a=b"):
        assert safe_url(bad) == "", bad


def test_without_query_text_the_page_says_it_is_newest_first(client, oracle):
    province = next(iter(oracle.facet("province", PHRASE)))
    sorts = lambda page: re.search(r'<nav class="sorts".*?</nav>', page, re.S).group(0)  # noqa: E731
    assert '<strong aria-current="true">最新</strong>' in sorts(text(client.get("/search", query_string={"province": province})))
    assert '<strong aria-current="true">相关度</strong>' in sorts(text(client.get("/search", query_string={"q": PHRASE})))


def test_title_label_adds_the_place_only_when_missing():
    from search import Document
    from web.labels import title_label

    assert title_label(Document("a", "a", title="2025年政府工作报告", city="广州市", province="广东省")) == "2025年政府工作报告 · 广州市"
    assert title_label(Document("a", "a", title="2024年常州市政府工作报告", city="常州市")) == "2024年常州市政府工作报告"
    assert title_label(Document("a", "a", title="广西政府工作报告", province="广西壮族自治区")) == "广西政府工作报告"
    assert title_label(Document("a", "a", title="政府工作报告")) == "政府工作报告"
    national = Document("a", "a", title="关于一九五八年度国民经济计划草案的报告", level="国务院", tier="国家")
    assert title_label(national) == "关于一九五八年度国民经济计划草案的报告 · 国务院"
    assert title_label(Document("a", "a", title="1954年国务院政府工作报告", level="国务院", tier="国家")) == "1954年国务院政府工作报告"


# -- every page ------------------------------------------------------------------------------------
def test_security_headers_everywhere(client):
    for url in ("/", "/search?q=x", "/doc/nope", "/api/search?q=x", "/static/style.css", "/export.csv?q=x"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_no_inline_script_or_style(client, oracle):
    doc = oracle.documents[0].doc_id
    for url in ("/", f"/search?q={PHRASE}", f"/search?q={PHRASE}&view=reports", f"/doc/{doc}?q={PHRASE}",
                "/doc/nope", "/search?page=-1"):
        page = text(client.get(url))
        assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/copy.js" defer>']
        assert "<style" not in page and " style=" not in page and " on" + "click=" not in page


def test_every_page_has_a_json_twin(client, oracle):
    doc = oracle.documents[0].doc_id
    for url in (f"/search?q={PHRASE}", f"/search?q={PHRASE}&view=reports", f"/doc/{doc}?q={PHRASE}"):
        page = text(client.get(url))
        twin = html.unescape(re.search(r'<a href="(/api/[^"]+)">本页 JSON</a>', page).group(1))
        assert client.get(twin).status_code == 200


def test_server_error_page(sample_index):
    from web import create_app

    app = create_app({"INDEX_DIR": str(sample_index)})

    @app.get("/boom")
    def boom():  # noqa: ANN202
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "服务器出错" in text(response) and "RuntimeError" not in text(response)


def test_missing_index_raises_at_creation(tmp_path: Path):
    import search
    from web import create_app

    with pytest.raises(search.IndexUnavailable):
        create_app({"INDEX_DIR": str(tmp_path / "none")})


def test_a_toggle_url_is_the_toggled_parameters_url():
    """The fast toggle URL (one per facet value on every answer) equals building the parameters again."""
    import random
    from dataclasses import replace

    from web.params import FILTER_NAMES, SearchParams

    rng = random.Random(20261207)
    values = {"province": ["江苏省", "浙江省", "江苏"], "year": ["2024", "2015-2020", "2023"], "level": ["县", "市"],
              "city": ["苏州市"], "type": ["政府工作报告"], "tier": ["县级"]}
    for _ in range(300):
        filters = {n: tuple(rng.sample(values.get(n, ["x"]), rng.randint(0, len(values.get(n, ["x"])))))
                   for n in FILTER_NAMES if rng.random() < 0.4}
        params = replace(SearchParams(q=rng.choice(["", "发展", "a&b=c 十四五"]), mode=rng.choice(["exact", "words"]),
                                      sort=rng.choice(["relevance", "oldest"]), doc=rng.choice(["", "abc123"]),
                                      view=rng.choice(["paragraphs", "reports"])).with_filters(filters),
                         page=rng.randint(1, 3))
        name = rng.choice(list(values))
        value = rng.choice(values[name] + ["2016"])
        selects = {"2015-2020": tuple(str(y) for y in range(2015, 2021))} if name == "year" else None
        assert params.toggled_url(name, value, selects) == params.toggled(name, value, selects).url()
