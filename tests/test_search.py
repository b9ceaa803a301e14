"""Searching the sample corpus, every answer checked against the oracle (the files, read and scanned).

What the journalist's promise needs: every paragraph that contains a phrase and no other — headings,
titles and front lines included —, quotes read as typed, the default exact and the words mode, counts
of paragraphs and reports, facets under the other filters, every order, paging to the end.
"""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search import SearchRequest, normalize
from search.service import InvalidRequest, document_of


def ids(searcher, q: str, mode: str = "exact", **filters) -> set[str]:
    """Every hit of a request, through the streaming API (no paging)."""
    return {h.id for h in searcher.iter_hits(SearchRequest.make(q=q, mode=mode, filters=filters))}


def all_pages(searcher, request: SearchRequest) -> list[str]:
    """Every hit of a request, page after page, to the end."""
    out: list[str] = []
    page = 1
    while True:
        result = searcher.search(SearchRequest(**{**request.__dict__, "page": page, "per_page": 100}))
        out.extend(h.id for h in result.hits)
        if page >= result.pages:
            return out
        page += 1


def _pieces(oracle, count: int, seed: int, kinds: tuple[str, ...] | None = None) -> list[str]:
    rng = random.Random(seed)
    units = [u for u in oracle.units if u.norm and (kinds is None or u.para.kind in kinds)]
    out: list[str] = []
    while len(out) < count:
        text = rng.choice(units).norm
        n = rng.randint(1, 12)
        a = rng.randrange(0, max(1, len(text) - n + 1))
        piece = text[a:a + n]
        if '"' not in piece and piece.strip():  # an inner quote would need the wrapped form (tested below)
            out.append(piece)
    return out


def test_quoted_phrases_find_exactly_what_a_scan_finds(searcher, oracle):
    found = expected_total = 0
    for piece in _pieces(oracle, 400, seed=2024):
        expected = oracle.phrase(piece)
        got = ids(searcher, f'"{piece}"')
        assert got == expected, piece
        found += len(got & expected)
        expected_total += len(expected)
    assert expected_total > 1000 and found == expected_total  # recall 100%, precision 100%


def test_headings_titles_and_front_lines_are_hits_of_their_own(searcher, oracle):
    for kind in ("heading", "title", "front"):
        units = [u for u in oracle.units if u.para.kind == kind]
        assert units, kind
        for piece in _pieces(oracle, 60, seed=7, kinds=(kind,)):
            assert ids(searcher, f'"{piece}"') == oracle.phrase(piece), (kind, piece)
        whole = units[len(units) // 2]
        result = searcher.search(SearchRequest(q=f'"{whole.para.text}"', per_page=100))
        assert whole.para.id in {h.id for h in result.hits}
        assert next(h for h in result.hits if h.id == whole.para.id).kind == kind


def test_every_paragraph_heading_and_last_paragraph_is_found(searcher, oracle):
    # A test that fails when the indexer drops any unit: each one, by a piece from its middle.
    by_doc: dict[str, list] = {}
    for u in oracle.units:
        by_doc.setdefault(u.doc.doc_id, []).append(u)
    checked = 0
    for units in by_doc.values():
        for u in units:
            text = max(u.norm.split('"'), key=len)  # the longest stretch without a quote mark
            if not text:
                continue
            middle = len(text) // 2
            piece = text[max(0, middle - 6):middle + 6]
            assert u.para.id in ids(searcher, f'"{piece}"'), (u.para.kind, u.para.text[:40])
            checked += 1
    assert checked == sum(1 for u in oracle.units if u.norm.replace('"', ""))


def test_single_characters_an_absent_phrase_and_text_across_two_paragraphs(searcher, oracle):
    for char in ("的", "圈", "X", "5", "，", "“"):
        assert ids(searcher, f'"{char}"') == oracle.phrase(char), char
    assert ids(searcher, '"这个短语不在语料中出现"') == set() == oracle.phrase("这个短语不在语料中出现")
    crossing = 0
    for a, b in zip(oracle.units, oracle.units[1:]):
        if a.doc is not b.doc or len(a.norm) < 4 or len(b.norm) < 4:
            continue
        piece = a.norm[-3:] + b.norm[:3]
        if '"' in piece or oracle.phrase(piece):
            continue
        assert ids(searcher, f'"{piece}"') == set(), piece  # the end of one paragraph and the start of the next
        crossing += 1
        if crossing == 40:
            break
    assert crossing == 40


def test_quotes_inside_a_phrase_are_found_as_written(searcher, oracle):
    # “智改数转网联”加快推进 and ‘四敢精神’ stand in the sample's anonymized reports
    for q, text in (
        ("“智改数转网联”加快推进", '"智改数转网联"加快推进'),
        ('"智改数转网联"加快推进', '"智改数转网联"加快推进'),
        ('"“智改数转网联”加快推进"', '"智改数转网联"加快推进'),
        ("‘二次创业’再出发", "'二次创业'再出发"),
        ("“‘二次创业’再出发”", "'二次创业'再出发"),
    ):
        expected = oracle.phrase(text)
        assert expected, text
        assert ids(searcher, q) == expected, q
        result = searcher.search(SearchRequest(q=q))
        assert result.total == len(expected) and result.query.terms[0].text == normalize(text)
    # a piece wrapped whole in quotes of any kind is one exact phrase, the quotes not part of it
    assert ids(searcher, "‘四敢精神’") == ids(searcher, '"四敢精神"') == oracle.phrase("四敢精神") != set()


def test_unquoted_text_is_exact_by_default_and_words_mode_is_looser(searcher, oracle):
    for q in ("15分钟养老服务圈", "新质生产力", "数字经济", "营商环境 高质量发展"):
        exact = oracle.ids(q)
        words = oracle.ids(q, "words")
        assert ids(searcher, q) == exact and ids(searcher, q, "words") == words, q
        assert exact <= words
        result = searcher.search(SearchRequest(q=q))
        assert result.query.mode == "exact" and result.total == len(exact)
        if words != exact:
            assert result.query.loose == len(words) - len(exact), q
        loose = searcher.search(SearchRequest(q=q, mode="words"))
        assert loose.total == len(words) and loose.query.loose is None


def test_boolean_queries(searcher, oracle):
    for q in ("养老 OR 托育", "养老 or 托育", "(养老 OR 托育) AND 服务", "发展 -经济", "发展 NOT 经济", "-发展", '"新质生产力" OR 低空经济'):
        for mode in ("exact", "words"):
            assert ids(searcher, q, mode) == oracle.ids(q, mode), (q, mode)


def test_filters_read_the_same_in_the_url_and_in_the_box(searcher, oracle):
    pairs = [
        ({"province": "江苏"}, "province:江苏"),
        ({"province": "江苏省"}, "省:江苏省"),
        ({"year": "2024"}, "year:2024"),
        ({"year": "2015-2024"}, "year:2015-2024"),
        ({"year": "2015-"}, "year:2015-"),
        ({"level": "县"}, "level:县"),
        ({"type": "新闻"}, "type:新闻"),
    ]
    for url_filters, typed in pairs:
        by_url = searcher.search(SearchRequest.make(q="发展", filters=url_filters, per_page=5))
        by_box = searcher.search(SearchRequest(q=f"发展 {typed}", per_page=5))
        expected = oracle.totals("发展", filters=url_filters)
        assert (by_url.total, by_url.documents) == (by_box.total, by_box.documents) == expected, typed
        assert [h.id for h in by_url.hits] == [h.id for h in by_box.hits]
        assert any(f.typed for f in by_box.filters) and not any(f.typed for f in by_url.filters)
    jiangsu = searcher.search(SearchRequest.make(q="发展", filters={"province": "江苏"}))
    assert [f.label for f in jiangsu.filters] == ["江苏省"]
    assert any(fv.value == "江苏省" and fv.selected for fv in jiangsu.facets["province"])


def test_an_unknown_filter_value_is_a_chip_with_no_hits_and_a_message(searcher):
    result = searcher.search(SearchRequest.make(q="发展", filters={"level": "镇级市", "province": "江苏"}))
    assert result.total == 0 and result.hits == []
    unknown = [f for f in result.filters if not f.known]
    assert [(f.field, f.raw) for f in unknown] == [("level", "镇级市")]
    assert any("镇级市" in m for m in result.query.messages)
    assert any(fv.value == "镇级市" and fv.selected and not fv.known and fv.count == 0 for fv in result.facets["level"])


def test_excluding_a_field_is_ignored_with_a_message_not_searched_as_text(searcher, oracle):
    plain = searcher.search(SearchRequest(q="新质生产力"))
    for q, says in (("新质生产力 -province:江苏", "不支持排除筛选条件"), ("新质生产力 -doc:1", "不认识的筛选字段“doc”")):
        result = searcher.search(SearchRequest(q=q))
        assert (result.total, result.documents) == (plain.total, plain.documents) == oracle.totals("新质生产力"), q
        assert result.query.excluded == [] and any(says in m for m in result.query.messages), q
    # "-province:江苏" must not be the exclusion of the text "province:江苏" …
    jiangsu = searcher.search(SearchRequest(q="新质生产力 province:江苏"))
    assert 0 < jiangsu.total < plain.total  # … and is not the filter either


def test_what_no_reading_can_fix_is_invalid(searcher):
    for bad in (dict(page=0), dict(page=-1), dict(per_page=0), dict(per_page=10**6), dict(sort="x"), dict(mode="x")):
        with pytest.raises(InvalidRequest) as info:
            searcher.search(SearchRequest(q="发展", **bad))
        assert info.value.param in bad
    with pytest.raises(InvalidRequest):
        searcher.search(SearchRequest(q="发展", filters=(("nosuchfield", ("x",)),)))


@pytest.mark.parametrize("filters", [{}, {"province": ["江苏省"]}, {"province": ["江苏省", "山东省"], "level": ["区"]}, {"year": ["2024"], "type": ["政府工作报告"]}])
def test_facets_count_paragraphs_and_reports_under_the_other_filters(searcher, oracle, filters):
    for q, mode in (("发展", "exact"), ("数字经济", "words"), ("", "exact")):
        result = searcher.search(SearchRequest.make(q=q, mode=mode, filters=filters))
        assert (result.total, result.documents) == oracle.totals(q, mode, filters), (q, filters)
        for name, values in result.facets.items():
            expected = oracle.facet(name, q, mode, filters)
            got = {fv.value: (fv.count, fv.documents) for fv in values if fv.count}
            assert got == expected, (q, filters, name)


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
@pytest.mark.parametrize("q,mode", [("发展", "exact"), ("数字经济", "words"), ("养老 OR 托育", "exact"), ("", "exact")])
def test_paging_to_the_end_gives_the_documented_order(searcher, oracle, sort, q, mode):
    request = SearchRequest.make(q=q, mode=mode, sort=sort, filters={"province": "江苏"} if not q else {})
    assert all_pages(searcher, request) == oracle.ordered(q, sort, mode, request.filter_dict())


def test_the_default_sort_is_relevance_and_it_puts_titles_and_headings_first(searcher):
    assert SearchRequest().sort == "relevance"
    result = searcher.search(SearchRequest(q="高质量发展", per_page=100))
    kinds = [h.kind for h in result.hits]
    first_other = next(i for i, k in enumerate(kinds) if k not in ("title", "heading"))
    assert "heading" in kinds[:first_other] and all(k not in ("title", "heading") for k in kinds[first_other:])
    bodies = [len(normalize(h.text)) for h in result.hits[first_other:]]
    assert bodies == sorted(bodies)  # then shorter paragraphs (the phrase is more of them) first


def test_a_whole_term_ranks_above_its_words_apart_in_words_mode(searcher, oracle):
    q = "数字经济"
    whole = oracle.phrase(q)
    result = searcher.search(SearchRequest(q=q, mode="words", per_page=100))
    got = [h.id for h in result.hits]
    apart = [i for i in got if i not in whole]
    assert whole and apart
    assert got[: len(whole)] == [i for i in got if i in whole]  # every whole match before any words-apart one


def test_newest_and_oldest_follow_the_dates(searcher, oracle):
    # by year, then delivery date; reports without a date come after the dated ones of their year
    # (the sample is all 2024: the order across years is checked on lawtext, test_lawtext_order.py)
    for sort in ("newest", "oldest"):
        hits = all_pages(searcher, SearchRequest(q="发展", sort=sort))
        docs = [searcher.paragraph(pid).document for pid in hits]
        sign = -1 if sort == "newest" else 1
        keys = [(sign * (d.year or 0), d.date == "", d.date if sign > 0 else "".join(chr(0x10FFFF - ord(c)) for c in d.date)) for d in docs]
        assert keys == sorted(keys) and len(hits) == len(oracle.ids("发展"))
        assert {d.date for d in docs} > {""}  # dated and undated reports both take part


def test_reports_view_counts_and_best_paragraph(searcher, oracle):
    result = searcher.reports(SearchRequest(q="新质生产力", per_page=50))
    found = oracle.matches("新质生产力")
    per_doc: dict[str, int] = {}
    for u in found:
        per_doc[u.doc.doc_id] = per_doc.get(u.doc.doc_id, 0) + 1
    assert result.total == len(per_doc) and result.paragraphs == len(found)
    assert {r.document.doc_id: r.count for r in result.reports} == per_doc
    counts = [r.count for r in result.reports]
    assert counts == sorted(counts, reverse=True)
    for report in result.reports:
        assert report.best.doc_id == report.document.doc_id and "新质生产力" in normalize(report.best.text)


def test_a_search_inside_one_document(searcher, oracle):
    doc = max(oracle.documents, key=lambda d: len(d.paragraphs))
    expected = [u.para.id for u in oracle.matches("发展") if u.doc.doc_id == doc.doc_id]
    result = searcher.search(SearchRequest(q="发展", doc=doc.doc_id, sort="relevance", per_page=100))
    assert result.total == len(expected) and result.documents == 1
    view = searcher.document(doc.doc_id, q="发展")
    assert view.matches == expected  # in reading order, for next/previous links
    assert [p.id for p in view.document.paragraphs] == [p.id for p in doc.paragraphs]
    for pid in view.matches:
        text = next(p.text for p in view.document.paragraphs if p.id == pid)
        assert all(normalize(text[a:b]) == "发展" for a, b in view.spans[pid])


def test_spans_cover_exactly_the_occurrences(searcher):
    result = searcher.search(SearchRequest(q="新质生产力", per_page=100))
    for hit in result.hits:
        marked = [normalize(hit.text[a:b]) for a, b in hit.spans]
        assert marked and all(m == "新质生产力" for m in marked)
        assert len(marked) == normalize(hit.text).count("新质生产力")


def test_paragraphs_by_id_and_documents_of_unknown_ids(searcher, oracle):
    unit = oracle.units[100]
    hit = searcher.paragraph(unit.para.id, q="发展")
    assert hit.id == unit.para.id and hit.text == unit.para.text and hit.document.doc_id == unit.doc.doc_id
    assert searcher.paragraph(unit.doc.doc_id + "-00000000") is None
    assert document_of(searcher.catalog(), unit.doc.doc_id + "-00000000").doc_id == unit.doc.doc_id
    assert searcher.paragraph("nothing") is None and searcher.document("nothing") is None


def test_suggestions_when_little_or_nothing_is_found(searcher, oracle):
    typo = searcher.search(SearchRequest(q="新值生产力"))
    assert typo.total == 0
    spelled = [s for s in typo.query.suggestions if s.kind == "spelling"]
    assert spelled and spelled[0].text == "新质生产力" and spelled[0].count == len(oracle.phrase("新质生产力"))
    absent = searcher.search(SearchRequest(q='"新质生产力发展试验区"'))
    part = [s for s in absent.query.suggestions if s.kind == "part"]
    assert part and part[0].count == len(oracle.phrase(part[0].text)) > 0
    assert part[0].text in "新质生产力发展试验区" and len(part[0].text) >= 5
    loose = searcher.search(SearchRequest(q="15分钟养老服务圈"))
    words = [s for s in loose.query.suggestions if s.kind == "words"]
    assert words and words[0].count == len(oracle.ids("15分钟养老服务圈", "words")) and words[0].mode == "words"


def test_a_repeated_request_is_answered_from_the_cache_as_it_was_computed(searcher):
    request = SearchRequest.make(q="发展", filters={"province": "江苏"}, page=2)
    first = searcher.search(request)
    again = searcher.search(request)
    assert [h.id for h in again.hits] == [h.id for h in first.hits] and again.total == first.total


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(list('发展新质"“”()（） -:：ANDORNOTyear省<>&\'') + ["province:江苏", "year:20", " or "]), max_size=30).map("".join))
def test_any_input_gives_the_oracles_answer_never_an_error(searcher, oracle, q):
    result = searcher.search(SearchRequest(q=q))
    assert (result.total, result.documents) == oracle.totals(q)


def test_ids_survive_a_rebuild(tmp_path, searcher, oracle):
    from search import build_index, open_index

    from .conftest import SAMPLE, SAMPLE_MANIFEST

    build_index([SAMPLE], tmp_path / "again", manifest=SAMPLE_MANIFEST, progress=False, rebuild=True)
    again = open_index(tmp_path / "again")
    assert ids(again, "发展") == ids(searcher, "发展") == oracle.ids("发展")


def test_no_paragraph_is_missing_a_place_or_a_title(searcher):
    for doc in searcher.catalog().documents:
        assert doc.title and re.search(r"\S", doc.title)
