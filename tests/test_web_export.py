"""CSV and JSON-lines exports: every hit, the title with its place, absolute permalinks from the base URL,
formula cells neutralised, and the limits on concurrent exports."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from web.export import COLUMNS, GATE_KEY
from web.labels import title_label

PHRASE = "新质生产力"


def rows_csv(response) -> list[dict]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_has_bom_and_every_hit(client, oracle, web_app):
    response = client.get("/export.csv", query_string={"q": PHRASE})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and PHRASE in unquote(disposition)
    rows = rows_csv(response)
    assert tuple(rows[0].keys()) == COLUMNS
    assert {r["id"] for r in rows} == oracle.ids(PHRASE) and len(rows) == len(oracle.ids(PHRASE))
    base = web_app.config["BASE_URL"]
    for r in rows:
        unit = oracle.by_id[r["id"]]
        assert r["permalink"].startswith(f"{base}/p/{r['id']}?")
        assert parse_qs(urlsplit(r["permalink"]).query) == {"q": [PHRASE]}
        assert r["title"] == title_label(unit.doc)
        assert r["kind"] == unit.para.kind and r["section"] == " › ".join(unit.para.section)
        assert r["date"] == unit.doc.date and r["text"].lstrip("'") == unit.para.text


def test_title_column_names_the_place(client, oracle):
    rows = rows_csv(client.get("/export.csv", query_string={"q": PHRASE}))
    anonymous = [r for r in rows if r["title"].startswith("2024年XX")]
    assert anonymous and all(" · " in r["title"] and r["province"] in r["title"] for r in anonymous)


def test_export_is_uncapped_and_follows_mode_and_filters(client, oracle):
    lines = client.get("/export.jsonl", query_string={"q": "发展"}).get_data(as_text=True).splitlines()
    assert len(lines) == oracle.totals("发展")[0] > 100
    assert tuple(json.loads(lines[0])) == COLUMNS
    query = [("q", "养老服务"), ("mode", "words"), ("province", "江苏"), ("sort", "newest")]
    lines = client.get("/export.jsonl", query_string=query).get_data(as_text=True).splitlines()
    assert {json.loads(x)["id"] for x in lines} == oracle.ids("养老服务", "words", {"province": ["江苏"]})
    assert {json.loads(x)["province"] for x in lines} == {"江苏省"}


def test_formula_cells_are_neutralised():
    from web.export import _cell

    for formula in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "=HYPERLINK(\"http://x\")"):
        assert _cell(formula).startswith("'"), formula
    assert _cell("发展") == "发展" and _cell(None) == "" and _cell(2024) == "2024"


def test_empty_export_has_header_only(client):
    body = client.get("/export.csv", query_string={"q": '"没有这样的短语啊啊"'}).get_data(as_text=True)
    assert body.lstrip("\ufeff").splitlines() == [",".join(COLUMNS)]
    assert client.get("/export.jsonl", query_string={"q": '"没有这样的短语啊啊"'}).get_data() == b""


@pytest.mark.parametrize("query", [{"page": "abc"}, {"sort": "xyz"}, {"mode": "x"}, {"per_page": "0"}])
def test_export_bad_parameters(client, query):
    for path in ("/export.csv", "/export.jsonl"):
        assert client.get(path, query_string=query).status_code == 400


def test_unknown_value_exports_nothing_rather_than_failing(client):
    response = client.get("/export.jsonl", query_string={"q": "发展", "province": "火星"})
    assert response.status_code == 200 and response.get_data() == b""


def test_export_is_a_file_handed_to_the_server(web_app):
    # The finished export goes out as wsgi.file_wrapper: waitress sends it from its event loop and a
    # client that does not read holds no thread.
    with web_app.test_request_context("/export.csv", query_string={"q": "发展"}):
        response = web_app.full_dispatch_request()
        assert response.direct_passthrough and response.content_length > 1000
        response.close()


def test_per_client_limit_gives_429_in_chinese(web_app, client):
    gate = web_app.extensions[GATE_KEY]
    for _ in range(gate.per_client):
        gate.enter("127.0.0.1")
        gate.written()
    try:
        response = client.get("/export.csv", query_string={"q": PHRASE}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
        assert response.status_code == 429
        assert "导出" in response.get_data(as_text=True) and response.headers["Retry-After"]
        other = client.get("/export.csv", query_string={"q": PHRASE}, environ_base={"REMOTE_ADDR": "127.0.0.2"})
        assert other.status_code == 200
    finally:
        for _ in range(gate.per_client):
            gate.leave("127.0.0.1")
    assert client.get("/export.csv", query_string={"q": PHRASE}, environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200


def test_slots_are_freed_when_the_file_is_closed(web_app):
    gate = web_app.extensions[GATE_KEY]
    client = web_app.test_client()
    for _ in range(gate.per_client + 3):
        response = client.get("/export.jsonl", query_string={"q": PHRASE})
        assert response.status_code == 200
        response.get_data()
        response.close()
    assert gate.open["127.0.0.1"] == 0 and gate.writing == 0


def test_the_same_export_is_written_once_and_shared(web_app):
    from web.export import CACHE_KEY

    cache = web_app.extensions[CACHE_KEY]
    client = web_app.test_client()
    query = {"q": "高质量发展", "sort": "oldest"}
    first = client.get("/export.jsonl", query_string=query)
    body = first.get_data()
    first.close()
    def ours(key) -> bool:  # (generation, base URL, (request, extension))
        req = key[2][0]
        return getattr(req, "q", None) == "高质量发展" and req.sort == "oldest"

    spools = [s for k, s in cache.items.items() if ours(k)]
    assert len(spools) == 1
    second = client.get("/export.jsonl", query_string=query, environ_base={"REMOTE_ADDR": "127.0.0.9"})
    assert second.get_data() == body and len(body) == spools[0].size
    second.close()
    assert [s for k, s in cache.items.items() if ours(k)] == spools
    assert spools[0].readers == 0


def test_an_evicted_spool_closes_after_its_last_reader():
    import tempfile

    from web.export import Spool, SpoolCache

    cache = SpoolCache(entries=1, max_bytes=1 << 20)
    spools = []
    for key in ("a", "b"):
        f = tempfile.TemporaryFile()
        f.write(b"x" * 10)
        spool = Spool(f, 10)
        spool.take()  # a client is sending it
        cache.put(key, spool)
        spools.append(spool)
    first, second = spools
    assert cache.get("a") is None and not first.file.closed  # evicted, but still being sent
    first.drop()
    assert first.file.closed
    second.drop()
    assert not second.file.closed and cache.get("b") is second  # cached: kept open for the next client
    second.drop()


def test_a_file_nobody_reads_gives_its_slot_back_when_its_client_asks_again(web_app):
    """waitress's channel_timeout does not drop a client that stopped reading a response: its slot is
    reclaimed after the stall time, and the abandoned file then ends instead of reading on."""
    gate = web_app.extensions[GATE_KEY]
    client = web_app.test_client()
    addr = {"REMOTE_ADDR": "127.0.0.7"}
    held = [client.get("/export.csv", query_string={"q": q}, environ_base=addr) for q in ("发展", "改革")]
    assert [r.status_code for r in held] == [200, 200] and gate.open["127.0.0.7"] == gate.per_client
    files = list(gate.sending["127.0.0.7"])
    for f in files:
        f.read(10)  # a little was sent, then the client stopped reading
    assert client.get("/export.csv", query_string={"q": PHRASE}, environ_base=addr).status_code == 429
    for f in files:
        f.touched -= gate.stall + 1  # as if nothing had been read for longer than the stall time
    again = client.get("/export.csv", query_string={"q": PHRASE}, environ_base=addr)
    assert again.status_code == 200 and again.get_data().startswith("\ufeff".encode())
    assert all(f.abandoned and f.read(100) == b"" for f in files)
    for r in held + [again]:
        r.close()
    assert gate.open["127.0.0.7"] == 0


def test_the_same_export_is_not_written_twice_at_once(web_app, monkeypatch):
    """A second request for an export being written is refused (503) without taking a writer; once
    written, it is sent from the cache."""
    import threading

    import web.export as export

    gate = web_app.extensions[GATE_KEY]
    started, finish = threading.Event(), threading.Event()
    real = export._write

    def slow(write):
        started.set()
        finish.wait(10)
        return real(write)

    monkeypatch.setattr(export, "_write", slow)
    query = {"q": "深化改革", "sort": "oldest"}
    first: list = []
    thread = threading.Thread(target=lambda: first.append(
        web_app.test_client().get("/export.csv", query_string=query, environ_base={"REMOTE_ADDR": "127.0.0.21"})))
    thread.start()
    assert started.wait(10)
    second = web_app.test_client().get("/export.csv", query_string=query, environ_base={"REMOTE_ADDR": "127.0.0.22"})
    assert second.status_code == 503 and "正在生成" in second.get_data(as_text=True)
    assert gate.writing == 1  # only the first request's writer
    finish.set()
    thread.join(10)
    assert first[0].status_code == 200
    body = first[0].get_data()
    first[0].close()
    again = web_app.test_client().get("/export.csv", query_string=query, environ_base={"REMOTE_ADDR": "127.0.0.22"})
    assert again.status_code == 200 and again.get_data() == body
    again.close()
    assert gate.writing == 0
