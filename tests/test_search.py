"""Searching the sample corpus: the exact-phrase promise against a brute-force scan, and the rest."""

from __future__ import annotations

import random

import pytest

from search import SearchRequest, build_index, normalize, open_index
from search.searcher import InvalidRequest

from .conftest import SAMPLE, SAMPLE_MANIFEST


@pytest.fixture(scope="module")
def paragraphs(searcher):
    """Every paragraph of the index (id, normalized text), read through the public API."""
    out = []
    for doc_id in sorted({h.doc_id for h in searcher.iter_hits(SearchRequest(q=""))}):  # same sample every run
        doc = searcher.document(doc_id)
        out.extend((p.id, normalize(p.text)) for p in doc.paragraphs)
    return out


def _all_ids(searcher, q: str, **kw) -> set[str]:
    return {h.id for h in searcher.iter_hits(SearchRequest(q=q, **kw))}


def _random_substrings(paragraphs, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < count:
        _, text = rng.choice(paragraphs)
        if len(text) < 2:
            continue
        length = rng.randint(2, 12)
        start = rng.randrange(0, max(1, len(text) - length + 1))
        piece = text[start : start + length].strip(" ")
        # A quote inside the phrase would end it: the query syntax has no escape for quotes.
        if len(piece) >= 2 and not any(q in piece for q in '"“”'):
            out.append(piece)
    return out


def test_quoted_phrase_finds_exactly_the_paragraphs_a_scan_finds(searcher, paragraphs):
    for piece in _random_substrings(paragraphs, 300, seed=2024):
        expected = {pid for pid, text in paragraphs if piece in text}
        got = _all_ids(searcher, f'"{piece}"')
        assert got == expected, piece
        assert searcher.search(SearchRequest(q=f'"{piece}"')).total == len(expected)


def test_unquoted_text_finds_at_least_what_a_scan_finds(searcher, paragraphs):
    for piece in _random_substrings(paragraphs, 150, seed=7):
        if " " in piece or piece.startswith("-") or any(c in piece for c in "():"):
            continue  # unquoted, these are query syntax: "-这一年" excludes 这一年, "province:…" filters
        expected = {pid for pid, text in paragraphs if piece in text}
        assert expected <= _all_ids(searcher, piece), piece


@pytest.mark.parametrize("phrase", ["新质生产力", "15分钟养老服务圈", "质量发展", "750亿", "高质量发展"])
def test_known_phrases(searcher, paragraphs, phrase):
    expected = {pid for pid, text in paragraphs if phrase in text}
    assert expected, f"the sample corpus should contain {phrase}"
    assert _all_ids(searcher, f'"{phrase}"') == expected
    result = searcher.search(SearchRequest(q=f'"{phrase}"'))
    for hit in result.hits:
        assert f"<mark>{phrase}</mark>" in hit.highlight.replace(" ", "") or phrase in normalize(hit.text)


def test_highlight_marks_the_phrase_whole(searcher):
    result = searcher.search(SearchRequest(q='"新质生产力"'))
    assert result.hits
    for hit in result.hits:
        assert "<mark>新质生产力</mark>" in hit.highlight
        assert "<mark>新</mark>" not in hit.highlight


def test_traditional_query_finds_simplified_text(searcher):
    assert _all_ids(searcher, '"高質量發展"') == _all_ids(searcher, '"高质量发展"') != set()


def test_whitespace_in_query_next_to_chinese_is_ignored(searcher):
    assert _all_ids(searcher, '"高质量 发展"') == _all_ids(searcher, '"高质量发展"')


def test_space_separated_terms_are_anded(searcher, paragraphs):
    expected = {pid for pid, t in paragraphs if "养老" in t and "托育" in t}
    assert _all_ids(searcher, "养老 托育") == expected


def test_boolean_operators(searcher, paragraphs):
    has = lambda w: {pid for pid, t in paragraphs if w in t}  # noqa: E731
    assert _all_ids(searcher, "养老 OR 托育") == has("养老") | has("托育")
    assert _all_ids(searcher, "养老 NOT 托育") == has("养老") - has("托育")
    assert _all_ids(searcher, "养老 -托育") == has("养老") - has("托育")
    assert _all_ids(searcher, "(养老 OR 托育) AND 服务") == (has("养老") | has("托育")) & has("服务")


def test_field_filters(searcher):
    jiangsu = searcher.search(SearchRequest(q="发展 province:江苏"))
    assert jiangsu.total and all(h.province == "江苏省" for h in jiangsu.hits)
    district = searcher.search(SearchRequest(q="发展 level:区", per_page=100))
    assert district.total and all(h.level == "区" for h in district.hits)
    assert searcher.search(SearchRequest(q="发展 year:2024")).total == searcher.search(SearchRequest(q="发展")).total
    assert searcher.search(SearchRequest(q="发展 year:2010-2020")).total == 0
    titled = searcher.search(SearchRequest(q='发展 title:"常州"', per_page=100))
    assert titled.total and all("常州" in h.title for h in titled.hits)


def test_facets_count_under_the_other_filters(searcher):
    base = searcher.search(SearchRequest(q="养老"))
    provinces = {f.value: f.count for f in base.facets["province"]}
    assert sum(provinces.values()) <= base.total
    value, count = max(provinces.items(), key=lambda kv: kv[1])
    narrowed = searcher.search(SearchRequest(q="养老", filters={"province": (value,)}))
    assert narrowed.total == count
    # The province facet still lists the other provinces, so a second one can be added (OR).
    assert {f.value for f in narrowed.facets["province"]} == set(provinces)
    assert [f.value for f in narrowed.facets["province"] if f.selected] == [value]
    levels = {f.value: f.count for f in narrowed.facets["level"]}
    assert sum(levels.values()) == narrowed.total


def test_unknown_facet_value_and_bad_paging_are_invalid(searcher):
    with pytest.raises(InvalidRequest):
        searcher.search(SearchRequest(q="发展", filters={"province": ("火星省",)}))
    with pytest.raises(InvalidRequest):
        searcher.search(SearchRequest(q="发展", page=0))
    with pytest.raises(InvalidRequest):
        searcher.search(SearchRequest(q="发展", per_page=1000))


def test_paging_and_sorting(searcher):
    first = searcher.search(SearchRequest(q="发展", per_page=10))
    second = searcher.search(SearchRequest(q="发展", per_page=10, page=2))
    assert first.total == second.total > 20
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}
    beyond = searcher.search(SearchRequest(q="发展", page=10_000))
    assert beyond.hits == [] and beyond.total == first.total
    for sort in ("newest", "oldest"):
        assert searcher.search(SearchRequest(q="发展", sort=sort)).total == first.total


def test_hit_fields(searcher):
    hit = searcher.search(SearchRequest(q='"新质生产力"')).hits[0]
    for name in ("id", "doc_id", "title", "province", "level", "year", "type", "source", "text", "highlight", "url"):
        assert getattr(hit, name), name
    assert hit.url == f"/p/{hit.id}"
    assert searcher.paragraph(hit.id).text == hit.text
    doc = searcher.document(hit.doc_id)
    assert hit.id in {p.id for p in doc.paragraphs}


def test_sections_are_recorded(searcher):
    hits = searcher.search(SearchRequest(q='"新质生产力"', per_page=50)).hits
    assert any("›" in h.section or h.section for h in hits)


@pytest.mark.parametrize(
    "q",
    ['"', '"""', "(", ")", "AND", "OR OR", "NOT", "-", "--", ":", "province:", "year:abc", "a" * 10_000,
     "<script>alert(1)</script>", "'; DROP TABLE paragraphs; --", "发展 AND", "(发展 OR", "\x00", "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace")],
)
def test_any_input_gives_results_or_a_message(searcher, q):
    result = searcher.search(SearchRequest(q=q))
    assert result.total >= 0
    for hit in result.hits:
        assert "<script>" not in hit.highlight


def test_ids_survive_a_rebuild(tmp_path, searcher):
    other = tmp_path / "again"
    build_index([SAMPLE], other, manifest=SAMPLE_MANIFEST if SAMPLE_MANIFEST.exists() else None, progress=False)
    again = open_index(other)
    a = searcher.search(SearchRequest(q='"新质生产力"', per_page=100))
    b = again.search(SearchRequest(q='"新质生产力"', per_page=100))
    assert [h.id for h in a.hits] == [h.id for h in b.hits]
    assert [h.doc_id for h in a.hits] == [h.doc_id for h in b.hits]


def test_property_a_quoted_piece_of_any_paragraph_finds_it(searcher, paragraphs):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=150, deadline=None)
    @given(st.data())
    def check(data):
        pid, text = data.draw(st.sampled_from([p for p in paragraphs if len(p[1]) >= 2]))
        start = data.draw(st.integers(0, len(text) - 2))
        end = data.draw(st.integers(start + 1, min(len(text), start + 40)))
        piece = text[start:end].strip(" ")
        if not piece or any(q in piece for q in '"“”'):
            return
        assert pid in _all_ids(searcher, f'"{piece}"')

    check()


def test_a_repeated_request_is_answered_from_the_cache_as_it_was_computed(searcher):
    first = SearchRequest(q="养老 服务", filters={"province": ("江苏省", "浙江省")}, per_page=5)
    again = SearchRequest(q="养老 服务", filters={"province": ("浙江省", "江苏省")}, per_page=5)  # OR: same answer
    computed = searcher.search(first)
    cached = searcher.search(again)
    assert cached.request is again and cached.total == computed.total
    assert [h.id for h in cached.hits] == [h.id for h in computed.hits]
    assert cached.facets == computed.facets
    other_page = searcher.search(SearchRequest(q="养老 服务", filters={"province": ("江苏省", "浙江省")}, per_page=5, page=2))
    assert not {h.id for h in other_page.hits} & {h.id for h in computed.hits}
    with pytest.raises(InvalidRequest):  # an invalid request is refused every time, never cached
        searcher.search(SearchRequest(q="养老 服务", filters={"province": ("火星",)}))
    with pytest.raises(InvalidRequest):
        searcher.search(SearchRequest(q="养老 服务", filters={"province": ("火星",)}))
