"""The HTML pages through Flask's test client, over a real index of the sample corpus."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

PHRASE = "新质生产力"


def text(response) -> str:
    return response.get_data(as_text=True)


def total(page: str) -> int:
    return int(re.search(r'data-total="(\d+)"', page).group(1))


def hit_ids(page: str) -> list[str]:
    return re.findall(r'<li class="hit" id="hit-[^"]+" data-id="([^"]+)"', page)


def hrefs(page: str, container_class: str) -> list[tuple[str, str]]:
    """(href, link text) of the links inside the first element with `container_class`."""
    start = page.index(f'class="{container_class}')
    end = min(i for i in (page.find(tag, start) for tag in ("</nav>", "</ul>", "</section>")) if i != -1)
    block = page[start:end]
    return [(html.unescape(h), re.sub(r"<[^>]+>", "", t).strip())
            for h, t in re.findall(r'<a [^>]*?href="([^"]+)"[^>]*>(.*?)</a>', block, re.S)]


def test_home_shows_box_and_stats(client, searcher):
    page = text(client.get("/"))
    assert 'name="q"' in page and 'action="/search"' in page
    stats = searcher.stats()
    assert f"<strong>{stats['documents']}</strong> 份文档" in page
    assert "按类别浏览" in page and "/search?province=" in page


def test_search_phrase_is_highlighted(client):
    response = client.get("/search", query_string={"q": PHRASE})
    assert response.status_code == 200
    page = text(response)
    assert total(page) > 0
    assert f"<mark>{PHRASE}</mark>" in page
    assert "份文档" in page
    # How the query was read: jieba's words of the unquoted term.
    assert "新质 / 生产力" in page


def test_quoted_phrase_is_reported_as_exact(client):
    page = text(client.get("/search", query_string={"q": '"高质量发展"'}))
    assert total(page) > 0
    assert "精确短语" in page
    assert "<mark>高质量发展</mark>" in page


def test_hit_links_to_paragraph_in_document(client):
    page = text(client.get("/search", query_string={"q": PHRASE}))
    first = hit_ids(page)[0]
    doc_link = re.search(rf'<a href="(/doc/[^"]+#p-{re.escape(first)})">', page).group(1)
    assert "q=" in doc_link
    assert f'href="/p/{first}?q=' in page  # permalink that carries the query
    assert f"http://localhost/p/{first}" in page  # absolute permalink in the citation line
    assert 'class="copy"' in page and "复制链接" in page


def test_query_is_escaped(client):
    attack = "<script>alert(1)</script>"
    response = client.get("/search", query_string={"q": attack})
    assert response.status_code == 200
    page = text(response)
    assert attack not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>" not in page.replace('<script src="/static/copy.js" defer></script>', "")


def test_facet_toggle_url_count_matches(client):
    page = text(client.get("/search", query_string={"q": PHRASE}))
    links = hrefs(page, "facet facet-province")
    url, label = links[0]
    count = int(re.search(rf'{re.escape(html.escape(url))}"[^>]*>.*?</a> <span class="count">(\d+)</span>',
                          page, re.S).group(1))
    followed = client.get(url)
    assert followed.status_code == 200
    followed_page = text(followed)
    assert total(followed_page) == count
    province = parse_qs(urlsplit(url).query)["province"][0]
    assert f"省份：{province}" in followed_page  # shown as a chip
    assert total(followed_page) <= total(page)


def test_two_values_of_one_facet_combine_with_or(client, searcher):
    import search

    facets = searcher.search(search.SearchRequest(q=PHRASE)).facets["province"]
    a, b = facets[0], facets[1]
    both = text(client.get("/search", query_string=[("q", PHRASE), ("province", a.value), ("province", b.value)]))
    assert total(both) == a.count + b.count


def test_chip_removal(client):
    page = text(client.get("/search", query_string=[("q", PHRASE), ("province", "江苏省"), ("year", "2024")]))
    chips = hrefs(page, "chips")
    removal = [u for u, t in chips if "江苏省" in t][0]
    query = parse_qs(urlsplit(removal).query)
    assert "province" not in query and query["year"] == ["2024"] and query["q"] == [PHRASE]
    without = text(client.get(removal))
    assert "省份：江苏省" not in without
    assert total(without) >= total(page)


def test_sort_links_and_orders(client):
    page = text(client.get("/search", query_string={"q": "发展"}))
    sorts = dict((t, u) for u, t in hrefs(page, "sorts"))
    assert set(sorts) == {"最新", "最早"}  # relevance is the current one, not a link
    newest = text(client.get(sorts["最新"]))
    assert '<strong aria-current="true">最新</strong>' in newest
    assert total(newest) == total(page)
    assert client.get("/search", query_string={"q": "发展", "sort": "oldest"}).status_code == 200


def test_pagination_links(client):
    first = text(client.get("/search", query_string={"q": "发展", "per_page": 5}))
    assert total(first) > 10
    pages = hrefs(first, "pagination")
    next_url = [u for u, t in pages if t == "下一页"][0]
    assert parse_qs(urlsplit(next_url).query)["page"] == ["2"]
    second = text(client.get(next_url))
    assert '<strong aria-current="page">2</strong>' in second
    assert not set(hit_ids(first)) & set(hit_ids(second))
    assert len(hit_ids(second)) == 5


def test_chart_bars_link_to_filters(client):
    page = text(client.get("/search", query_string={"q": PHRASE}))
    assert '<svg class="bars"' in page
    bars = re.findall(r'<a href="([^"]+)" class="bar', page)
    assert bars and all("province=" in html.unescape(b) or "year=" in html.unescape(b) for b in bars)
    assert "style=" not in page  # the CSP forbids inline styles


def test_document_page_anchors_and_highlight(client, searcher):
    import search

    hit = searcher.search(search.SearchRequest(q=PHRASE)).hits[0]
    doc = searcher.document(hit.doc_id)
    response = client.get(f"/doc/{hit.doc_id}", query_string={"q": PHRASE})
    assert response.status_code == 200
    page = text(response)
    for para in doc.paragraphs:
        assert f'id="p-{para.id}"' in page
    assert f"<mark>{PHRASE}</mark>" in page
    for heading in doc.headings[:3]:
        assert html.escape(heading.text, quote=False) in page
    plain = text(client.get(f"/doc/{hit.doc_id}"))
    assert "<mark>" not in plain.replace("<mark>{", "")


def test_permalink_redirects_with_query(client, searcher):
    import search

    hit = searcher.search(search.SearchRequest(q=PHRASE)).hits[0]
    response = client.get(f"/p/{hit.id}", query_string={"q": PHRASE})
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert parts.path == f"/doc/{hit.doc_id}"
    assert parse_qs(parts.query)["q"] == [PHRASE]
    assert parts.fragment == f"p-{hit.id}"
    bare = client.get(f"/p/{hit.id}")
    assert bare.status_code == 302 and "q=" not in bare.headers["Location"]


def test_permalinks_survive_a_rebuild(tmp_path: Path, searcher, web_app):
    import search
    from web import create_app

    from .conftest import SAMPLE, SAMPLE_MANIFEST

    search.build_index([SAMPLE], tmp_path, manifest=SAMPLE_MANIFEST if SAMPLE_MANIFEST.exists() else None,
                       progress=False)
    rebuilt = create_app({"INDEX_DIR": str(tmp_path), "TESTING": True}).test_client()
    for hit in searcher.search(search.SearchRequest(q=PHRASE, per_page=5)).hits:
        before = web_app.test_client().get(hit.url).headers["Location"]
        after = rebuilt.get(hit.url)
        assert after.status_code == 302 and after.headers["Location"] == before


@pytest.mark.parametrize("url", ["/doc/nope", "/p/nope", "/p/%3Cscript%3E", "/no/such/page", "/api/doc/nope"])
def test_not_found(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "<script>" not in text(response)


@pytest.mark.parametrize("query", [
    {"q": PHRASE, "page": "-1"},
    {"q": PHRASE, "page": "abc"},
    {"q": PHRASE, "page": "0"},
    {"q": PHRASE, "page": "1e3"},
    {"q": PHRASE, "page": "9" * 5000},
    {"q": PHRASE, "per_page": "10000"},
    {"q": PHRASE, "per_page": "0"},
    {"q": PHRASE, "sort": "xyz"},
    {"q": PHRASE, "province": "火星省"},
    {"q": PHRASE, "year": "<b>1999</b>"},
    {"q": "长" * 1001},
])
def test_bad_parameters_give_400_page(client, query):
    response = client.get("/search", query_string=query)
    assert response.status_code == 400
    page = text(response)
    assert "参数有误" in page
    assert "<b>1999</b>" not in page


def test_long_query_is_truncated_with_a_message(client):
    response = client.get("/search", query_string={"q": "发展" * 300})
    assert response.status_code == 200
    assert "500" in text(response)


@pytest.mark.parametrize("q", ['"', "(((", "NOT", "OR OR", "year:abc", "title:", "-", "*", "\x00", "省:", "a:b:c",
                               "“未闭合", "）", "%", "\\", "' OR 1=1 --"])
def test_odd_queries_never_fail(client, q):
    for url in ("/search", "/api/search", "/export.jsonl"):
        response = client.get(url, query_string={"q": q})
        assert response.status_code == 200, (url, q)


def test_security_headers_everywhere(client):
    for url in ("/", "/search?q=x", "/doc/nope", "/api/search?q=x", "/static/style.css", "/export.csv?q=x"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"]


def test_no_inline_script_or_style(client, searcher):
    import search

    hit = searcher.search(search.SearchRequest(q=PHRASE)).hits[0]
    for url in ("/", f"/search?q={PHRASE}", f"/doc/{hit.doc_id}?q={PHRASE}", "/doc/nope"):
        page = text(client.get(url))
        assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/copy.js" defer>']
        assert "<style" not in page and " style=" not in page and " on" + "click=" not in page


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
