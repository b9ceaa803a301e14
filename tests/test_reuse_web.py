"""The reuse pages and their JSON and CSV twins answer from the same data, without JavaScript."""

from __future__ import annotations

import csv
import io

import pytest

from search import build_index, open_index
from search.reuse import views

from . import reuse_corpus


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    """(test client, searcher, corpus, file name → doc id) over the planted corpus."""
    from web import create_app

    root = tmp_path_factory.mktemp("reuse-web")
    corpus = reuse_corpus.build(root / "corpus", reports=16, plants=8)
    build_index([root / "corpus"], root / "index", progress=False)
    app = create_app({"INDEX_DIR": str(root / "index"), "TESTING": True})
    searcher = open_index(root / "index")
    ids = {d.source.split("/")[-1]: d.doc_id for d in searcher.catalog().documents}
    return app.test_client(), searcher, corpus, ids


def test_pairs_page_json_and_csv_agree(site) -> None:
    client, searcher, corpus, ids = site
    page = client.get("/reuse")
    assert page.status_code == 200 and "不同地方的报告" in page.get_data(as_text=True)
    assert b"<script>" not in page.data
    data = client.get("/api/reuse").get_json()
    assert data["total"] == len(corpus.pairs()) and len(data["pairs"]) == data["total"]
    rows = list(csv.DictReader(io.StringIO(client.get("/reuse.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == data["total"]
    assert [float(r["share"]) for r in rows] == [p["share"] for p in data["pairs"]]
    assert client.get("/api/reuse?year=1999").get_json()["total"] == 0
    assert client.get("/reuse?sort=nonsense").status_code == 400
    assert client.get("/api/reuse?page=0").status_code == 400


def test_doc_compare_and_similar_pages(site) -> None:
    client, searcher, corpus, ids = site
    plant = next(p for p in corpus.planted if p.kind == "verbatim")
    target, source = ids[plant.target], ids[plant.source]
    doc = client.get(f"/api/doc/{target}/reuse").get_json()
    assert source in [p["document"]["doc_id"] for p in doc["pairs"]]
    assert client.get(f"/doc/{target}/reuse").status_code == 200
    assert client.get(f"/doc/{target}/reuse.csv").status_code == 200
    compare = client.get(f"/api/reuse/compare?a={target}&b={source}").get_json()
    assert compare["passages"] >= 1 and any(plant.texts[0] == r["a_text"] for r in compare["rows"])
    html = client.get(f"/reuse/compare?a={target}&b={source}").get_data(as_text=True)
    assert "<mark>" in html
    para = next(x for x in searcher.document(target).document.paragraphs if x.text == plant.texts[0])
    similar = client.get(f"/api/p/{para.id}/similar").get_json()
    assert similar["others"] >= 1 and similar["items"][0]["document"]["doc_id"] == source
    assert "另见" in client.get(f"/p/{para.id}/similar").get_data(as_text=True)
    assert views.reuse_counts(searcher, [para.id]) == {para.id: similar["others"]}


def test_unknown_ids_and_missing_parameters(site) -> None:
    client, *_ = site
    assert client.get("/p/nothing-00000000/similar").status_code == 404
    assert client.get("/api/p/nothing-00000000/similar").status_code == 404
    assert client.get("/doc/nothing/reuse").status_code == 404
    assert client.get("/api/doc/nothing/reuse").get_json()["error"]
    assert client.get("/reuse/compare?a=x").status_code == 400
    assert client.get("/reuse/compare?a=x&b=y").status_code == 404


def test_hits_and_document_paragraphs_say_where_else_they_appear(site) -> None:
    """The "另见 N 处" line is on every document paragraph and hit that the reuse data lists, with its count."""
    import re

    client, searcher, corpus, ids = site
    shown = 0
    for doc in searcher.catalog().documents:
        view = searcher.document(doc.doc_id)
        expected = views.reuse_counts(searcher, [p.id for p in view.document.paragraphs])
        page = client.get(f"/doc/{doc.doc_id}").get_data(as_text=True)
        found = {pid: int(n) for pid, n in re.findall(r'href="/p/([^"/]+)/similar">另见 (\d+) 处', page)}
        assert found == expected
        shown += len(found)
    assert shown >= len(corpus.pairs())  # every planted copy shows somewhere
    one = next(pid for doc in searcher.catalog().documents
               for pid, n in views.reuse_counts(searcher, [p.id for p in searcher.document(doc.doc_id).document.paragraphs]).items())
    text = searcher.paragraph(one).text
    piece = max(text.split("，"), key=len)[:10]
    page = client.get("/search", query_string={"q": f'"{piece}"'}).get_data(as_text=True)
    assert f'href="/p/{one}/similar">另见' in page
    reports = client.get("/search", query_string={"q": f'"{piece}"', "view": "reports"}).get_data(as_text=True)
    assert f'href="/p/{one}/similar">另见' in reports  # the 按报告 view's best paragraph too
    api = client.get("/api/search", query_string={"q": f'"{piece}"'}).get_json()
    assert {h["id"]: h["similar"] for h in api["hits"]}[one] == views.reuse_counts(searcher, [one])[one]


def test_characters_missing_from_the_other_paragraph_are_marked_too() -> None:
    """A deletion leaves nothing of the other text to mark: a caret stands where the characters are missing."""
    from web.reuse import mark

    base, other = "开发（度假）园区管委会负责招商。", "开发（度假）区管委会负责招商引资。"
    spans = views.diff_spans(base, other)
    assert spans == [(6, 6), (14, 16)]  # 园 missing before 区; 引资 added
    html = str(mark(other, spans))
    assert html == '开发（度假）<mark class="gap" title="此处少了另一段中的文字">‸</mark>区管委会负责招商<mark>引资</mark>。'
    assert views.diff_spans(base, base) == []
