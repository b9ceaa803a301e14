"""The contract every engine keeps, written once and run on each engine with the same oracle.

Engines: the embedded index of the sample corpus, and a two-shard Sphinx cluster exported from it
(two real searchd processes on loopback ports). The oracle (`tests.oracle`) reads the corpus files
with the ingest code and scans; it never asks an index. Last, the engines are compared with each
other: identical `SearchResult`s on the sample corpus and, marked `lawtext`, on the lawtext corpus.
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest

from search import SearchRequest, build_index, normalize, open_index

from .conftest import LAWTEXT, SAMPLE, SAMPLE_MANIFEST
from .oracle import read_corpus
from .oracle_extra import CachedOracle, covered, pieces_with, positions, quoted_phrase, random_pieces
from .sphinx_cluster import require_sphinx, running_cluster, sample_cluster  # noqa: F401 - a fixture

ENGINES = ("embedded", "sphinxql")


@pytest.fixture(scope="module")
def oracle() -> CachedOracle:
    """The brute-force oracle over the sample corpus's files (filter decisions remembered per document)."""
    return CachedOracle(read_corpus([SAMPLE], SAMPLE_MANIFEST))


@pytest.fixture(scope="session", params=ENGINES)
def engine(request: pytest.FixtureRequest, sample_index: Path):
    """A Searcher over one engine of the sample corpus."""
    if request.param == "embedded":
        return open_index(sample_index)
    return open_index(request.getfixturevalue("sample_cluster").root)


def _check_set(engine, oracle, q: str, mode: str = "exact", filters: dict | None = None) -> None:  # noqa: ANN001
    expected = oracle.ids(q, mode, filters)
    request = SearchRequest.make(q=q, filters=filters, mode=mode)
    got = [h.id for h in engine.iter_hits(request)]
    assert len(got) == len(set(got)), q
    assert set(got) == expected, (q, mode, filters)
    result = engine.search(request)
    assert (result.total, result.documents) == oracle.totals(q, mode, filters), (q, mode, filters)


# -- exact phrases ----------------------------------------------------------------------------------------

def _phrase_samples(oracle) -> list[str]:  # noqa: ANN001
    pieces = random_pieces(oracle, 220, seed=2024)
    pieces += random_pieces(oracle, 40, seed=7, low=1, high=1)  # single characters
    pieces += pieces_with(oracle, lambda c: c.isascii() and not c.isalnum() and c != " ", 40, seed=3)  # punctuation
    pieces += pieces_with(oracle, str.isdigit, 25, seed=4)
    pieces += pieces_with(oracle, lambda c: "a" <= c <= "z", 25, seed=5)
    pieces += pieces_with(oracle, lambda c: c in "\"'", 25, seed=6)  # quotes (folded “ ” ‘ ’)
    pieces += pieces_with(oracle, lambda c: c == " ", 10, seed=8)  # the space kept between Latin/digits
    heads = [u.norm for u in oracle.units if u.para.kind in ("title", "heading", "front", "row")]
    rng = random.Random(9)
    pieces += rng.sample(heads, min(40, len(heads)))
    return list(dict.fromkeys(pieces))


def test_exact_phrases_find_what_a_scan_finds(engine, oracle):
    checked = 0
    samples = _phrase_samples(oracle)
    for piece in samples:
        q = quoted_phrase(piece)
        if q is None:
            continue
        _check_set(engine, oracle, q)
        checked += 1
    assert checked >= 0.9 * len(samples), f"only {checked} of {len(samples)} samples could be quoted"


@pytest.mark.parametrize("phrase", [
    "新质生产力", "3+2+4", "“转、育、引、聚”", "（一）", "1.", "%", "gdp", "a", "2024年", "各位代表：", "5g",
    "*", "\\", "$", "^", "near", "maybe", "-", "@", "|", "=", "/", "~", "<", "!",
])
def test_syntax_characters_are_text(engine, oracle, phrase):
    q = quoted_phrase(normalize(phrase))
    assert q is not None
    _check_set(engine, oracle, q)


def test_a_phrase_never_found_finds_nothing(engine):
    for q in ('"新质生产力不存在于此"', '"𠀀𪚥"', '"\U00030000"', '"ꙮꙮ"'):
        result = engine.search(SearchRequest(q=q))
        assert result.total == 0 and result.hits == [], q


# -- words mode, boolean queries ------------------------------------------------------------------------

def test_words_mode(engine, oracle):
    pieces = [p for p in random_pieces(oracle, 120, seed=31, low=2, high=8)
              if not (set(p) & set("\"'()-:!|& ，。、：；"))]
    assert len(pieces) > 60
    for piece in pieces:
        _check_set(engine, oracle, piece, mode="words")
    for q in ("养老服务", "新质生产力", "高质量发展", "营商环境 优化", '"养老服务" 社区'):
        _check_set(engine, oracle, q, mode="words")


BOOLEAN_WORDS = ("发展", "改革", "养老", "托育", "服务", "经济", "创新", "城市", "乡村", "2024", "gdp", "。", "：")


def _boolean_queries(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    shapes = (
        "{a} {b}", "{a} OR {b}", "{a} NOT {b}", "{a} -{b}", "-{a}", "NOT {a}", "-{a} -{b}", "({a} OR {b}) {c}",
        "({a} OR {b}) -{c}", "{a} OR -{b}", "-({a} OR {b})", "{a} AND ({b} OR -{c})", "({a} -{b}) OR ({c} -{a})",
        "{a} && {b} || {c}", "!{a}",
    )
    out = []
    for _ in range(count):
        a, b, c = rng.sample(BOOLEAN_WORDS, 3)
        out.append(rng.choice(shapes).format(a=a, b=b, c=c))
    return list(dict.fromkeys(out))


def test_boolean_queries(engine, oracle):
    for q in _boolean_queries(41, 60):
        _check_set(engine, oracle, q)
    for q in _boolean_queries(42, 15):
        _check_set(engine, oracle, q, mode="words")


# -- filters, facets, totals --------------------------------------------------------------------------

def _filter_cases(oracle) -> list[tuple[str, dict]]:  # noqa: ANN001
    docs = oracle.documents
    provinces = sorted({d.province for d in docs if d.province})
    cities = sorted({d.city for d in docs if d.city})
    levels = sorted({d.level for d in docs if d.level})
    tiers = sorted({d.tier for d in docs if d.tier})
    types = sorted({d.type for d in docs if d.type})
    counties = sorted({d.county for d in docs if d.county})
    cases: list[tuple[str, dict]] = []
    for q in ("", "发展", '"新质生产力"', "养老 OR 托育", "-发展", "创新 改革", "养老服务"):
        cases.append((q, {}))
        for p in provinces:
            cases.append((q, {"province": [p]}))
        cases.append((q, {"province": provinces[:2]}))
        cases.append((q, {"province": ["江苏"], "level": levels[:2]}))
        cases.append((q, {"province": ["火星"]}))
        cases += [(q, {"city": [c]}) for c in cities]
        cases += [(q, {"level": [lv]}) for lv in levels]
        cases += [(q, {"tier": [t]}) for t in tiers]
        cases += [(q, {"type": [t]}) for t in types]
        cases += [(q, {"county": [c]}) for c in counties]
        cases += [(q, {"year": ["2024"]}), (q, {"year": ["2010-2020"]}), (q, {"title": ["常州"]})]
    cases += [("发展 省:江苏", {}), ("发展 level:区", {}), ('发展 title:"常州"', {}), ("发展 year:2024", {}),
              ("养老 province:山东 type:政府工作报告", {})]
    return cases


def test_filters_totals_and_every_facet(engine, oracle):
    from search.fields import FACETS

    for q, filters in _filter_cases(oracle):
        mode = "words" if q == "养老服务" else "exact"
        request = SearchRequest.make(q=q, filters=filters, mode=mode)
        result = engine.search(request)
        assert (result.total, result.documents) == oracle.totals(q, mode, filters), (q, filters)
        for name in FACETS:
            got = {f.value: (f.count, f.documents) for f in result.facets[name] if f.count}
            assert got == oracle.facet(name, q, mode, filters), (q, filters, name)


# -- paging and orders ---------------------------------------------------------------------------------

@pytest.mark.parametrize("q, mode, filters", [
    ("", "exact", {}),  # every paragraph: more than Sphinx's default 1,000 matches
    ("发展", "exact", {}),
    ("。", "exact", {}),
    ("养老服务", "words", {}),
    ("创新 -改革", "exact", {"province": ["江苏"]}),
    ("-发展", "exact", {}),
    ('"2024年"', "exact", {"level": ["区", "县"]}),
])
@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
def test_every_page_to_the_end_is_the_oracle_order(engine, oracle, q, mode, filters, sort):
    expected = oracle.ordered(q, sort, mode, filters)
    per_page = 100 if len(expected) > 300 else 7
    got: list[str] = []
    page = 1
    while True:
        result = engine.search(SearchRequest.make(q=q, filters=filters, mode=mode, sort=sort, page=page, per_page=per_page))
        assert result.total == len(expected)
        if not result.hits:
            break
        got += [h.id for h in result.hits]
        page += 1
    assert got == expected
    assert page == max(1, -(-len(expected) // per_page)) + 1
    # the stream of every hit (exports) holds the same set
    stream = [h.id for h in engine.iter_hits(SearchRequest.make(
        q=q, filters=filters, mode=mode, sort=sort if sort != "relevance" else "newest"))]
    assert set(stream) == set(expected) and len(stream) == len(expected)


# -- highlights, documents, permalinks -----------------------------------------------------------------

def test_highlights_cover_exactly_the_occurrences(engine, oracle):
    for piece in _phrase_samples(oracle)[:150]:
        q = quoted_phrase(piece)
        if q is None:
            continue
        result = engine.search(SearchRequest(q=q, per_page=50))
        for hit in result.hits:
            assert positions(hit.spans) == covered(hit.text, [piece]), (piece, hit.text)
    for q, needles in (("养老 托育", ["养老", "托育"]), ("新质生产力 OR 营商环境", ["新质生产力", "营商环境"])):
        for hit in engine.search(SearchRequest(q=q, per_page=100)).hits:
            assert positions(hit.spans) == covered(hit.text, needles)


def test_documents_read_as_the_files_say(engine, oracle):
    for doc in oracle.documents:
        view = engine.document(doc.doc_id)
        assert view is not None
        got = [(p.id, p.ordinal, p.text, p.kind, p.level, tuple(p.section)) for p in view.document.paragraphs]
        want = [(p.id, p.ordinal, p.text, p.kind, p.level, tuple(p.section)) for p in sorted(doc.paragraphs, key=lambda p: p.ordinal)]
        assert got == want, doc.doc_id
        assert (view.document.title, view.document.province, view.document.year) == (doc.title, doc.province, doc.year)
    assert engine.document("no-such-document") is None


def test_document_with_a_query_marks_its_matches(engine, oracle):
    for q in ("发展", '"新质生产力"', "养老 OR 托育"):
        matching = oracle.ids(q)
        for doc in oracle.documents[::3]:
            view = engine.document(doc.doc_id, q=q)
            want = [p.id for p in sorted(doc.paragraphs, key=lambda p: p.ordinal) if p.id in matching]
            assert view.matches == want, (q, doc.doc_id)


def test_permalinks(engine, oracle):
    rng = random.Random(5)
    for unit in rng.sample(oracle.units, 200):
        hit = engine.paragraph(unit.para.id, q="发展")
        assert hit is not None, unit.para.id
        assert (hit.id, hit.doc_id, hit.text, hit.kind, hit.ordinal, tuple(hit.section)) == (
            unit.para.id, unit.doc.doc_id, unit.para.text, unit.para.kind, unit.para.ordinal, tuple(unit.para.section))
        assert positions(hit.spans) == covered(hit.text, ["发展"])
    for bad in ("nope", "x-12345678", oracle.units[0].doc.doc_id + "-zzzzzzzz", oracle.units[0].para.id + "-9"):
        assert engine.paragraph(bad) is None


# -- both engines, one answer ----------------------------------------------------------------------------

def _comparable(result):  # noqa: ANN001, ANN202
    return dataclasses.replace(result, elapsed_ms=0.0)


def _mixed_requests(pieces: list[str], provinces: list[str], seed: int, count: int) -> list[SearchRequest]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        kind = rng.randrange(6)
        piece = rng.choice(pieces)
        if kind == 0:
            q = quoted_phrase(piece) or piece
        elif kind == 1:
            q = piece
        elif kind == 2:
            q = f"{rng.choice(pieces)} OR {rng.choice(pieces)}"
        elif kind == 3:
            q = f"{piece} -{rng.choice(pieces)}"
        elif kind == 4:
            q = ""
        else:
            q = f"-{piece}"
        filters = {"province": [rng.choice(provinces)]} if provinces and rng.random() < 0.3 else {}
        out.append(SearchRequest.make(
            q=q, filters=filters, mode=rng.choice(("exact", "exact", "words")),
            sort=rng.choice(("relevance", "newest", "oldest")), page=rng.choice((1, 1, 2, 5, 40)),
            per_page=rng.choice((10, 20, 100)),
        ))
    return out


def _compare_engines(a, b, requests) -> int:  # noqa: ANN001
    for request in requests:
        assert _comparable(a.search(request)) == _comparable(b.search(request)), request
    return len(requests)


def test_both_engines_give_identical_results_on_the_sample(sample_index, sample_cluster, oracle):
    embedded, sphinx = open_index(sample_index), open_index(sample_cluster.root)
    pieces = [p for p in random_pieces(oracle, 300, seed=77, low=1, high=8) if " " not in p]
    provinces = sorted({d.province for d in oracle.documents if d.province})
    assert _compare_engines(embedded, sphinx, _mixed_requests(pieces, provinces, seed=78, count=300)) == 300
    for request in _mixed_requests(pieces, provinces, seed=79, count=30):
        assert embedded.reports(request).reports == sphinx.reports(request).reports
    assert embedded.stats()["paragraphs"] == sphinx.stats()["paragraphs"]


# -- lawtext ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def lawtext_index(tmp_path_factory: pytest.TempPathFactory, signing_key: Path) -> Path:
    """The embedded index of the lawtext corpus, built once per session."""
    if not LAWTEXT.is_dir():
        pytest.skip(f"lawtext 语料不在 {LAWTEXT}")
    folder = tmp_path_factory.mktemp("lawtext-index")
    summary = build_index([LAWTEXT], folder, progress=False)
    assert summary.documents > 1000
    return folder


@pytest.fixture(scope="session")
def lawtext_cluster(lawtext_index: Path, tmp_path_factory: pytest.TempPathFactory):
    """The lawtext index exported to a two-shard cluster."""
    require_sphinx()
    with running_cluster(lawtext_index, tmp_path_factory.mktemp("sphinx-lawtext") / "deploy") as running:
        yield running


@pytest.mark.lawtext
def test_both_engines_give_identical_results_on_lawtext(lawtext_index, lawtext_cluster):
    embedded, sphinx = open_index(lawtext_index), open_index(lawtext_cluster.root)
    catalog = embedded.catalog()
    rng = random.Random(2026)
    pieces: list[str] = []
    for code in rng.sample(range(len(catalog.documents)), 60):
        view = embedded.document(catalog.documents[code].doc_id)
        for para in rng.sample(view.document.paragraphs, min(5, len(view.document.paragraphs))):
            norm = normalize(para.text)
            if not norm:
                continue
            size = rng.randint(1, 10)
            start = rng.randrange(0, max(1, len(norm) - size + 1))
            piece = norm[start:start + size].strip(" ")
            if piece and " " not in piece:
                pieces.append(piece)
    provinces = catalog.values["province"]
    requests = _mixed_requests(pieces, provinces, seed=2027, count=300)
    assert _compare_engines(embedded, sphinx, requests) == 300
    # deep pages past Sphinx's default 1,000 matches, and facets with more than 20 values
    for q in ("发展", "", "。"):
        for page in (1, 60, 500):
            request = SearchRequest(q=q, page=page, per_page=100, sort="oldest")
            assert _comparable(embedded.search(request)) == _comparable(sphinx.search(request))
    assert len(embedded.search(SearchRequest(q="发展")).facets["province"]) > 20


def test_research_views_and_text_reuse_answer_the_same_on_both_engines(sample_index, sample_cluster, oracle):
    """The views and the reuse pages read only the service API and the side data shipped with the export."""
    from search import views
    from search.reuse import views as reuse

    embedded, sphinx = open_index(sample_index), open_index(sample_cluster.root)
    assert sphinx.backend.side_path("reuse") is not None and sphinx.backend.side_path("seen") is not None
    request = SearchRequest(q="发展")
    for name, call in (
        ("trend", lambda s: views.trend(s, request)),
        ("first", lambda s: views.first(s, request)),
        ("kwic", lambda s: views.concordance(s, request)),
        ("compare", lambda s: views.compare(s, ["发展", "新质生产力"], request)),
        ("feed", lambda s: views.feed(s, request)),
        ("reuse pairs", lambda s: reuse.top_pairs(s)),
    ):
        assert call(embedded) == call(sphinx), name
    ids = [p.para.id for p in oracle.units[::37]]
    assert reuse.reuse_counts(embedded, ids) == reuse.reuse_counts(sphinx, ids)
    for doc in oracle.documents[:6]:
        assert reuse.doc_reuse(embedded, doc.doc_id) == reuse.doc_reuse(sphinx, doc.doc_id)
