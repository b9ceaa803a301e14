"""Hostile input on every route: 4xx or a safe page, never a 500, never reflected unescaped; hosts."""

from __future__ import annotations

import pytest

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'
NESTED = "(" * 300 + "发展" + ")" * 300
PARAMS = ["q", "province", "city", "level", "tier", "year", "type", "county", "title", "sort", "mode", "page",
          "per_page", "doc", "view", "count", "gone"]


@pytest.fixture(scope="module")
def routes(oracle) -> list[str]:
    doc = oracle.documents[0]
    pid = sorted(doc.paragraphs, key=lambda p: p.ordinal)[1].id
    return ["/", "/search", "/reports", "/api/search", "/api/reports", "/export.csv", "/export.jsonl",
            f"/doc/{doc.doc_id}", f"/api/doc/{doc.doc_id}", f"/p/{pid}", f"/api/p/{pid}", "/api/stats"]


def _body(response) -> str:
    return response.get_data(as_text=True)


def test_markup_in_any_parameter_is_never_reflected(client, routes):
    for route in routes:
        for param in PARAMS:
            response = client.get(route, query_string={"q": "发展", param: PAYLOAD})
            assert response.status_code < 500, (route, param)
            body = _body(response)
            if response.mimetype == "text/html":
                assert "<script>alert" not in body and "<img src=x" not in body, (route, param)
            else:
                assert response.mimetype in ("application/json", "text/csv", "application/x-ndjson", "text/plain")
                assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_300_nested_parentheses_on_every_route(client, routes):
    for route in routes:
        for q in (NESTED, "(" * 300, ")" * 300, "NOT " * 240 + "x", "(a OR " * 150, '"' * 301):
            response = client.get(route, query_string={"q": q})
            assert response.status_code in (200, 302), (route, q[:10], response.status_code)
    page = _body(client.get("/search", query_string={"q": NESTED}))
    assert "括号嵌套超过" in page


@pytest.mark.parametrize("raw", [
    "q=%ff%fe%fd", "q=%E5%8F%91%E5", "q=%zz%", "q=%00%01%02", "q=%E2%80%AE%E5%8F%91%E5%B1%95",
    "province=%ff&level=%fe", "page=%ff", "doc=%ff", "mode=%00",
])
def test_invalid_encodings(client, routes, raw):
    for route in routes:
        response = client.get(f"{route}?{raw}")
        assert response.status_code in (200, 302, 400), (route, raw)


def test_overlong_values_are_refused_with_a_message(client, routes):
    for route in routes:
        response = client.get(route, query_string={"q": "发" * 20_000})
        if route == "/api/stats":  # takes no query
            continue
        assert response.status_code == 400, route
        assert "1000" in _body(response)
        # Routes that read filters refuse too many or too long values; the others ignore them.
        reads_filters = not route.startswith(("/api/doc/", "/api/p/", "/p/", "/api/stats"))
        many = "&".join(f"province=p{i}" for i in range(500))
        for response in (client.get(f"{route}?q=发展&{many}"),
                         client.get(route, query_string={"q": "发展", "province": "江" * 5000})):
            assert response.status_code == 400 if reads_filters else response.status_code < 500, route


def test_repeated_parameters(client):
    for route in ("/search", "/api/search"):
        response = client.get(f"{route}?q=发展&q=养老&page=1&page=2&sort=newest&sort=oldest&per_page=5&per_page=500")
        assert response.status_code in (200, 400)
        assert client.get(f"{route}?q=发展&province=江苏省&province=江苏省").status_code == 200


@pytest.mark.parametrize("path", [
    "/doc/../../etc/passwd", "/doc/..%2F..%2Fetc%2Fpasswd", "/doc/%2e%2e/%2e%2e/meta.json", "/p/..%2Fmeta.json",
    "/doc/" + "a" * 5000, "/p/%00", "/doc/%ff", "/api/doc/..%2F..%2Findex", "/static/../search/cli.py",
    "/static/%2e%2e/%2e%2e/setup.cfg", "/api/p/..%2f..%2fsetup.cfg",
])
def test_path_traversal_in_ids(client, path):
    response = client.get(path)
    assert response.status_code in (400, 404)
    body = _body(response)
    assert "schema_version" not in body and "[metadata]" not in body and "root:" not in body


def test_header_injection_through_redirects(client, oracle):
    pid = sorted(oracle.ids("新质生产力"))[0]
    for url in (f"/p/{pid}?q=%0d%0aSet-Cookie:%20evil=1%0d%0aX-Evil:%201",
                "/search?q=%E5%8F%91%E5%B1%95%20province:%E6%B1%9F%E8%8B%8F%0d%0aX-Evil:%201",
                "/reports?q=%0d%0aX-Evil:%201"):
        response = client.get(url)
        assert response.status_code in (200, 302)
        assert "Set-Cookie" not in response.headers and "X-Evil" not in response.headers
        location = response.headers.get("Location", "")
        assert "\r" not in location and "\n" not in location


def test_export_filename_is_safe(client):
    response = client.get("/export.csv", query_string={"q": '"新质生产力"\r\nX-Evil: 1'})
    assert response.status_code == 200 and "X-Evil" not in response.headers
    disposition = response.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition


def test_methods_other_than_get(client):
    assert client.post("/search", data={"q": "发展"}).status_code == 405
    assert client.delete("/api/search").status_code == 405


# -- hosts -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("host", ["evil.example", "localhost.evil.example", "127.0.0.1.nip.io", "[::2]:5000"])
def test_unknown_hosts_get_400(client, host):
    response = client.get("/search?q=发展", headers={"Host": host})
    assert response.status_code == 400
    assert "evil" not in response.get_data(as_text=True)


@pytest.mark.parametrize("host", ["localhost", "localhost:5000", "127.0.0.1:8080", "[::1]:5000"])
def test_allowed_hosts(client, host):
    assert client.get("/search?q=发展", headers={"Host": host}).status_code == 200


def test_absolute_urls_come_from_the_base_url_not_the_host(sample_index):
    from web import create_app

    app = create_app({"INDEX_DIR": str(sample_index), "BASE_URL": "https://reports.example.org/search-app",
                      "ALLOWED_HOSTS": ["reports.example.org", ".internal.example"]})
    client = app.test_client()
    page = client.get("/search?q=新质生产力", headers={"Host": "a.internal.example"}).get_data(as_text=True)
    assert "https://reports.example.org/search-app/p/" in page and "internal.example" not in page
    rows = client.get("/export.jsonl?q=新质生产力", headers={"Host": "reports.example.org"}).get_data(as_text=True)
    assert rows and all('"permalink": "https://reports.example.org/search-app/p/' in r for r in rows.splitlines())
    assert client.get("/search?q=x", headers={"Host": "localhost"}).status_code == 400
    redirect = client.get("/search?q=发展 省:江苏", headers={"Host": "reports.example.org"})
    assert redirect.status_code == 302 and redirect.headers["Location"].startswith("/search?")
    # every CSV's links (the text-reuse ones too) and routing's own redirects: never the Host header
    host = {"Host": "a.internal.example"}
    for path in ("/reuse.csv", "/trend.csv?q=发展", "/kwic.csv?q=新质生产力"):
        body = client.get(path, headers=host).get_data(as_text=True)
        assert "internal.example" not in body and "http://" not in body, path
    for path in ("//search?q=x", "/doc//x", "/search/"):
        response = client.get(path, headers=host)
        location = response.headers.get("Location", "")
        assert response.status_code != 500 and not location.startswith("//") and "internal.example" not in location, path
