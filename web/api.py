"""JSON twins of every page: the same code path, the same data the templates render."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, abort, jsonify, request
from werkzeug.wrappers import Response

import search
from search.serialize import document_to_dict, reports_to_dict, result_to_dict
from search.service import document_of

from .core import get_searcher, read_params, run_reports, run_search
from .labels import absolute, kind_label, permalink_path, safe_url, title_label
from .params import SearchParams, parse_id, parse_mode, parse_q
from .views import chips, hit_view, reading, similar_counts, to_json

bp = Blueprint("api", __name__, url_prefix="/api")


def _links(params: SearchParams, total: int) -> dict[str, Any]:
    return {
        "page": params.url("/search"),
        "json": params.url("/api/search"),
        "paragraphs": params.with_view("paragraphs").url(),
        "reports": params.with_view("reports").url(),
        "other_mode": params.with_mode("words" if params.mode == "exact" else "exact").url(),
        "csv": params.with_page(1).url("/export.csv") if total else None,
        "jsonl": params.with_page(1).url("/export.jsonl") if total else None,
    }


def _search(params: SearchParams) -> dict[str, Any]:
    from .core import selects

    result = run_search(params)
    chosen = selects(result)
    data = result_to_dict(result, facet_url=lambda name, value: params.toggled_url(name, value, chosen.get(name)))
    similar = similar_counts([h.id for h in result.hits])
    for raw, view in zip(data["hits"], (hit_view(h, params, similar.get(h.id, 0)) for h in result.hits)):
        raw.update(title_label=view.title, kind_label=view.kind_label, html=str(view.html), url=view.doc_url,
                   permalink=view.absolute, similar=view.similar)
    data["params"] = dict(params.items())
    data["links"] = _links(params, result.total)
    data["reading"] = to_json(reading(params, result.query, result.total))
    data["chips"] = to_json(chips(params, result.filters))
    return data


def _reports(params: SearchParams) -> dict[str, Any]:
    result = run_reports(params)
    data = reports_to_dict(result)
    similar = similar_counts([r.best.id for r in result.reports])
    for raw, r in zip(data["reports"], result.reports):
        view = hit_view(r.best, params, similar.get(r.best.id, 0))
        raw["title_label"] = title_label(r.document)
        raw["url"] = view.doc_url
        raw["paragraphs_url"] = params.in_document(r.document.doc_id).url()
        raw["best"].update(title_label=view.title, kind_label=view.kind_label, html=str(view.html),
                           permalink=view.absolute, similar=view.similar)
    data["params"] = dict(params.items())
    data["links"] = _links(params, result.paragraphs)
    data["reading"] = to_json(reading(params, result.query, result.paragraphs))
    data["chips"] = to_json(chips(params, result.filters))
    return data


@bp.get("/search")
def search_api() -> Response:
    """The search page as JSON (view=reports: the 按报告 page); facet values carry the page's toggle URL."""
    _given, params = read_params(request.args)
    return jsonify(_reports(params) if params.view == "reports" else _search(params))


@bp.get("/reports")
def reports_api() -> Response:
    """The 按报告 page as JSON: each report with its number of hits and best paragraph."""
    _given, params = read_params(request.args)
    return jsonify(_reports(replace(params, view="reports")))


@bp.get("/doc/<doc_id>")
def document_api(doc_id: str) -> Response:
    """A document's metadata and paragraphs; with q, the ranges to mark and the matching paragraphs in order."""
    doc_id = parse_id(doc_id)
    q, mode = parse_q(request.args), parse_mode(request.args)
    view = get_searcher().document(doc_id, q, mode)
    if view is None:
        abort(404, description=f"没有编号为 {doc_id} 的文档。")
    data = document_to_dict(view)
    data["title_label"] = title_label(view.document)
    data["url"] = safe_url(view.document.url)
    for p in data["paragraphs"]:
        p["kind_label"] = kind_label(p["kind"])
        p["url"] = permalink_path(p["id"], q, mode)
        p["permalink"] = absolute(p["url"])
    return jsonify(data)


@bp.get("/p/<paragraph_id>")
def paragraph_api(paragraph_id: str) -> Response:
    """One paragraph with its document's metadata and ranges to mark; a gone paragraph names its document."""
    paragraph_id = parse_id(paragraph_id, "id")
    q, mode = parse_q(request.args), parse_mode(request.args)
    hit = get_searcher().paragraph(paragraph_id, q, mode)
    if hit is None:
        doc = document_of(get_searcher().catalog(), paragraph_id)
        body: dict[str, Any] = {"error": f"没有编号为 {paragraph_id} 的段落。"}
        if doc is not None:
            body["error"] += "它所在的报告还在，可能在索引更新后改动过。"
            body["document"] = {**doc.metadata(), "title_label": title_label(doc), "url": safe_url(doc.url)}
            body["document_url"] = f"/doc/{doc.doc_id}"
        return jsonify(body), 404  # type: ignore[return-value]
    data = hit.to_dict()
    data["document"]["url"] = safe_url(hit.document.url)
    data.update(
        title_label=title_label(hit.document), kind_label=kind_label(hit.kind),
        url=f"/doc/{hit.doc_id}#p-{hit.id}", permalink=absolute(permalink_path(hit.id, q, mode)),
    )
    return jsonify(data)


@bp.get("/stats")
def stats_api() -> Response:
    """The home page's figures: documents, paragraphs, generation."""
    return jsonify(get_searcher().stats())


__all__ = ["bp", "search"]
