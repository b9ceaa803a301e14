"""HTML pages: search, document, paragraph permalink. They work without JavaScript."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

import search

from .core import absolute, citation, get_searcher, page_view, place, run_search
from .params import FACET_LABELS, SearchParams, parse_q

bp = Blueprint("pages", __name__)


@bp.get("/")
@bp.get("/search")
def search_page() -> str:
    """Results for q and the filters; with neither, the search box, corpus stats and a facet overview."""
    params, result = run_search(request.args)
    if not params.q and not params.has_filters():
        view = page_view(params, result)
        return render_template("home.html", stats=get_searcher().stats(), facets=view["facets"], params=params)
    return render_template("search.html", **page_view(params, result))


@dataclass
class Block:
    """One item of a document page: a heading or a paragraph, in reading order."""

    kind: str  # "heading" or "paragraph"
    text: str  # heading text, or the paragraph's highlighted HTML (escaped, <mark> only)
    level: int = 0
    id: str = ""
    section: str = ""
    permalink: str = ""
    citation: str = ""


@bp.get("/doc/<doc_id>")
def document(doc_id: str) -> str:
    """A whole document, every paragraph anchored as #p-<id>, the query's terms highlighted."""
    q = parse_q(request.args)
    doc = get_searcher().document(doc_id)
    if doc is None:
        abort(404, description=f"没有编号为 {doc_id} 的文档")
    strings = search.needles(search.parse_query(q).positive) if q else []
    where = place(doc)
    headings = sorted(doc.headings, key=lambda h: h.before)
    blocks: list[Block] = []
    h = 0
    for para in doc.paragraphs:
        # A heading's `before` is the ordinal of the first paragraph after it.
        while h < len(headings) and headings[h].before <= para.ordinal:
            blocks.append(Block("heading", headings[h].text, level=headings[h].level, id=f"h-{h}"))
            h += 1
        section = " › ".join(para.section)
        link = absolute(search.permalink(para.id))
        blocks.append(Block(
            "paragraph", search.highlight(para.text, strings), id=para.id, section=section,
            permalink=link, citation=citation(doc.title, where, doc.year, section, link),
        ))
    blocks.extend(Block("heading", x.text, level=x.level, id=f"h-{i}") for i, x in enumerate(headings[h:], h))
    back = SearchParams(q=q).url() if q else None
    return render_template(
        "document.html", doc=doc, place=where, blocks=blocks, q=q, back_url=back,
        toc=[b for b in blocks if b.kind == "heading" and b.level == 1], facet_labels=FACET_LABELS,
    )


@bp.get("/p/<paragraph_id>")
def paragraph(paragraph_id: str) -> Response:
    """Permalink: 302 to the paragraph in its document, carrying q when given."""
    q = parse_q(request.args)
    hit = get_searcher().paragraph(paragraph_id)
    if hit is None:
        abort(404, description=f"没有编号为 {paragraph_id} 的段落")
    target = url_for("pages.document", doc_id=hit.doc_id, q=q or None) + f"#p-{hit.id}"
    return redirect(target, code=302)
