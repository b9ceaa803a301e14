"""The JSON twins: the same code path as the pages, expected answers from the oracle."""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest

import search

PHRASE = "新质生产力"
LOOSE = "养老服务"


def test_api_search_shape_and_counts(client, oracle, web_app):
    response = client.get("/api/search", query_string={"q": LOOSE, "per_page": 3})
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.get_json()
    assert (data["total"], data["documents"]) == oracle.totals(LOOSE)
    assert data["query"] == LOOSE and data["per_page"] == 3 and data["mode"] == "exact"
    assert data["interpretation"]["loose"] == oracle.totals(LOOSE, "words")[0] - oracle.totals(LOOSE)[0]
    assert parse_qs(urlsplit(data["links"]["other_mode"]).query)["mode"] == ["words"]
    assert len(data["hits"]) == 3
    for hit in data["hits"]:
        assert hit["id"] in oracle.ids(LOOSE)
        start, end = hit["spans"][0]
        assert hit["text"][start:end] == LOOSE
        assert f"<mark>{LOOSE}</mark>" in hit["html"]
        assert hit["permalink"].startswith(web_app.config["BASE_URL"] + f"/p/{hit['id']}?q=")
        assert hit["title_label"] and hit["kind_label"]
    assert set(data["facets"]) == set(search.FACETS)
    for values in data["facets"].values():
        for fv in values:
            assert {"value", "count", "documents", "selected", "url"} <= set(fv)
            assert fv["url"].startswith("/search?")


def test_api_facets_equal_the_oracle_and_toggle(client, oracle):
    data = client.get("/api/search", query_string={"q": PHRASE}).get_json()
    got = {fv["value"]: (fv["count"], fv["documents"]) for fv in data["facets"]["province"]}
    assert got == oracle.facet("province", PHRASE)
    fv = data["facets"]["province"][0]
    followed = client.get("/api/search" + fv["url"][len("/search"):]).get_json()
    assert followed["total"] == fv["count"]
    selected = [v for v in followed["facets"]["province"] if v["selected"]]
    assert [v["value"] for v in selected] == [fv["value"]]
    again = client.get("/api/search" + selected[0]["url"][len("/search"):]).get_json()
    assert again["total"] == data["total"]


def test_api_year_range_toggle_removes_one_year_from_the_range(client, oracle):
    data = client.get("/api/search", query_string={"q": "发展", "year": "2020-2030"}).get_json()
    selected = [v for v in data["facets"]["year"] if v["selected"]]
    assert [v["value"] for v in selected] == ["2024"]
    removed = parse_qs(urlsplit(selected[0]["url"]).query)
    assert "year" not in removed  # the range held only 2024 here: nothing of it is left


@pytest.mark.parametrize("query", [
    {"q": PHRASE},
    {"q": "发展", "province": "江苏省", "sort": "newest", "page": "2"},
    {"q": "高质量发展 OR 营商环境", "level": "市"},
    {"q": LOOSE, "mode": "words"},
    {"province": "江苏省"},
])
def test_html_and_api_agree(client, query):
    page = client.get("/search", query_string=query).get_data(as_text=True)
    data = client.get("/api/search", query_string=query).get_json()
    assert int(re.search(r'class="summary" data-total="(\d+)"', page).group(1)) == data["total"]
    assert int(re.search(r'data-documents="(\d+)"', page).group(1)) == data["documents"]
    assert re.findall(r'<li class="hit[^"]*" id="hit-[^"]+" data-id="([^"]+)"', page) == [h["id"] for h in data["hits"]]


def test_api_reports(client, oracle):
    data = client.get("/api/reports", query_string={"q": LOOSE, "per_page": 100}).get_json()
    per_doc = Counter(u.doc.doc_id for u in oracle.matches(LOOSE))
    assert data["total"] == len(per_doc) and data["paragraphs"] == sum(per_doc.values())
    assert {r["document"]["doc_id"]: r["count"] for r in data["reports"]} == dict(per_doc)
    for r in data["reports"]:
        assert r["best"]["doc_id"] == r["document"]["doc_id"] and r["best"]["id"] in oracle.ids(LOOSE)
        assert parse_qs(urlsplit(r["paragraphs_url"]).query)["doc"] == [r["document"]["doc_id"]]
    same = client.get("/api/search", query_string={"q": LOOSE, "per_page": 100, "view": "reports"}).get_json()
    assert same["reports"] == data["reports"]


@pytest.mark.parametrize("query,param", [
    ({"page": "-1"}, "page"),
    ({"page": "abc"}, "page"),
    ({"per_page": "10000"}, "per_page"),
    ({"per_page": "101"}, "per_page"),
    ({"sort": "xyz"}, "sort"),
    ({"mode": "xyz"}, "mode"),
    ({"q": "x" * 1001}, "q"),
])
def test_api_errors_are_json(client, query, param):
    response = client.get("/api/search", query_string=query)
    assert response.status_code == 400
    data = response.get_json()
    assert data["param"] == param and data["error"]


def test_api_unknown_value_is_no_error(client):
    data = client.get("/api/search", query_string={"q": "发展", "province": "火星"}).get_json()
    assert data["total"] == 0
    assert [c["known"] for c in data["chips"]] == [False]
    assert any("火星" in m for m in data["interpretation"]["messages"])


def test_api_doc(client, oracle):
    unit = sorted(oracle.matches(LOOSE), key=lambda u: u.para.id)[0]
    data = client.get(f"/api/doc/{unit.doc.doc_id}", query_string={"q": LOOSE}).get_json()
    assert data["doc_id"] == unit.doc.doc_id and data["title"] == unit.doc.title
    assert [p["id"] for p in data["paragraphs"]] == [p.id for p in sorted(unit.doc.paragraphs, key=lambda p: p.ordinal)]
    expected = [u.para.id for u in sorted(oracle.matches(LOOSE), key=lambda u: u.para.ordinal) if u.doc.doc_id == unit.doc.doc_id]
    assert data["matches"] == expected
    assert all(p["url"].startswith(f"/p/{p['id']}?q=") for p in data["paragraphs"])


def test_api_paragraph_and_gone_paragraph(client, oracle):
    unit = sorted(oracle.matches(PHRASE), key=lambda u: u.para.id)[0]
    data = client.get(f"/api/p/{unit.para.id}", query_string={"q": PHRASE}).get_json()
    assert data["id"] == unit.para.id and data["text"] == unit.para.text
    assert [data["text"][a:b] for a, b in data["spans"]] == [PHRASE] * unit.norm.count(PHRASE)
    gone = client.get(f"/api/p/{unit.doc.doc_id}-00000000")
    assert gone.status_code == 404 and gone.get_json()["document_url"] == f"/doc/{unit.doc.doc_id}"


@pytest.mark.parametrize("url", ["/api/doc/nope", "/api/p/nope", "/api/doc/000000000000"])
def test_api_unknown_ids_are_json_404(client, url):
    response = client.get(url)
    assert response.status_code == 404 and response.get_json()["error"]
