"""Text reuse pages, each with a JSON twin under /api (and CSV where it is a table). No JavaScript needed.

    /p/<id>/similar            where else a paragraph appears, earliest first      /api/p/<id>/similar
    /doc/<id>/reuse            the reports a report shares the most text with       /api/doc/<id>/reuse, /doc/<id>/reuse.csv
    /reuse/compare?a=&b=       two reports side by side, shared passages aligned    /api/reuse/compare?a=&b=
    /reuse                     the strongest pairs of different places              /api/reuse, /reuse.csv
"""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from search.reuse import views

from .core import get_searcher
from .labels import absolute

bp = Blueprint("reuse", __name__)

PER_PAGE = 50
MAX_PER_PAGE = 500
CSV_ROWS = 10_000  # the weak tail (a slogan or two in common) is not worth a 10 MB download
FILTERS = ("province", "level", "year")
PAIR_COLUMNS = ("share", "share_a", "share_b", "chars", "passages", "earlier", "a_title", "a_place", "a_level",
                "a_year", "a_date", "a_url", "b_title", "b_place", "b_level", "b_year", "b_date", "b_url", "compare_url")


def mark(text: str, spans: list[tuple[int, int]]) -> Markup:
    """Text with its ranges in <mark>, everything escaped; an empty range (characters missing here) as a caret."""
    out, cursor = [], 0
    for start, end in spans:
        out.append(str(escape(text[cursor:start])))
        if end > start:
            out.append(f"<mark>{escape(text[start:end])}</mark>")
        else:
            out.append('<mark class="gap" title="此处少了另一段中的文字">‸</mark>')
        cursor = end
    out.append(str(escape(text[cursor:])))
    return Markup("".join(out))


def _int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(400, description=f"参数 {name} 必须是整数")
    if not low <= value <= high:
        abort(400, description=f"参数 {name} 必须在 {low} 到 {high} 之间")
    return value


def _pairs_args() -> tuple[dict[str, list[str]], str, int, int]:
    filters = {name: [v.strip() for v in request.args.getlist(name) if v.strip()][:50] for name in FILTERS}
    sort = request.args.get("sort") or "share"
    if sort not in views.SORTS:
        abort(400, description="排序只能是 share（占比）或 chars（字数）")
    return filters, sort, _int("page", 1, 1, 100_000), _int("per_page", PER_PAGE, 1, MAX_PER_PAGE)


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


# -- where else does this paragraph appear ---------------------------------------------------------------

@bp.get("/p/<paragraph_id>/similar")
def similar_page(paragraph_id: str) -> str:
    """The paragraph and its identical or near-identical paragraphs in other reports, earliest first."""
    result = views.similar(get_searcher(), paragraph_id)
    if result is None:
        abort(404, description=f"没有编号为 {paragraph_id} 的段落")
    return render_template("reuse/similar.html", result=result, mark=mark, pct=_pct)


@bp.get("/api/p/<paragraph_id>/similar")
def similar_api(paragraph_id: str) -> Response:
    """JSON twin of the similar page."""
    result = views.similar(get_searcher(), paragraph_id)
    if result is None:
        abort(404, description=f"没有编号为 {paragraph_id} 的段落")
    return jsonify(result.to_dict())


# -- which reports a report borrows from ---------------------------------------------------------------------

def _doc_reuse(doc_id: str) -> views.DocReuse:
    result = views.doc_reuse(get_searcher(), doc_id)
    if result is None:
        abort(404, description=f"没有编号为 {doc_id} 的文档")
    return result


@bp.get("/doc/<doc_id>/reuse")
def doc_page(doc_id: str) -> str:
    """Reports sharing the most text with this one."""
    return render_template("reuse/doc.html", result=_doc_reuse(doc_id), pct=_pct)


@bp.get("/api/doc/<doc_id>/reuse")
def doc_api(doc_id: str) -> Response:
    """JSON twin of the report's reuse page."""
    return jsonify(_doc_reuse(doc_id).to_dict())


@bp.get("/doc/<doc_id>/reuse.csv")
def doc_csv(doc_id: str) -> Response:
    """CSV twin of the report's reuse page."""
    result = _doc_reuse(doc_id)
    rows = [{
        "share": round(p.share, 4), "other_share": round(p.other_share, 4), "chars": p.chars, "passages": p.passages,
        "earlier": p.earlier, "same_place": int(p.same_place), "title": p.document.title, "place": p.place,
        "level": p.document.level, "year": p.document.year or "", "date": p.document.date,
        "url": absolute(url_for("reuse.doc_page", doc_id=p.document.doc_id)),
    } for p in result.pairs]
    columns = ("share", "other_share", "chars", "passages", "earlier", "same_place", "title", "place", "level", "year", "date", "url")
    return _csv(rows, columns, f"reuse-{doc_id}.csv")


# -- two reports side by side --------------------------------------------------------------------------------

def _comparison() -> views.Comparison:
    a, b = request.args.get("a", "").strip(), request.args.get("b", "").strip()
    if not a or not b:
        abort(400, description="请用 a 和 b 两个参数给出两份报告的编号")
    result = views.compare(get_searcher(), a, b)
    if result is None:
        abort(404, description="没有这两份报告中的一份")
    return result


@bp.get("/reuse/compare")
def compare_page() -> str:
    """Two reports side by side, the shared passages aligned and marked."""
    return render_template("reuse/compare.html", result=_comparison(), mark=mark, pct=_pct)


@bp.get("/api/reuse/compare")
def compare_api() -> Response:
    """JSON twin of the side-by-side page."""
    return jsonify(_comparison().to_dict())


# -- the strongest pairs ----------------------------------------------------------------------------------------

@bp.get("/reuse")
def pairs_page() -> str:
    """The pairs of reports of different places sharing the most text, filterable by province, level, year."""
    filters, sort, page, per_page = _pairs_args()
    result = views.top_pairs(get_searcher(), filters, sort, page, per_page)
    catalog = get_searcher().catalog()

    def url(**change: object) -> str:
        state = {"sort": sort, "page": page, **change}
        args: list[tuple[str, object]] = [(k, v) for k in FILTERS for v in filters.get(k, [])]
        if state["sort"] != "share":
            args.append(("sort", state["sort"]))
        if state["page"] != 1:
            args.append(("page", state["page"]))
        return url_for("reuse.pairs_page") + ("?" + urlencode(args) if args else "")

    return render_template(
        "reuse/pairs.html", result=result, pct=_pct, filters=filters, sort=sort, url=url,
        provinces=catalog.values.get("province", []), levels=catalog.values.get("level", []),
        csv_url=url_for("reuse.pairs_csv") + ("?" + request.query_string.decode() if request.query_string else ""),
        json_url=url_for("reuse.pairs_api") + ("?" + request.query_string.decode() if request.query_string else ""),
    )


@bp.get("/api/reuse")
def pairs_api() -> Response:
    """JSON twin of the pairs page."""
    filters, sort, page, per_page = _pairs_args()
    return jsonify(views.top_pairs(get_searcher(), filters, sort, page, per_page).to_dict())


@bp.get("/reuse.csv")
def pairs_csv() -> Response:
    """CSV twin of the pairs page (the strongest CSV_ROWS pairs under the filters)."""
    filters, sort, _page, _per_page = _pairs_args()
    result = views.top_pairs(get_searcher(), filters, sort, 1, CSV_ROWS)
    base = absolute("")  # the configured public base URL, never the request's Host
    rows = []
    for r in result.rows:
        row = {"share": round(r.share, 4), "share_a": round(r.share_a, 4), "share_b": round(r.share_b, 4),
               "chars": r.chars, "passages": r.passages, "earlier": r.earlier,
               "compare_url": base + url_for("reuse.compare_page", a=r.a.doc_id, b=r.b.doc_id)}
        for side, doc, place in (("a", r.a, r.place_a), ("b", r.b, r.place_b)):
            row.update({f"{side}_title": doc.title, f"{side}_place": place, f"{side}_level": doc.level,
                        f"{side}_year": doc.year or "", f"{side}_date": doc.date,
                        f"{side}_url": base + url_for("reuse.doc_page", doc_id=doc.doc_id)})
        rows.append(row)
    return _csv(rows, PAIR_COLUMNS, "reuse-pairs.csv")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a cell as a formula


def _csv(rows: list[dict], columns: tuple[str, ...], filename: str) -> Response:
    out = io.StringIO()
    out.write("\ufeff")  # Excel reads UTF-8 only with a BOM
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v) for k, v in row.items()})
    return Response(out.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
