"""The JSON API, and its agreement with the HTML page (one code path)."""

from __future__ import annotations

import re

import pytest

import search

PHRASE = "新质生产力"


def test_api_search_shape(client):
    response = client.get("/api/search", query_string={"q": PHRASE, "per_page": 3})
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.get_json()
    for key in ("query", "total", "documents", "page", "per_page", "hits", "facets"):
        assert key in data
    assert data["query"] == PHRASE and data["per_page"] == 3 and data["page"] == 1
    assert len(data["hits"]) == 3 and data["total"] >= 3
    hit = data["hits"][0]
    for key in ("id", "doc_id", "title", "province", "year", "section", "text", "highlight", "url"):
        assert key in hit
    assert "<mark>" in hit["highlight"]
    assert set(data["facets"]) == set(search.FACETS)
    for values in data["facets"].values():
        for fv in values:
            assert set(fv) >= {"value", "count", "selected", "url"}
            assert fv["url"].startswith("/search?")


def test_api_facet_url_is_the_html_toggle(client):
    data = client.get("/api/search", query_string={"q": PHRASE}).get_json()
    fv = data["facets"]["province"][0]
    followed = client.get("/api/search" + fv["url"][len("/search"):]).get_json()
    assert followed["total"] == fv["count"]
    selected = [v for v in followed["facets"]["province"] if v["selected"]]
    assert [v["value"] for v in selected] == [fv["value"]]
    # Toggling the selected value again removes it.
    again = client.get("/api/search" + selected[0]["url"][len("/search"):]).get_json()
    assert again["total"] == data["total"]


@pytest.mark.parametrize("query", [
    {"q": PHRASE},
    {"q": "发展", "province": "江苏省", "sort": "newest", "page": "2"},
    {"q": "高质量发展 OR 营商环境", "level": "市"},
    {"province": "江苏省"},
])
def test_html_and_api_agree(client, query):
    page = client.get("/search", query_string=query).get_data(as_text=True)
    data = client.get("/api/search", query_string=query).get_json()
    assert int(re.search(r'data-total="(\d+)"', page).group(1)) == data["total"]
    assert int(re.search(r'data-documents="(\d+)"', page).group(1)) == data["documents"]
    assert re.findall(r'<li class="hit" id="hit-[^"]+" data-id="([^"]+)"', page) == [h["id"] for h in data["hits"]]
    for name, values in data["facets"].items():
        for fv in values:
            label = f"{fv['value']}年" if name == "year" else fv["value"]
            pattern = rf'{re.escape(label)}</a> <span class="count">{fv["count"]}</span>'
            assert re.search(pattern, page), (name, fv)


@pytest.mark.parametrize("query,param", [
    ({"page": "-1"}, "page"),
    ({"page": "abc"}, "page"),
    ({"per_page": "10000"}, "per_page"),
    ({"per_page": "101"}, "per_page"),
    ({"sort": "xyz"}, "sort"),
    ({"province": "火星省"}, "province"),
    ({"q": "x" * 1001}, "q"),
])
def test_api_errors_are_json(client, query, param):
    response = client.get("/api/search", query_string=query)
    assert response.status_code == 400
    data = response.get_json()
    assert data["param"] == param and data["error"]


def test_api_per_page_limit(client):
    data = client.get("/api/search", query_string={"q": "发展", "per_page": 100}).get_json()
    assert len(data["hits"]) == min(100, data["total"])


def test_api_doc(client, searcher):
    hit = searcher.search(search.SearchRequest(q=PHRASE)).hits[0]
    response = client.get(f"/api/doc/{hit.doc_id}")
    assert response.status_code == 200
    data = response.get_json()
    assert data["doc_id"] == hit.doc_id and data["title"] == hit.title
    assert hit.id in [p["id"] for p in data["paragraphs"]]
    assert all(p["url"] == f"/p/{p['id']}" for p in data["paragraphs"])
    assert "headings" in data


def test_api_unknown_doc_is_json_404(client):
    response = client.get("/api/doc/nope")
    assert response.status_code == 404
    assert response.get_json()["error"]
