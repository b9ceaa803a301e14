"""CSV and JSON-lines exports: every hit, streamed, one row per paragraph."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import unquote

import pytest

from web.export import COLUMNS

PHRASE = "新质生产力"


def api_total(client, query) -> int:
    return client.get("/api/search", query_string=query).get_json()["total"]


def test_csv_has_bom_and_every_hit(client):
    response = client.get("/export.csv", query_string={"q": PHRASE})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and ".csv" in disposition
    assert PHRASE in unquote(disposition)
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert tuple(rows[0].keys()) == COLUMNS
    assert len(rows) == api_total(client, {"q": PHRASE})
    assert all(r["permalink"].startswith("http://localhost/p/") for r in rows)
    assert all(PHRASE in r["text"] for r in rows)
    assert len({r["permalink"] for r in rows}) == len(rows)


def test_export_is_uncapped(client):
    query = {"q": "发展"}
    expected = api_total(client, query)
    assert expected > 100  # more than one API page can hold
    lines = client.get("/export.jsonl", query_string=query).get_data(as_text=True).splitlines()
    assert len(lines) == expected
    row = json.loads(lines[0])
    assert tuple(row) == COLUMNS


def test_exports_follow_filters(client):
    query = [("q", "发展"), ("province", "江苏省"), ("sort", "newest")]
    lines = client.get("/export.jsonl", query_string=query).get_data(as_text=True).splitlines()
    assert len(lines) == api_total(client, query)
    assert {json.loads(line)["province"] for line in lines} == {"江苏省"}


@pytest.mark.parametrize("path", ["/export.csv", "/export.jsonl"])
def test_exports_are_streamed(web_app, path):
    with web_app.test_request_context(path, query_string={"q": "发展"}):
        response = web_app.full_dispatch_request()
        assert response.is_streamed
        chunks = list(response.response)  # a generator: rows leave in chunks, never as one body
        assert len(chunks) > 2
        response.close()


def test_empty_export_has_header_only(client):
    body = client.get("/export.csv", query_string={"q": '"没有这样的短语啊啊"'}).get_data(as_text=True)
    assert body.lstrip("\ufeff").splitlines() == [",".join(COLUMNS)]
    assert client.get("/export.jsonl", query_string={"q": '"没有这样的短语啊啊"'}).get_data() == b""


@pytest.mark.parametrize("query", [{"province": "火星省"}, {"page": "abc"}, {"sort": "xyz"}])
def test_export_bad_parameters(client, query):
    for path in ("/export.csv", "/export.jsonl"):
        assert client.get(path, query_string=query).status_code == 400


def test_csv_cells_are_not_formulas():
    from web.export import _cell

    assert _cell("=1+1") == "'=1+1" and _cell("发展") == "发展" and _cell(None) == "" and _cell(2024) == "2024"
