"""HTML pages: search (paragraphs or reports), document, paragraph permalink. They work without JavaScript."""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from flask import Blueprint, abort, redirect, render_template, request
from markupsafe import Markup
from werkzeug.wrappers import Response

from search.fields import MODE_LABELS
from search.service import document_of

from .core import get_searcher, read_params, run_reports, run_search
from .labels import absolute, citation, highlighted, kind_label, permalink_path, place, safe_url, title_label
from .params import SearchParams, parse_id, parse_mode, parse_q
from .views import reports_view, search_view, similar_counts

bp = Blueprint("pages", __name__)


def _canonical_redirect(given: SearchParams, canonical: SearchParams, path: str) -> Response | None:
    # Relative Location: the host a client used is never written back (it is not trusted).
    if canonical != given:
        return redirect(canonical.url(path), code=302)
    return None


@bp.get("/")
@bp.get("/search")
def search_page() -> str | Response:
    """Results for q and the filters (paragraphs, or reports with view=reports); with neither, the home page."""
    given, params = read_params(request.args)
    moved = _canonical_redirect(given, params, "/search")
    if moved is not None:
        return moved
    if not params.q and not params.has_filters():
        return home(params)
    if params.view == "reports":
        facets = run_search(replace(params, page=1, per_page=1, view="paragraphs"))
        return render_template("reports.html", **reports_view(params, run_reports(params), facets))
    return render_template("search.html", **search_view(params, run_search(params)))


@bp.get("/reports")
def reports_page() -> Response:
    """The 按报告 view under its own path: the same page as /search?view=reports."""
    given, params = read_params(request.args)
    return redirect(replace(params, view="reports").url("/search"), code=302)


# Examples that show what the page explains: exact by default and how many more the words find,
# a phrase that does not occur as typed (the page says why and offers what does), quotes inside a
# phrase, a filter typed in the box, boolean operators.
EXAMPLES: tuple[tuple[str, str], ...] = (
    ("养老服务", "不加引号也按原文精确匹配，并告诉你分词后还能多找到几段"),
    ("十四五规划", "原样找不到时说明原因，给出能找到的说法"),
    ("“十四五”规划", "引号在词中间时按原文匹配"),
    ("新质生产力 省:江苏", "在检索框里写筛选条件"),
    ("营商环境 OR 民营经济", "任一即可"),
    ("乡村振兴 -旅游", "排除"),
)


def home(params: SearchParams) -> str:
    """The search box, corpus figures, examples and a facet overview."""
    from .views import facet_groups

    result = run_search(params)
    examples = [(q, SearchParams(q=q).url(), note) for q, note in EXAMPLES]
    return render_template(
        "home.html", stats=get_searcher().stats(), facets=facet_groups(params, result.facets, {}), params=params,
        examples=examples,
    )


@dataclass
class Block:
    """One paragraph of a document page (title, front line, heading, body, row, note), in reading order."""

    id: str
    kind: str
    kind_label: str
    level: int
    html: Markup
    section: str
    permalink: str  # absolute, carries the query
    citation: str
    match: int = 0  # 1-based number among the matches, 0 when it does not match
    prev_id: str = ""
    next_id: str = ""
    similar: int = 0  # other reports holding the same or a near-identical paragraph


@bp.get("/doc/<doc_id>")
def document(doc_id: str) -> str:
    """A whole document: sticky title bar, every paragraph anchored as #p-<id>, the query's matches
    highlighted and numbered with previous/next links, a box searching this document only."""
    doc_id = parse_id(doc_id)
    given, params = read_params(request.args)
    gone = parse_id(request.args.get("gone"), "gone")
    view = get_searcher().document(doc_id, params.q, params.mode)
    if view is None:
        abort(404, description=f"没有编号为 {doc_id} 的文档。")
    doc = view.document
    order = {pid: i for i, pid in enumerate(view.matches)}
    similar = similar_counts([p.id for p in doc.paragraphs])
    blocks: list[Block] = []
    for para in doc.paragraphs:
        link = absolute(permalink_path(para.id, params.q, params.mode))
        n = order.get(para.id)
        blocks.append(Block(
            para.id, para.kind, kind_label(para.kind), para.level, highlighted(para.text, view.spans.get(para.id, [])),
            " › ".join(para.section), link, citation(doc, para.section, link),
            match=0 if n is None else n + 1,
            prev_id=view.matches[n - 1] if n else "",
            next_id=view.matches[n + 1] if n is not None and n + 1 < len(view.matches) else "",
            similar=similar.get(para.id, 0),
        ))
    # The box searches this document; the results page it came from rides along (its query and mode
    # as sq/smode, its filters, sort and page as they are) so "返回检索结果" still goes back there.
    came = {"q": request.args.get("sq"), "mode": request.args.get("smode")} if "sq" in request.args else None
    results = replace(params, q=parse_q(came), mode=parse_mode(came)) if came else params
    back = results.url("/search") if (results.q or results.has_filters()) else None
    keep = [(k, v) for k, v in results.items() if k not in ("q", "mode")]
    if back:
        keep += [("sq", results.q)] + ([("smode", results.mode)] if results.mode != "exact" else [])
    return render_template(
        "document.html", doc=doc, title=title_label(doc), place=place(doc), blocks=blocks, params=params,
        back_url=back, keep=keep, matches=view.matches, source_url=safe_url(doc.url),
        toc=[b for b in blocks if b.kind == "heading" and b.level <= 1], gone=gone, mode_label=MODE_LABELS[params.mode],
        clear_url=f"/doc/{doc_id}" + (f"?{urlencode(keep)}" if keep else ""),
        reading=view.query, json_url=f"/api/doc/{doc_id}" + (f"?{urlencode(params.items())}" if params.items() else ""),
        whole_url=SearchParams(q=params.q, mode=params.mode).in_document(doc_id).url() if params.q else None,
    )


@bp.get("/p/<paragraph_id>")
def paragraph(paragraph_id: str) -> Response:
    """Permalink: 302 to the paragraph in its document (title bar above it), carrying the query.

    An id the index no longer has (a link made before a rebuild) still lands in its document when
    that exists, with a message; otherwise 404.
    """
    paragraph_id = parse_id(paragraph_id, "id")
    q = parse_q(request.args)
    mode = parse_mode(request.args)
    args = [("q", q)] if q else []
    if q and mode != "exact":
        args.append(("mode", mode))
    hit = get_searcher().paragraph(paragraph_id, q, mode)
    if hit is None:
        doc = document_of(get_searcher().catalog(), paragraph_id)
        if doc is None:
            abort(404, description=f"没有编号为 {paragraph_id} 的段落。")
        return redirect(f"/doc/{doc.doc_id}?" + urlencode([*args, ("gone", paragraph_id)]), code=302)
    query = f"?{urlencode(args)}" if args else ""
    return redirect(f"/doc/{hit.doc_id}{query}#p-{hit.id}", code=302)
