"""JSON API: the same search as the HTML page, and whole documents."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from werkzeug.wrappers import Response

import search

from .core import facet_url, get_searcher, run_search

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
def search_api() -> Response:
    """The search page's result as JSON; each facet value carries the HTML page's toggle URL."""
    params, result = run_search(request.args)
    return jsonify(search.result_to_dict(result, facet_url=facet_url(params)))


@bp.get("/doc/<doc_id>")
def document_api(doc_id: str) -> Response:
    """A document's metadata, headings and paragraphs."""
    doc = get_searcher().document(doc_id)
    if doc is None:
        abort(404, description=f"没有编号为 {doc_id} 的文档")
    return jsonify(search.document_to_dict(doc))
