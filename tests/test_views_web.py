"""Research views over HTTP: pages, JSON twins, CSV, the Atom feed, parameters and their errors."""

from __future__ import annotations

import csv
import io
import html
import re
import urllib.parse
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest

from search import SearchRequest, views

BASE = "https://reports.example.org"
ATOM = "{http://www.w3.org/2005/Atom}"
PAGES = ["/trend", "/first", "/kwic"]


@pytest.fixture(scope="module")
def app(sample_index):
    from web import create_app

    return create_app({"INDEX_DIR": str(sample_index), "TESTING": True, "BASE_URL": BASE})


@pytest.fixture()
def http(app):
    return app.test_client()


@pytest.fixture(scope="module")
def years_app(tmp_path_factory):
    """The app over the sample spread over 2019–2024 (charts need more than one year)."""
    from web import create_app

    from .test_views import build_years_index

    index, _manifest = build_years_index(tmp_path_factory.mktemp("views-web-years"))
    return create_app({"INDEX_DIR": str(index), "TESTING": True, "BASE_URL": BASE})


@pytest.fixture(scope="module")
def bare_app(sample_index):
    """The app without BASE_URL: absolute URLs come from the request."""
    from web import create_app

    return create_app({"INDEX_DIR": str(sample_index), "TESTING": True})


def _csv(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _request_of(url: str) -> SearchRequest:
    """The library request a /search URL stands for."""
    args = parse_qs(urlsplit(url).query)
    filters = {k: v for k, v in args.items() if k not in ("q", "mode", "sort", "page", "per_page")}
    return SearchRequest.make(args.get("q", [""])[0], filters, mode=args.get("mode", ["exact"])[0])


# -- pages -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", PAGES + ["/compare"])
def test_pages_render_without_script_or_inline_style(http, path):
    query = "terms=新质生产力,低空经济,人工智能" if path == "/compare" else "q=新质生产力&province=江苏&mode=exact"
    r = http.get(f"{path}?{query}")
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    page = r.get_data(as_text=True)
    assert 'style="' not in page and "<style" not in page  # the CSP forbids inline styles
    assert len(re.findall(r"<script", page)) <= 1  # only base.html's copy button helper; nothing needs it
    assert 'lang="zh-CN"' in page and "research.css" in page
    assert "/search?" in page  # links back to the result page


@pytest.mark.parametrize("path", PAGES + ["/compare"])
def test_pages_without_a_query_show_the_form(http, path):
    r = http.get(path)
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert 'class="prompt"' in page and "<form" in page


@pytest.mark.parametrize("path", ["/api/trend", "/api/first", "/api/kwic", "/trend.csv", "/first.csv", "/kwic.csv",
                                  "/search.atom"])
def test_data_twins_need_a_query(http, path):
    r = http.get(path)
    assert r.status_code == 400
    if path.startswith("/api/"):
        assert r.get_json() == {"error": "请提供检索词（参数 q）", "param": "q"}
    else:
        assert "请提供检索词" in r.get_data(as_text=True)


MALFORMED = ['"', "(((", "AND", "-", "OR OR", "省:", "year:abcd", '"未闭合', "）（", "发展" * 300, "NOT 发展", "\u200b"]


@pytest.mark.parametrize("q", MALFORMED)
def test_malformed_queries_are_read_not_refused(http, q):
    for path in ("/trend", "/first", "/kwic", "/api/trend", "/api/first", "/api/kwic", "/search.atom", "/trend.csv"):
        r = http.get(path, query_string={"q": q})
        assert r.status_code in (200, 400), (path, q)
        assert r.status_code != 500
    r = http.get("/compare", query_string={"terms": q})
    assert r.status_code in (200, 400)


BAD = [
    ("/trend?q=发展&by=county", "by", "分组方式"),
    ("/trend?q=发展&span=some", "span", "年份范围"),
    ("/first?q=发展&by=level", "by", "分组方式"),
    ("/kwic?q=发展&width=9", "width", "10 到 40"),
    ("/kwic?q=发展&width=41", "width", "10 到 40"),
    ("/kwic?q=发展&width=二十", "width", "10 到 40"),
    ("/kwic?q=发展&sort=alpha", "sort", "排序方式"),
    ("/kwic?q=发展&unit=5", "unit", "搭配单位"),
    ("/kwic?q=发展&left=" + "长" * 21, "left", "最多 20 个字"),
    ("/kwic?q=发展&page=0", "page", "页码"),
    ("/kwic?q=发展&per_page=100000", "per_page", "每页行数"),
    ("/trend?q=发展&mode=fuzzy", "mode", "检索方式"),
    ("/compare?terms=" + ",".join(f"词{i}" for i in range(21)), "terms", "最多对比 20 个词"),
    ("/compare?terms=" + "长" * 101, "terms", "最多 100 个字符"),
    ("/search.atom?q=发展&per_page=0", "per_page", "条目数"),
    ("/trend?q=发展&" + "&".join(f"province=省{i}" for i in range(51)), "province", "最多选择 50 个"),
]


@pytest.mark.parametrize("url, param, words", BAD)
def test_bad_parameters_are_a_400_in_chinese(http, url, param, words):
    r = http.get(url)
    assert r.status_code == 400, url
    assert words in r.get_data(as_text=True)
    path, _, query = url.partition("?")
    api = "/api" + path if path in ("/trend", "/first", "/kwic", "/compare") else None
    if api:
        r = http.get(f"{api}?{query}")
        assert r.status_code == 400 and r.get_json()["param"] == param and words in r.get_json()["error"]


def test_an_unknown_filter_value_is_explained_not_refused(http):
    r = http.get("/api/trend?q=发展&province=火星")
    assert r.status_code == 200
    data = r.get_json()
    assert data["total"]["indexed"] == 0
    assert any("火星" in m for m in data["interpretation"]["messages"])


# -- trend -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["sample", "years"])
def test_trend_json_cells_link_to_the_search_they_count(app, years_app, which):
    the_app = app if which == "sample" else years_app
    searcher = the_app.extensions["report_search"]
    data = the_app.test_client().get("/api/trend?q=新质生产力&by=level&span=all").get_json()
    assert data["by"] == "level" and data["rows"]
    checked = 0
    for row in data["rows"]:
        for column, cell in zip(data["columns"], row["cells"]):
            if cell["indexed"]:
                assert cell["url"].startswith(BASE + "/search?")
                request = _request_of(cell["url"])
                assert dict(request.filters)["level"] == (row["value"],)
                assert dict(request.filters)["year"] == (column["filter"],)
                result = searcher.search(request)
                assert result.documents == cell["mentions"] and result.total == cell["paragraphs"]
                checked += 1
    assert checked >= (1 if which == "sample" else 4)


def test_trend_page_marks_gaps_and_totals(http):
    page = http.get("/trend?q=新质生产力&by=city").get_data(as_text=True)
    assert "合计" in page and "未收录" in page
    assert re.search(r'data-mentions="\d+" data-indexed="30"', page)


def _total_cells(page: str) -> list[str]:
    """The visible text of every total cell (tags and their attributes, such as title=, left out)."""
    cells = re.findall(r'<td class="[^"]*\btotal"[^>]*>(.*?)</td>', page, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", " ", c)) for c in cells]


def test_trend_totals_show_paragraphs_beside_reports(http, app):
    t = views.trend(app.extensions["report_search"], SearchRequest(q="发展"), by="province")
    expected = [row.total for row in t.rows] + t.totals + [t.total]
    assert t.total.paragraphs > t.total.mentions  # so a paragraph count cannot be a report count
    shown = _total_cells(http.get("/trend?q=发展").get_data(as_text=True))
    assert len(shown) == len(expected)
    for text, cell in zip(shown, expected):
        if cell.indexed:
            assert f"{cell.mentions} /{cell.indexed}" in text and f"{cell.paragraphs} 段" in text, text
        else:
            assert "段" not in text


def test_trend_csv_has_a_row_per_place_and_year(http, app):
    t = views.trend(app.extensions["report_search"], SearchRequest(q="新质生产力"), by="province")
    rows = _csv(http.get("/trend.csv?q=新质生产力"))
    assert rows[0][:3] == ["province", "value", "years"]
    cells = [r for r in rows[1:] if "合计" not in (r[0], r[2])]
    assert len(cells) == len(t.rows) * len(t.columns)
    total = sum(int(r[5]) for r in cells)
    assert total == t.total.mentions


def test_trend_csv_has_the_totals_of_the_page(years_app):
    http = years_app.test_client()
    data = http.get("/api/trend?q=发展&by=city&span=all").get_json()
    rows = _csv(http.get("/trend.csv?q=发展&by=city&span=all"))[1:]

    def numbers(row: list[str]) -> dict:
        return {"mentions": int(row[5]), "indexed": int(row[6]), "paragraphs": int(row[8])}

    def counts(cell: dict) -> dict:
        return {k: cell[k] for k in ("mentions", "indexed", "paragraphs")}

    per_place = {r[0]: numbers(r) for r in rows if r[2] == "合计" and r[0] != "合计"}
    assert per_place == {row["label"]: counts(row["total"]) for row in data["rows"]}
    per_year = [numbers(r) for r in rows if r[0] == "合计" and r[2] != "合计"]
    assert per_year == [counts(c) for c in data["totals"]]
    grand = [r for r in rows if r[0] == r[2] == "合计"]
    assert len(grand) == 1 and grand[0][1] == "" and numbers(grand[0]) == counts(data["total"])
    assert grand[0][9] == data["total"]["url"]


def test_trend_with_two_year_filters_leaves_out_the_years_between(years_app):
    http = years_app.test_client()
    data = http.get("/api/trend?q=发展&year=2019&year=2022").get_json()
    assert [c["label"] for c in data["columns"]] == ["2019", "2022"]  # not 2020, 2021: filtered out
    assert all(c["indexed"] for c in data["totals"])
    rows = _csv(http.get("/trend.csv?q=发展&year=2019&year=2022"))
    assert {r[2] for r in rows[1:]} == {"2019", "2022", "合计"}  # 合计: the total rows
    page = http.get("/trend?q=发展&year=2019&year=2022").get_data(as_text=True)
    head = page[page.index("<thead>"):page.index("</thead>")]
    assert ">2019<" in head and ">2022<" in head and "2020" not in head and "2021" not in head


def test_trend_follows_the_mode(http):
    exact = http.get("/api/trend?q=养老服务").get_json()["total"]["mentions"]
    words = http.get("/api/trend?q=养老服务&mode=words").get_json()["total"]["mentions"]
    assert words > exact


# -- first -----------------------------------------------------------------------------------------------
def test_first_page_and_twins(http, app, years_app):
    page = years_app.test_client().get("/first?q=新质生产力").get_data(as_text=True)
    assert "<svg class=\"tilemap\"" in page and "<svg class=\"linechart\"" in page
    fa = views.first(app.extensions["report_search"], SearchRequest(q="河长制"))
    page = http.get("/first?q=河长制").get_data(as_text=True)
    assert page.count('class="first-use') == len(fa.firsts)
    assert "<svg class=\"tilemap\"" in page and "<svg class=\"linechart\"" not in page  # one year: no curve
    assert "<mark>河长制</mark>" in page
    data = http.get("/api/first?q=河长制").get_json()
    assert [f["document"]["doc_id"] for f in data["firsts"]] == [f.document.doc_id for f in fa.firsts]
    assert all(f["permalink"].startswith(BASE + "/p/") for f in data["firsts"])
    rows = _csv(http.get("/first.csv?q=河长制"))
    assert len(rows) - 1 == len(fa.firsts) and rows[0][4] == "precision"


def test_first_tiles_link_to_the_province_oldest_first(http):
    page = http.get("/first?q=河长制").get_data(as_text=True)
    tiles = re.findall(r'<a href="([^"]+)">\s*<g class="tile (\w+)">', page)
    assert tiles and all(state in ("used", "silent") for _, state in tiles)
    for url, _ in tiles:
        args = parse_qs(urlsplit(url.replace("&amp;", "&")).query)
        assert args["q"] == ["河长制"] and args["sort"] == ["oldest"] and len(args["province"]) == 1


# -- kwic ------------------------------------------------------------------------------------------------
def test_kwic_pages_and_csv_is_uncapped(http, app):
    searcher = app.extensions["report_search"]
    every = list(views.iter_lines(searcher, SearchRequest(q="发展")))
    assert len(every) > 100  # more than one page
    data = http.get("/api/kwic?q=发展").get_json()
    assert data["total"] == len(every) and len(data["lines"]) == 100 and data["pages"] > 1
    rows = _csv(http.get("/kwic.csv?q=发展"))
    assert len(rows) - 1 == len(every)
    assert [r[5] for r in rows[1:]] == [x.match for x in every]


def test_kwic_collocate_links_narrow(http):
    data = http.get("/api/kwic?q=高质量发展&unit=2").get_json()
    right = data["collocates"]["right"][0]
    narrowed = http.get(right["url"].removeprefix(BASE)).get_data(as_text=True)
    assert f'data-total="{right["count"]}"' in narrowed
    assert "右邻：" + right["text"] in narrowed


def test_kwic_page_aligns_lines_and_links_paragraphs(http):
    page = http.get("/kwic?q=高质量发展&width=12&sort=left").get_data(as_text=True)
    assert 'class="kwic cw12"' in page
    assert re.search(r'<td class="m"><a href="/p/[^"]+\?q=', page)


# -- compare ---------------------------------------------------------------------------------------------
def test_compare_page_json_and_csv(http, years_app):
    url = "terms=新质生产力%0A低空经济、人工智能"
    page = years_app.test_client().get(f"/compare?{url}").get_data(as_text=True)
    assert page.count('<g class="series">') == 3 and "按省份" in page
    page = http.get(f"/compare?{url}").get_data(as_text=True)
    assert '<g class="series">' not in page and "按省份" in page  # one year: the table only
    data = http.get(f"/api/compare?{url}").get_json()
    assert data["terms"] == ["新质生产力", "低空经济", "人工智能"]
    series = data["series"][0]
    assert series["total"]["mentions"] == sum(c["mentions"] for c in series["by_year"])
    rows = _csv(http.get(f"/compare.csv?{url}"))
    assert len(rows) - 1 == 3 * len(data["columns"])
    rows = _csv(http.get(f"/compare.csv?{url}&by=province"))
    assert rows[0][1] == "province" and len(rows) - 1 == 3 * len(data["places"])


def test_compare_totals_show_paragraphs_beside_reports(http):
    data = http.get("/api/compare?terms=发展,新质生产力").get_json()
    shown = _total_cells(http.get("/compare?terms=发展,新质生产力").get_data(as_text=True))
    assert len(shown) == 2
    for text, series in zip(shown, data["series"]):
        total = series["total"]
        assert f"{total['mentions']}/{total['indexed']}" in text and f"{total['paragraphs']} 段" in text, text


def test_compare_takes_q_when_no_terms(http):
    data = http.get("/api/compare?q=新质生产力").get_json()
    assert data["terms"] == ["新质生产力"]


# -- feed ------------------------------------------------------------------------------------------------
def _feed(client, query: str):
    r = client.get(f"/search.atom?{query}")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    return ET.fromstring(r.get_data())


def test_atom_feed_entries(http, app):
    root = _feed(http, "q=新质生产力&province=江苏")
    assert root.tag == ATOM + "feed"
    entries = root.findall(ATOM + "entry")
    f = views.feed(app.extensions["report_search"], SearchRequest.make("新质生产力", {"province": "江苏"}))
    assert len(entries) == len(f.entries) > 0
    ids = [e.findtext(ATOM + "id") for e in entries]
    assert len(set(ids)) == len(ids) and all(i.startswith(BASE + "/p/") for i in ids)
    for e, want in zip(entries, f.entries):
        link = e.find(ATOM + "link").get("href")
        assert link.startswith(BASE + "/p/" + want.hit.id) and "q=" in link
        assert "<mark>" in e.findtext(ATOM + "content")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e.findtext(ATOM + "updated"))
    assert root.find(ATOM + "link[@rel='self']").get("href").startswith(BASE + "/search.atom?")
    again = [e.findtext(ATOM + "id") for e in _feed(http, "q=新质生产力&province=江苏").findall(ATOM + "entry")]
    assert again == ids  # stable ids


def test_atom_feed_links_come_from_the_base_url_not_the_host_header(bare_app):
    client = bare_app.test_client()
    response = client.get("/search.atom?q=新质生产力", headers={"Host": "127.0.0.1:8080"})
    from xml.etree import ElementTree

    root = ElementTree.fromstring(response.data)
    ids = [e.findtext(ATOM + "id") for e in root.findall(ATOM + "entry")]
    base = bare_app.config["BASE_URL"].rstrip("/")
    assert ids and all(i.startswith(base + "/p/") for i in ids) and "8080" not in base


def test_atom_feed_size(http):
    assert len(_feed(http, "q=发展&per_page=7").findall(ATOM + "entry")) == 7


# -- parameters ------------------------------------------------------------------------------------------
def test_terms_are_split_deduplicated_and_bounded():
    from web.research import parse_terms
    from werkzeug.datastructures import MultiDict

    assert parse_terms(MultiDict([("terms", "甲, 乙，丙\n丁;戊、甲\r\n")])) == ["甲", "乙", "丙", "丁", "戊"]
    assert parse_terms(MultiDict([("terms", "甲"), ("terms", "乙")])) == ["甲", "乙"]
    assert parse_terms(MultiDict()) == []


def test_links_keep_the_search_state(http):
    page = http.get("/trend?q=新质生产力&mode=words&province=江苏&type=政府工作报告").get_data(as_text=True)
    nav = page[page.index('<nav class="views"'):page.index("</nav>")]
    tabs = re.findall(r'<a href="([^"]+)">', nav)
    assert len(tabs) == 4  # the other views and the result page
    for url in tabs:
        args = parse_qs(urlsplit(url.replace("&amp;", "&")).query)
        assert args.get("mode") == ["words"] and args.get("province") == ["江苏"] and args.get("type") == ["政府工作报告"]


def test_the_result_page_opens_each_view_for_the_same_selection(http):
    page = http.get("/search?q=新质生产力&mode=words&province=江苏省").get_data(as_text=True)
    nav = page[page.index('<nav class="research"'):]
    nav = nav[:nav.index("</nav>")]
    links = dict((re.sub(r"\?.*", "", u), u) for u in re.findall(r'href="([^"]+)"', nav))
    assert set(links) == {"/trend", "/first", "/kwic", "/compare", "/search.atom"}
    for path, url in links.items():
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(html.unescape(url)).query)
        assert query.get("province") == ["江苏省"] and query.get("mode") == ["words"], path
        assert query.get("terms" if path == "/compare" else "q") == ["新质生产力"], path
        assert http.get(html.unescape(url)).status_code == 200, path


def test_the_year_chart_spans_the_years_where_the_query_occurs(tmp_path_factory):
    """Every year from the first to the last with a match (zeros between included), not the index's span."""
    from web import create_app

    from .oracle import Oracle, read_corpus
    from .test_views import SAMPLE, build_years_index

    index, manifest = build_years_index(tmp_path_factory.mktemp("year-chart"))
    oracle = Oracle(read_corpus([SAMPLE], manifest))
    client = create_app({"INDEX_DIR": str(index), "TESTING": True}).test_client()
    all_years = sorted({d.year for d in oracle.documents})
    checked = 0
    for q in ("新质生产力", "发展", "溧阳", "常州"):
        years = sorted({u.doc.year for u in oracle.matches(q)})
        if not years:
            continue
        page = client.get("/search", query_string={"q": q}).get_data(as_text=True)
        chart = page[page.index('data-name="year"'):]
        chart = chart[:chart.index("</figure>")]
        shown = [int(y) for y in re.findall(r"<title>(\d{4})年", chart)]
        assert shown == list(range(years[0], years[-1] + 1)), q
        checked += shown != all_years
    assert checked  # at least one query spans fewer years than the index
