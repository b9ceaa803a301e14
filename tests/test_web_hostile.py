"""Hostile input against every route: 4xx or a safe page, never a 500, never reflected unescaped."""

from __future__ import annotations

import pytest

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ROUTES = ["/search", "/api/search", "/export.csv", "/export.jsonl"]


def _body(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("param", ["q", "province", "level", "tier", "year", "type", "sort", "page", "per_page"])
def test_markup_in_any_parameter_is_never_reflected(client, route, param):
    response = client.get(route, query_string={"q": "发展", param: PAYLOAD})
    assert response.status_code < 500
    body = _body(response)
    if response.mimetype == "text/html":
        assert "<script>alert" not in body and "<img src=x" not in body
    else:
        # JSON, CSV and JSONL carry the user's text as data; nosniff keeps browsers from rendering it.
        assert response.mimetype in ("application/json", "text/csv", "application/x-ndjson", "application/jsonl")
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("route", ROUTES + ["/"])
@pytest.mark.parametrize("raw", [
    "q=%ff%fe%fd",  # invalid UTF-8
    "q=%E5%8F%91%E5",  # truncated UTF-8 sequence
    "q=%zz%",  # broken percent-encoding
    "q=%00%01%02",
    "q=%E2%80%AE%E5%8F%91%E5%B1%95",  # right-to-left override
    "province=%ff&level=%fe",
    "page=%ff",
])
def test_invalid_encodings(client, route, raw):
    response = client.get(f"{route}?{raw}")
    assert response.status_code in (200, 400), raw


@pytest.mark.parametrize("route", ["/search", "/api/search"])
def test_repeated_parameters(client, route):
    response = client.get(f"{route}?q=发展&q=养老&page=1&page=2&sort=newest&sort=oldest&per_page=5&per_page=500")
    assert response.status_code in (200, 400)
    same_value_twice = client.get(f"{route}?q=发展&province=江苏省&province=江苏省")
    assert same_value_twice.status_code == 200


@pytest.mark.parametrize("route", ROUTES)
def test_very_long_values_are_refused_with_a_message(client, route):
    response = client.get(route, query_string={"q": "发" * 20_000})
    assert response.status_code == 400
    assert "1000" in _body(response)
    many = "&".join(f"province=p{i}" for i in range(500))
    assert client.get(f"{route}?q=发展&{many}").status_code == 400


@pytest.mark.parametrize("path", [
    "/doc/../../etc/passwd", "/doc/..%2F..%2Fetc%2Fpasswd", "/doc/%2e%2e/%2e%2e/meta.json", "/p/..%2Fmeta.json",
    "/doc/" + "a" * 5000, "/p/%00", "/doc/%ff", "/api/doc/..%2F..%2Findex", "/static/../search/cli.py",
    "/static/%2e%2e/%2e%2e/setup.cfg",
])
def test_path_traversal_in_ids(client, path):
    response = client.get(path)
    assert response.status_code in (400, 404)
    body = _body(response)
    assert "schema_version" not in body and "[metadata]" not in body and "root:" not in body


def test_header_injection_through_the_permalink_redirect(client, searcher):
    from search import SearchRequest

    hit = searcher.search(SearchRequest(q='"新质生产力"')).hits[0]
    response = client.get(f"/p/{hit.id}?q=%0d%0aSet-Cookie:%20evil=1%0d%0aX-Evil:%201")
    assert response.status_code == 302
    assert "Set-Cookie" not in response.headers and "X-Evil" not in response.headers
    assert "\r" not in response.headers["Location"] and "\n" not in response.headers["Location"]


def test_export_filename_is_safe(client):
    response = client.get("/export.csv", query_string={"q": '"新质生产力"\r\nX-Evil: 1'})
    assert response.status_code == 200
    assert "X-Evil" not in response.headers
    disposition = response.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition


def test_methods_other_than_get(client):
    assert client.post("/search", data={"q": "发展"}).status_code == 405
    assert client.delete("/api/search").status_code == 405
