"""Research views (search.views) against answers computed from the raw files (tests/oracle.py).

Two indexes of the sample corpus: the sample as shipped (every report of 2024) and the same files
with a manifest that spreads the named reports over 2019–2024 (2021 and 2023 left without any
report, a dated and an undated report in 2022), so year ranges, coverage gaps and "earliest" are
exercised. Expected answers never come from a searcher: the oracle reads the files with the ingest
code and scans normalized paragraphs.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from search import SearchRequest, build_index, open_index, views
from search.analysis import segment
from search.catalog import parse_year_range
from search.normalize import normalize, normalize_with_offsets
from search.query import parse_query

from .conftest import SAMPLE
from .oracle import Oracle, _source_key, read_corpus

YEARS_MANIFEST = """file,title,year,date,type,province,city,county,level,tier
2024年常州市政府工作报告.txt,常州市政府工作报告,2022,,政府工作报告,江苏省,常州市,,市,地级
2024年溧阳市政府工作报告.txt,溧阳市政府工作报告,2022,2022-01-04,政府工作报告,江苏省,常州市,溧阳市,市,县级
2024年溧阳市发展回顾（新闻）.txt,溧阳市发展回顾,2020,2020-03-01,新闻,江苏省,常州市,溧阳市,市,县级
溧阳市委书记署名文章（评论）.txt,溧阳署名文章,2019,,评论,江苏省,常州市,溧阳市,市,县级
"""
QUERIES = [
    ("新质生产力", "exact"), ("高质量发展", "exact"), ("低空经济", "exact"), ("河长制", "exact"),
    ("养老服务", "words"), ("科技创新 -人工智能", "exact"), ("数字经济 OR 平台经济", "exact"), ('"乡村振兴"', "words"),
]
FILTERS = [{}, {"province": ["江苏"]}, {"year": ["2020-2024"]}, {"type": ["政府工作报告"]}, {"level": ["市", "县"]}]


def build_years_index(folder: Path) -> tuple[Path, Path]:
    """Index the sample corpus with a manifest spreading its named reports over 2019–2024."""
    manifest = folder / "manifest.csv"
    manifest.write_text(YEARS_MANIFEST, encoding="utf-8")
    index = folder / "index"
    summary = build_index([SAMPLE], index, manifest=manifest, progress=False)
    assert summary.documents == 30, summary
    return index, manifest


@pytest.fixture(scope="module")
def years_corpus(tmp_path_factory) -> tuple[Path, Path]:
    """The sample corpus with a manifest spreading its named reports over several years."""
    return build_years_index(tmp_path_factory.mktemp("views-years"))


@pytest.fixture(scope="module")
def years_searcher(years_corpus):
    return open_index(years_corpus[0])


@pytest.fixture(scope="module")
def years_oracle(years_corpus):
    return Oracle(read_corpus([SAMPLE], years_corpus[1]))


def _both(searcher, oracle, years_searcher, years_oracle):
    return [(searcher, oracle), (years_searcher, years_oracle)]


# -- oracle helpers: everything from the documents' own fields -----------------------------------------
def _allowed(oracle: Oracle, filters: dict) -> list:
    return [d for d in oracle.documents if oracle._doc_ok(d, filters)]


def _mentions(oracle: Oracle, q: str, mode: str, filters: dict) -> Counter:
    """doc id → matching paragraphs."""
    return Counter(u.doc.doc_id for u in oracle.matches(q, mode, filters))


def _group_key(doc, by: str) -> str:
    return str(getattr(doc, by) or "")


def _random_phrases(oracle: Oracle, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = [u.norm for u in oracle.units if len(u.norm) > 8 and u.para.kind == "paragraph"]
    out = []
    while len(out) < count:
        text = rng.choice(texts)
        n = rng.randint(2, 6)
        start = rng.randrange(0, len(text) - n)
        piece = text[start:start + n]
        if piece.isalnum():  # no quotes, spaces or operators: a phrase as typed
            out.append(piece)
    return out


# -- trend -----------------------------------------------------------------------------------------------
def expected_trend(oracle: Oracle, q: str, mode: str, filters: dict, by: str) -> dict:
    """{(group value, year or ("earlier", low, high) or "unknown"): (mentions, indexed, paragraphs)} and the year range."""
    allowed = _allowed(oracle, filters)
    counts = _mentions(oracle, q, mode, filters)
    years = [d.year for d in allowed if d.year]
    said = [d.year for d in allowed if d.year and counts[d.doc_id]]
    start = min(said) if said else min(years)
    end = max(years)
    if filters.get("year"):  # the filter's own range, open ends bounded by the years indexed
        every = [d.year for d in oracle.documents if d.year]
        bounds = [parse_year_range(v) for v in filters["year"]]
        lows, highs = [lo for lo, _ in bounds], [hi for _, hi in bounds]
        start = max(min(every), min(years) if None in lows else min(lows))
        end = min(max(every), max(years) if None in highs else max(highs))
    cells: dict = defaultdict(lambda: [0, 0, 0])
    for d in allowed:
        if not d.year:
            column = "unknown"
        elif d.year < start:
            column = ("earlier", min(years), start - 1)
        else:
            column = d.year
        cell = cells[(_group_key(d, by), column)]
        cell[1] += 1
        cell[0] += counts[d.doc_id] > 0
        cell[2] += counts[d.doc_id]
    return {"cells": {k: tuple(v) for k, v in cells.items()}, "start": start, "end": end}


def _column_key(col: views.Column):
    if col.kind == "year":
        return col.year
    if col.kind == "earlier":
        return ("earlier", col.low, col.high)
    return col.kind


def _check_trend(searcher, oracle, q, mode, filters, by):
    t = views.trend(searcher, SearchRequest.make(q, filters, mode=mode), by=by)
    want = expected_trend(oracle, q, mode, filters, by)
    years = [c.year for c in t.columns if c.kind == "year"]
    assert years == list(range(want["start"], want["end"] + 1)), (q, filters, "every year of the range, in order")
    got = {}
    for row in t.rows:
        for col, cell in zip(t.columns, row.cells):
            if cell.indexed:
                got[(row.group.value, _column_key(col))] = (cell.mentions, cell.indexed, cell.paragraphs)
            else:
                assert cell.mentions == 0 and cell.share is None  # no coverage: never a share of 0
    assert got == want["cells"], (q, mode, filters, by)
    # totals add up, row totals and column totals alike
    assert t.total.mentions == sum(1 for c in _mentions(oracle, q, mode, filters).values() if c)
    assert t.total.indexed == len(_allowed(oracle, filters))
    for row in t.rows:
        assert row.total.mentions == sum(c.mentions for c in row.cells)
        assert row.total.indexed == sum(c.indexed for c in row.cells)
    for k, total in enumerate(t.totals):
        assert total.mentions == sum(row.cells[k].mentions for row in t.rows)
        assert total.paragraphs == sum(row.cells[k].paragraphs for row in t.rows)
    return t


@pytest.mark.parametrize("by", views.BYS)
def test_trend_cells_are_reports_mentioning_over_reports_indexed(searcher, oracle, years_searcher, years_oracle, by):
    for s, o in _both(searcher, oracle, years_searcher, years_oracle):
        for q, mode in QUERIES:
            for filters in FILTERS:
                if not _allowed(o, filters):
                    continue
                _check_trend(s, o, q, mode, filters, by)


def test_trend_on_random_phrases(years_searcher, years_oracle):
    for q in _random_phrases(years_oracle, 40, seed=11):
        _check_trend(years_searcher, years_oracle, q, "exact", {}, "province")


def test_trend_shows_years_without_reports_as_gaps(years_searcher):
    t = views.trend(years_searcher, SearchRequest(q="发展"), by="city", span="all")
    labels = [c.label for c in t.columns]
    assert labels == ["2019", "2020", "2021", "2022", "2023", "2024"]
    gap = labels.index("2021")
    assert all(row.cells[gap].indexed == 0 and row.cells[gap].share is None for row in t.rows)
    assert t.totals[gap].indexed == 0


def test_trend_year_filter_sets_the_range(years_searcher):
    # 2018 is before every report of the index: the range starts at 2019, and 2021 (no report) is shown
    t = views.trend(years_searcher, SearchRequest.make("发展", {"year": "2018-2021"}), by="province")
    assert [c.label for c in t.columns] == ["2019", "2020", "2021"]
    assert [c.indexed for c in t.totals] == [1, 1, 0]


def test_trend_several_year_filters_show_only_their_years(years_searcher):
    # 2020 and 2021 lie between the two chosen years: filtered out, not missing from the index
    t = views.trend(years_searcher, SearchRequest.make("发展", {"year": ["2019", "2022-2023"]}), by="province")
    assert [c.label for c in t.columns] == ["2019", "2022", "2023"]
    assert [c.indexed for c in t.totals] == [1, 2, 0]  # 2023 was chosen and has no report: a real gap
    assert t.total.indexed == sum(c.indexed for c in t.totals)


def test_trend_earlier_years_are_one_column(years_searcher, years_oracle):
    # 河长制 is said only in 2024 reports: 2019–2023 are one column of reports that do not say it
    said = {u.doc.year for u in years_oracle.matches("河长制")}
    assert said == {2024}
    t = views.trend(years_searcher, SearchRequest(q="河长制"), by="province")
    first = t.columns[0]
    assert (first.kind, first.low, first.high, first.filter) == ("earlier", 2019, 2023, "2019-2023")
    assert [c.label for c in t.columns[1:]] == ["2024"]
    assert t.totals[0].mentions == 0 and t.totals[0].indexed == 4
    t = views.trend(years_searcher, SearchRequest(q="河长制"), by="province", span="all")
    assert [c.label for c in t.columns] == ["2019", "2020", "2021", "2022", "2023", "2024"]


def test_trend_national_row_links_by_tier(searcher):
    t = views.trend(searcher, SearchRequest(q="发展"), by="city")
    none = [row for row in t.rows if not row.group.value]
    assert len(none) == 1 and none[0].group.filters == ()  # reports without a city: no filter selects them


# -- first appearance ------------------------------------------------------------------------------------
def _oldest_key(doc):
    return (not doc.year, doc.year or 0, not doc.date, doc.date or "", _source_key(doc.source), doc.doc_id)


def expected_first(oracle: Oracle, q: str, mode: str, filters: dict, by: str) -> dict:
    counts = _mentions(oracle, q, mode, filters)
    docs = sorted((d for d in _allowed(oracle, filters) if counts[d.doc_id]), key=_oldest_key)
    out: dict = {}
    for d in docs:
        key = _group_key(d, by)
        if by == "city" and not key:
            continue
        if key in out:
            continue
        same = sum(1 for e in docs if _group_key(e, by) == key and e.year == d.year and e is not d) if d.year else 0
        units = [u for u in oracle.matches(q, mode, filters) if u.doc.doc_id == d.doc_id]
        first_para = min(units, key=lambda u: u.para.ordinal).para.id
        precision = "date" if d.date and d.year else "year" if d.year else "none"
        reports = sum(1 for e in docs if _group_key(e, by) == key)
        out[key] = (d.doc_id, first_para, precision, same, reports)
    return out


def _check_first(searcher, oracle, q, mode, filters, by):
    fa = views.first(searcher, SearchRequest.make(q, filters, mode=mode), by=by)
    want = expected_first(oracle, q, mode, filters, by)
    got = {
        f.group.value: (f.document.doc_id, f.hit.id if f.hit else None, f.precision, f.same_year, f.reports)
        for f in fa.firsts
    }
    assert got == want, (q, mode, filters, by)
    # ordered by date: the oldest order of the first reports
    assert [f.document.doc_id for f in fa.firsts] == [
        d.doc_id for d in sorted((f.document for f in fa.firsts), key=_oldest_key)
    ]
    # the spread: places (with a value) cumulated by the year of their first report, every year listed
    dated = sorted(f.year for f in fa.firsts if f.counted and f.year)
    if dated:
        years = [p.year for p in fa.spread]
        assert years == list(range(dated[0], years[-1] + 1))
        for p in fa.spread:
            assert p.total == sum(1 for y in dated if y <= p.year)
            assert len(p.new) == sum(1 for y in dated if y == p.year)
    else:
        assert fa.spread == []
    # places indexed but silent
    allowed_groups = {_group_key(d, by) for d in _allowed(oracle, filters)} - {""}
    assert {g.value for g in fa.silent} == allowed_groups - set(want)
    assert fa.places == len(allowed_groups)
    for f in fa.firsts:
        assert f.hit is not None and f.hit.spans, "the paragraph carries the ranges to mark"
    return fa


@pytest.mark.parametrize("by", ["province", "city"])
def test_first_use_is_the_earliest_report_of_each_place(searcher, oracle, years_searcher, years_oracle, by):
    for s, o in _both(searcher, oracle, years_searcher, years_oracle):
        for q, mode in QUERIES:
            for filters in FILTERS:
                if _allowed(o, filters):
                    _check_first(s, o, q, mode, filters, by)


def test_first_use_on_random_phrases(years_searcher, years_oracle):
    for q in _random_phrases(years_oracle, 40, seed=5):
        _check_first(years_searcher, years_oracle, q, "exact", {}, "city")


def test_first_use_prefers_a_dated_report_and_says_which(years_searcher):
    # 常州 has 常州市政府工作报告 (2022, no date) and 溧阳市政府工作报告 (2022-01-04): the dated one is "first"
    fa = views.first(years_searcher, SearchRequest.make("发展", {"year": "2022"}), by="city")
    (use,) = fa.firsts
    assert use.document.title == "溧阳市政府工作报告" and use.precision == "date" and use.same_year == 1
    fa = views.first(years_searcher, SearchRequest.make("发展", {"year": "2019"}), by="city")
    assert fa.firsts[0].precision == "year" and fa.firsts[0].date == ""


# -- concordance -----------------------------------------------------------------------------------------
def oracle_needles(q: str, mode: str) -> list[str]:
    parsed = parse_query(q)
    out = []
    for term in parsed.positive:
        out.append(term.text)
        if mode == "words" and not term.quoted:
            out.extend(w for w in term.words if len(w) > 1 or len(term.text) == 1)
    return [n for n in out if n]


def _ranges(norm: str, needles: list[str]) -> list[tuple[int, int]]:
    found = sorted(
        (i, i + len(n)) for n in needles for i in range(len(norm) - len(n) + 1) if norm.startswith(n, i)
    )
    merged: list[list[int]] = []
    for s, e in found:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


def expected_lines(oracle: Oracle, q: str, mode: str, filters: dict, width: int) -> list[dict]:
    """Every occurrence in the oldest order, with contexts and neighbours computed from the paragraph."""
    needles = oracle_needles(q, mode)
    units = oracle.matches(q, mode, filters)
    rank = {d.doc_id: i for i, d in enumerate(sorted(oracle.documents, key=_oldest_key))}
    units.sort(key=lambda u: (rank[u.doc.doc_id], u.para.ordinal))
    out = []
    for u in units:
        text = u.para.text
        norm, origin = normalize_with_offsets(text)
        assert norm == u.norm
        for ns, ne in _ranges(norm, needles):
            s, e = origin[ns], origin[ne - 1] + 1
            out.append({
                "id": u.para.id, "left": text[max(0, s - width):s], "match": text[s:e], "right": text[e:e + width],
                "norm": norm, "ns": ns, "ne": ne,
            })
    return out


def _word_neighbours(norm: str, ns: int, ne: int) -> tuple[str | None, str | None]:
    j = ns
    while j > max(0, ns - 40) and norm[j - 1].isalnum():
        j -= 1
    k = ne
    while k < min(len(norm), ne + 40) and norm[k].isalnum():
        k += 1
    left, right = segment(norm[j:ns]), segment(norm[ne:k])
    return (left[-1] if left else None), (right[0] if right else None)


def _char_neighbours(norm: str, ns: int, ne: int, n: int) -> tuple[str | None, str | None]:
    left = norm[ns - n:ns] if ns >= n else ""
    right = norm[ne:ne + n]
    ok = lambda s: len(s) == n and all(c.isalnum() for c in s)  # noqa: E731
    return (left if ok(left) else None), (right if ok(right) else None)


def neighbours(line: dict, unit: str) -> tuple[str | None, str | None]:
    if unit == "word":
        return _word_neighbours(line["norm"], line["ns"], line["ne"])
    return _char_neighbours(line["norm"], line["ns"], line["ne"], int(unit))


def _top(values: list, limit: int = 20) -> list[tuple[str, int]]:
    counts = Counter(v for v in values if v is not None)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def _check_kwic(searcher, oracle, q, mode, filters, width=20, unit="word"):
    request = SearchRequest.make(q, filters, mode=mode)
    want = expected_lines(oracle, q, mode, filters, width)
    got = list(views.iter_lines(searcher, request, width=width))
    assert [(x.paragraph_id, x.left, x.match, x.right) for x in got] == [
        (w["id"], w["left"], w["match"], w["right"]) for w in want
    ], (q, mode, filters)
    c = views.concordance(searcher, request, width=width, unit=unit, per_page=10)
    assert c.total == c.occurrences == len(want)
    assert c.paragraphs == len({w["id"] for w in want})
    assert c.reports == len({w["id"].partition("-")[0] for w in want})
    pairs = [neighbours(w, unit) for w in want]
    assert [(x.text, x.count) for x in c.left_collocates] == _top([p[0] for p in pairs])
    assert [(x.text, x.count) for x in c.right_collocates] == _top([p[1] for p in pairs])
    return want, pairs


@pytest.mark.parametrize("unit", views.UNITS)
def test_concordance_lists_every_occurrence_and_its_neighbours(searcher, oracle, years_searcher, years_oracle, unit):
    for s, o in _both(searcher, oracle, years_searcher, years_oracle):
        for q, mode in QUERIES:
            for filters in FILTERS[:3]:
                if _allowed(o, filters):
                    _check_kwic(s, o, q, mode, filters, unit=unit)


def test_concordance_from_engine_normalized_texts(searcher, oracle, monkeypatch):
    """An engine offering normalized texts (Backend.norm_texts) gives the same lines and neighbours."""
    backend = searcher.backend
    calls = []

    def norm_texts(rows):
        calls.append(len(rows))
        return [(u.doc, normalize(u.text)) for u in backend.fetch(rows)]

    monkeypatch.setattr(backend, "norm_texts", norm_texts, raising=False)
    views.clear_caches()
    try:
        for q, mode in QUERIES[:4]:
            _check_kwic(searcher, oracle, q, mode, {}, unit="word")
            _check_kwic(searcher, oracle, q, mode, {"province": ["江苏"]}, width=13, unit="3")
    finally:
        views.clear_caches()
    assert calls


def test_concordance_on_random_phrases(searcher, oracle):
    for q in _random_phrases(oracle, 40, seed=3):
        _check_kwic(searcher, oracle, q, "exact", {}, width=10, unit="2")


@pytest.mark.parametrize("width", [10, 17, 40])
def test_concordance_width_cuts_the_context(searcher, oracle, width):
    want = expected_lines(oracle, "高质量发展", "exact", {}, width)
    c = views.concordance(searcher, SearchRequest(q="高质量发展"), width=width, per_page=len(want))
    assert [(x.left, x.right) for x in c.lines] == [(w["left"], w["right"]) for w in want]
    assert max(len(x.left) for x in c.lines) == width
    for x in c.lines:
        text = oracle.by_id[x.paragraph_id].para.text
        assert x.left_cut == (x.start > width) and x.right_cut == (x.end + width < len(text))


def test_concordance_counts_occurrences_not_paragraphs(searcher, oracle):
    want = expected_lines(oracle, "发展", "exact", {}, 20)
    c = views.concordance(searcher, SearchRequest(q="发展"))
    assert c.total == len(want) > c.paragraphs == len({w["id"] for w in want})


@pytest.mark.parametrize("side", ["left", "right"])
def test_concordance_sorts_by_context(searcher, oracle, side):
    want = expected_lines(oracle, "高质量发展", "exact", {}, 20)
    c = views.concordance(searcher, SearchRequest(q="高质量发展"), sort=side, per_page=len(want))
    keys = []
    for x in c.lines:
        w = next(w for w in want if w["id"] == x.paragraph_id and w["match"] == x.match and w["left"] == x.left
                 and w["right"] == x.right)
        keys.append(w["norm"][max(0, w["ns"] - 40):w["ns"]][::-1] if side == "left" else w["norm"][w["ne"]:w["ne"] + 40])
    assert keys == sorted(keys) and len(keys) == len(want)
    assert sorted((x.paragraph_id, x.start) for x in c.lines) == sorted(
        (x.paragraph_id, x.start) for x in views.iter_lines(searcher, SearchRequest(q="高质量发展"))
    )


@pytest.mark.parametrize("unit", ["word", "2"])
def test_narrowing_keeps_the_lines_with_that_neighbour(searcher, oracle, unit):
    want = expected_lines(oracle, "高质量发展", "exact", {}, 20)
    pairs = [neighbours(w, unit) for w in want]
    c = views.concordance(searcher, SearchRequest(q="高质量发展"), unit=unit)
    for collocate in c.left_collocates[:5]:
        narrowed = views.concordance(searcher, SearchRequest(q="高质量发展"), unit=unit, left=collocate.text, per_page=500)
        assert narrowed.total == collocate.count == sum(1 for p in pairs if p[0] == collocate.text)
        assert narrowed.occurrences == len(want)
    for collocate in c.right_collocates[:5]:
        narrowed = views.concordance(searcher, SearchRequest(q="高质量发展"), unit=unit, right=collocate.text, per_page=500)
        assert narrowed.total == collocate.count
        assert all(normalize(x.right).startswith(collocate.text) for x in narrowed.lines)


def test_a_huge_selection_is_capped_to_its_newest_paragraphs(years_searcher, years_oracle, monkeypatch):
    searcher, oracle = years_searcher, years_oracle  # reports of several years: newest ≠ oldest
    from search.views import kwic

    monkeypatch.setattr(kwic, "MAX_PARAGRAPHS", 20)
    views.clear_caches()
    try:
        c = views.concordance(searcher, SearchRequest(q="发展"), per_page=1000)
        newest = oracle.ordered("发展", "newest")[:20]
        assert c.capped and c.matched == len(oracle.ids("发展")) > 20
        assert {x.paragraph_id for x in c.lines} == set(newest) and c.paragraphs == 20
        assert set(newest) != set(oracle.ordered("发展", "oldest")[:20])
        want = [w for w in expected_lines(oracle, "发展", "exact", {}, 20) if w["id"] in set(newest)]
        assert [(x.paragraph_id, x.left, x.match, x.right) for x in c.lines] == [
            (w["id"], w["left"], w["match"], w["right"]) for w in want
        ]
        # exports are not capped
        assert len(list(views.iter_lines(searcher, SearchRequest(q="发展")))) == len(expected_lines(oracle, "发展", "exact", {}, 20))
        assert len(list(views.iter_lines(searcher, SearchRequest(q="发展"), sort="left"))) > len(c.lines)
    finally:
        views.clear_caches()


@pytest.mark.parametrize("sort", ["oldest", "newest"])
def test_exports_in_time_order_stream_the_same_lines(searcher, sort):
    request = SearchRequest.make("高质量发展", {"province": "江苏"})
    streamed = [(x.paragraph_id, x.start, x.left, x.right) for x in views.iter_lines(searcher, request, sort=sort)]
    gathered = views.concordance(searcher, request, sort=sort, per_page=10_000).lines
    assert streamed == [(x.paragraph_id, x.start, x.left, x.right) for x in gathered]


def test_concordance_pages(searcher):
    request = SearchRequest(q="发展")
    everything = [(x.paragraph_id, x.start) for x in views.iter_lines(searcher, request)]
    seen = []
    c = views.concordance(searcher, request, per_page=50)
    for page in range(1, c.pages + 1):
        seen += [(x.paragraph_id, x.start) for x in views.concordance(searcher, request, per_page=50, page=page).lines]
    assert seen == everything


def test_concordance_without_strings_to_mark(searcher):
    c = views.concordance(searcher, SearchRequest(q="-发展"))
    assert c.total == 0 and c.lines == [] and c.needles == []


# -- compare ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("filters", FILTERS[:3])
def test_compare_shares_by_year_and_by_province(years_searcher, years_oracle, filters):
    terms = ["新质生产力", "低空经济", "人工智能", "养老"]
    c = views.compare(years_searcher, terms, SearchRequest.make("", filters))
    allowed = _allowed(years_oracle, filters)
    assert [c.label for c in c.columns if c.kind == "year"] == [
        str(y) for y in range(c.columns[[x.kind for x in c.columns].index("year")].low, max(d.year for d in allowed) + 1)
    ]
    for row in c.terms:
        counts = _mentions(years_oracle, row.term, "exact", filters)
        for col, cell in zip(c.columns, row.cells):
            docs = [d for d in allowed if col.low is not None and col.low <= (d.year or 0) <= col.high]
            assert cell.indexed == len(docs)
            assert cell.mentions == sum(1 for d in docs if counts[d.doc_id])
            assert cell.paragraphs == sum(counts[d.doc_id] for d in docs)
        for group, cell in zip(c.groups, row.places):
            docs = [d for d in allowed if _group_key(d, "province") == group.value]
            assert (cell.mentions, cell.indexed) == (sum(1 for d in docs if counts[d.doc_id]), len(docs))
        assert row.total.mentions == sum(1 for d in allowed if counts[d.doc_id])


def test_compare_follows_the_mode(searcher, oracle):
    c = views.compare(searcher, ["养老服务"], SearchRequest(mode="words"))
    assert c.terms[0].total.mentions == len({u.doc.doc_id for u in oracle.matches("养老服务", "words")})
    c = views.compare(searcher, ["养老服务"], SearchRequest(mode="exact"))
    assert c.terms[0].total.mentions == len({u.doc.doc_id for u in oracle.matches("养老服务", "exact")})


def test_compare_refuses_too_many_terms(searcher):
    with pytest.raises(ValueError):
        views.compare(searcher, [f"词{i}" for i in range(21)], SearchRequest())


# -- feed ------------------------------------------------------------------------------------------------
def _newest_key(doc, seen: dict | None = None):
    stamp = (seen or {}).get(doc.doc_id, "")
    return (not doc.year, -(doc.year or 0), not doc.date, _Rev(doc.date or ""), not stamp, _Rev(stamp),
            _source_key(doc.source), doc.doc_id)


class _Rev:
    def __init__(self, v):
        self.v = v

    def __lt__(self, other):
        return self.v > other.v

    def __eq__(self, other):
        return self.v == other.v


def expected_feed(oracle: Oracle, q: str, filters: dict, limit: int, seen: dict | None = None) -> list[str]:
    units = oracle.matches(q, "exact", filters)
    order = {d.doc_id: i for i, d in enumerate(sorted(oracle.documents, key=lambda d: _newest_key(d, seen)))}
    units.sort(key=lambda u: (order[u.doc.doc_id], u.para.ordinal))
    return [u.para.id for u in units[:limit]]


@pytest.mark.parametrize("filters", FILTERS)
def test_feed_is_the_newest_matching_paragraphs(years_searcher, years_oracle, filters):
    for q in ("高质量发展", "新质生产力", "低空经济"):
        f = views.feed(years_searcher, SearchRequest.make(q, filters), limit=30)
        assert [e.hit.id for e in f.entries] == expected_feed(years_oracle, q, filters, 30), (q, filters)
        assert all(e.hit.spans for e in f.entries)
        for e in f.entries:
            doc = e.hit.document
            assert e.published == (doc.date or f"{doc.year}-01-01") and e.precision == ("date" if doc.date else "year")


def test_seen_times_are_carried_from_generation_to_generation(tmp_path):
    from search.views import seen

    one, two = tmp_path / "gen-1", tmp_path / "gen-2"
    seen.record(one, None, ["a", "b"], [], when="2025-01-01T00:00:00Z")
    seen.record(two, one, ["c", "b"], ["b", "a"], when="2025-06-01T00:00:00Z")
    # a removed; b re-read under the same id keeps its first time; c is new
    assert seen.read(two) == {"b": "2025-01-01T00:00:00Z", "c": "2025-06-01T00:00:00Z"}
    assert seen.read(tmp_path / "missing") == {}


def test_the_index_writer_records_first_seen_times(tmp_path, monkeypatch):
    from search.backends.embedded import writer
    from search.views import seen

    monkeypatch.setattr(writer, "GENERATION_HOOKS", [])
    seen.register()
    seen.register()  # once only
    assert writer.GENERATION_HOOKS == [seen.record]
    monkeypatch.setattr(seen, "now", lambda: "2025-01-01T00:00:00Z")
    build_index([SAMPLE], tmp_path / "index", manifest=SAMPLE / "manifest.csv", progress=False)
    s = open_index(tmp_path / "index")
    times = seen.first_seen(s)
    assert set(times) == {d.doc_id for d in s.catalog().documents}
    assert set(times.values()) == {"2025-01-01T00:00:00Z"}


def test_feed_orders_same_date_reports_by_when_first_seen(tmp_path, monkeypatch):
    from search.backends.embedded import writer
    from search.views import seen

    monkeypatch.setattr(writer, "GENERATION_HOOKS", [])
    seen.register()
    monkeypatch.setattr(seen, "now", lambda: "2025-01-01T00:00:00Z")
    index = tmp_path / "index"
    build_index([SAMPLE], index, manifest=SAMPLE / "manifest.csv", progress=False)
    # As if 常州's report had been added to the index later than the 26 reports of the compilation
    # (same year, no date): rewrite the side file before opening the index.
    generation = (index / "current").resolve()
    times = seen.read(generation)
    s = open_index(index)
    changzhou = next(d for d in s.catalog().documents if d.title == "2024年常州市政府工作报告")
    assert not changzhou.date and changzhou.year == 2024
    times[changzhou.doc_id] = "2025-06-01T00:00:00Z"
    (generation / seen.SIDE / seen.FILE).write_text(json.dumps(times), encoding="utf-8")
    s = open_index(index)
    f = views.feed(s, SearchRequest(q="高质量发展"), limit=200)
    oracle = Oracle(read_corpus([SAMPLE], SAMPLE / "manifest.csv"))
    assert [e.hit.id for e in f.entries] == expected_feed(oracle, "高质量发展", {}, 200, times)
    dated = [e for e in f.entries if e.precision == "date"]
    assert f.entries[:len(dated)] == dated, "a dated report of the same year before the undated ones"
    assert f.entries[len(dated)].hit.doc_id == changzhou.doc_id, "seen last among the undated: first of them"
    assert f.entries[len(dated)].updated == "2025-06-01T00:00:00Z" and f.seen_recorded
    without = expected_feed(oracle, "高质量发展", {}, 200)
    assert without != [e.hit.id for e in f.entries], "the first-seen times change the order"
