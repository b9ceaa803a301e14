"""Results and documents as plain data for the templates and the JSON twins.

Facets follow datasette's pattern: each value carries its label, counts, whether it is selected and
the URL that toggles it, computed once here; templates only render, and the API serialises the same
objects. No URL is built in a template.
"""

from __future__ import annotations

from urllib.parse import urlencode

from dataclasses import asdict, dataclass, field
from typing import Any

from markupsafe import Markup

import search
from search.catalog import field_label
from search.fields import FACETS, MODE_LABELS, SORT_LABELS, SORTS

from . import charts
from .core import get_searcher, selects, without_typed_filter
from .labels import absolute, citation, highlighted, kind_label, permalink_path, place, title_label
from .params import COUNT_LABELS, SearchParams


@dataclass
class Link:
    """A labelled link; `current` marks the one in effect."""

    label: str
    url: str
    current: bool = False
    count: int | None = None


@dataclass
class FacetLink:
    """A facet value as the sidebar shows it: both counts and the URL that toggles it."""

    value: str
    label: str
    count: int  # paragraphs
    documents: int  # reports
    selected: bool
    known: bool
    url: str


@dataclass
class FacetGroup:
    """One facet with its values."""

    name: str
    label: str
    values: list[FacetLink]


@dataclass
class Chip:
    """A filter in effect, with the URL that removes it; an unknown value says so (0 hits)."""

    field: str
    field_label: str
    label: str
    url: str
    known: bool = True
    typed: bool = False


@dataclass
class HitView:
    """One hit as a list shows it."""

    id: str
    doc_id: str
    kind: str
    kind_label: str
    title: str  # with the place when the title lacks it
    place: str
    year: int | None
    type: str
    level: str
    section: str
    html: Markup  # escaped text with <mark>
    doc_url: str  # the paragraph in its document, with the search state for "返回检索结果"
    permalink: str  # relative, carries the query
    absolute: str  # the same under the public base URL (copy link, citation)
    citation: str
    similar: int = 0  # other reports holding the same or a near-identical paragraph (text reuse)


@dataclass
class SuggestionLink:
    """Something to try instead, as a link."""

    kind: str
    text: str
    count: int
    url: str


@dataclass
class Reading:
    """How the query was read, in sentences, with the links to the other reading and the suggestions."""

    mode: str
    mode_label: str
    terms: list[dict[str, Any]]
    excluded: list[str]
    operators: list[str]
    messages: list[str]
    loose: int | None
    loose_documents: int | None
    other_mode_url: str
    why: list[str] = field(default_factory=list)
    suggestions: list[SuggestionLink] = field(default_factory=list)
    structure: str = ""  # how the terms combine when OR is among them (the terms list then joins with 、)


def similar_counts(ids: list[str]) -> dict[str, int]:
    """Paragraph id → how many other reports hold it or a near-identical one (the reuse data; {} without it)."""
    from search.reuse.views import reuse_counts

    return reuse_counts(get_searcher(), ids)


def hit_view(hit: search.Hit, params: SearchParams, similar: int = 0) -> HitView:
    """A hit with its labels, highlighted HTML and links."""
    doc = hit.document
    rel = permalink_path(hit.id, params.q, params.mode)
    link = absolute(rel)
    doc_url = params.url(f"/doc/{hit.doc_id}") + f"#p-{hit.id}"
    return HitView(
        hit.id, hit.doc_id, hit.kind, kind_label(hit.kind), title_label(doc), place(doc), doc.year, doc.type,
        doc.level, " › ".join(hit.section), highlighted(hit.text, hit.spans), doc_url, rel, link,
        citation(doc, hit.section, link), similar,
    )


def facet_groups(params: SearchParams, facets: dict[str, list[search.FacetValue]],
                 chosen: dict[str, dict[str, tuple[str, ...]]],
                 filters: list[search.FilterValue] = ()) -> list[FacetGroup]:
    """The sidebar: every facet, each value with both counts and its toggle URL."""
    # A value chosen by a filter that stays typed in the box (inside parentheses): unchecking it takes
    # that filter out of the query; a toggle would add the value to the URL instead.
    in_box = {(f.field, v): f.raw for f in filters if f.typed and f.raw not in params.values(f.field) for v in f.values}

    def toggle(name: str, fv: search.FacetValue) -> str:
        raw = in_box.get((name, fv.value))
        if raw is not None:
            return params.with_query(without_typed_filter(params.q, name, raw)).url()
        return params.toggled_url(name, fv.value, chosen.get(name))

    return [
        FacetGroup(name, field_label(name), [
            FacetLink(fv.value, value_label(name, fv.value), fv.count, fv.documents, fv.selected, fv.known,
                      toggle(name, fv))
            for fv in facets.get(name, [])
        ])
        for name in FACETS
    ]


def value_label(name: str, value: str) -> str:
    """How a facet value reads on the page."""
    return f"{value}年" if name == "year" and value.isdigit() else value


def chips(params: SearchParams, filters: list[search.FilterValue]) -> list[Chip]:
    """The filters in effect (from the URL or typed in the box), each removable."""
    out = []
    for flt in filters:
        label = flt.label if flt.known else f"{flt.raw}（本索引中没有）"
        if flt.raw in params.values(flt.field):
            url = params.toggled(flt.field, flt.raw).url()
        else:  # typed in the box and kept there (inside parentheses): take it out of the query
            url = params.with_query(without_typed_filter(params.q, flt.field, flt.raw)).url()
        out.append(Chip(flt.field, field_label(flt.field), label, url, flt.known, flt.typed))
    if params.doc:
        doc = get_searcher().catalog().by_id.get(params.doc)
        known = doc is not None
        label = title_label(get_searcher().catalog().documents[doc]) if known else f"{params.doc}（本索引中没有）"
        out.append(Chip("doc", "报告", label, params.without("doc").url(), known))
    return out


def reading(params: SearchParams, info: search.QueryInfo, total: int) -> Reading:
    """The query as the page explains it (see the module docstring of search.interpret)."""
    terms = []
    for term in info.terms:
        if term.exact:
            how = "引号内原样匹配" if term.quoted else "原样匹配"
            terms.append({"text": term.text, "exact": True, "how": how, "words": term.words})
        else:
            terms.append({"text": term.text, "exact": False, "how": "各词须同在一段，不必相连", "words": term.words})
    operators = {"OR": "OR：任一即可", "AND": "AND：都要出现", "NOT": "NOT / -：排除"}
    other = params.with_mode("words" if params.mode == "exact" else "exact").url()
    out = Reading(
        params.mode, MODE_LABELS[params.mode], terms, info.excluded, [operators.get(o, o) for o in info.operators],
        list(info.messages), info.loose, info.loose_documents, other, structure=info.structure,
    )
    loosened = [t for t in info.terms if not t.quoted and tuple(t.words) != (t.text,) and t.words]
    if params.mode == "exact" and info.loose and info.suggestions:  # few found: say why, next to what to try
        words = "；".join(f"“{t.text}”拆为 {' / '.join(t.words)}" for t in loosened)
        split = f"{words}，这些词" if words else "检索词的各个分词"
        out.why.append(f"精确检索要求原样出现；{split}分开出现的段落另有 {info.loose} 段。")
    if total == 0 and not info.loose and info.terms:
        where = "在当前筛选条件下" if params.has_filters() else "在本索引中"
        out.why.append(f"{where}没有段落包含这些检索词。")
    for s in info.suggestions:
        text = {
            "words": f"按分词检索“{s.text}”",
            "part": f"只检索其中出现过的“{s.text}”",
            "spelling": f"您是不是要找“{s.text}”",
        }.get(s.kind, s.text)
        out.suggestions.append(SuggestionLink(s.kind, text, s.count, params.with_query(s.q, s.mode).url()))
    return out


def sort_links(params: SearchParams) -> list[Link]:
    """One link per sort order."""
    # Without query text "relevance" means nothing and the page is newest first: say so.
    current = "newest" if params.sort == "relevance" and not params.q else params.sort
    return [Link(SORT_LABELS[s], params.with_sort(s).url(), s == current) for s in SORTS]


def page_links(params: SearchParams, pages: int, window: int = 2) -> list[Link | None]:
    """Page number links around the current page, first and last always; None marks a gap."""
    wanted = {1, pages, *range(params.page - window, params.page + window + 1)}
    numbers = sorted(n for n in wanted if 1 <= n <= pages)
    out: list[Link | None] = []
    previous = 0
    for n in numbers:
        if n - previous > 1:
            out.append(None)
        out.append(Link(str(n), params.with_page(n).url(), n == params.page))
        previous = n
    return out


def result_charts(params: SearchParams, result: search.SearchResult,
                  chosen: dict[str, dict[str, tuple[str, ...]]]) -> list[charts.Chart]:
    """Hits by province and by year, counting what the URL's `count` asks for."""
    def toggle(name: str, value: str) -> str:
        return params.toggled_url(name, value, chosen.get(name))

    # The years from the first to the last where the query occurs, or that the filter chose, zeros
    # between them included (the index's whole span, 1954–2026, left a phrase of 2024 three slivers).
    facet = result.facets.get("year", [])
    years = [int(fv.value) for fv in facet if fv.known and (fv.count or fv.selected)]
    out = []
    provinces = result.facets.get("province", [])
    if any(fv.count for fv in provinces):
        out.append(charts.province_chart(provinces, params.count, toggle, get_searcher().catalog().values["province"]))
    if years and result.total:
        out.append(charts.year_chart(result.facets.get("year", []), years, params.count, toggle))
    return out


def common(params: SearchParams, result: search.SearchResult | search.ReportResult, total: int, documents: int) -> dict:
    """What the paragraph and report views share: reading, chips, sorts, views, exports."""
    return {
        "params": params,
        "reading": reading(params, result.query, total),
        "chips": chips(params, result.filters),
        "clear_url": SearchParams(q=params.q, mode=params.mode, sort=params.sort, view=params.view).url()
        if params.has_filters() else None,
        "sorts": sort_links(params),
        "views": [Link("按段落", params.with_view("paragraphs").url(), params.view == "paragraphs", total),
                  Link("按报告", params.with_view("reports").url(), params.view == "reports", documents)],
        "exports": [Link("CSV", params.with_page(1).url("/export.csv")),
                    Link("JSONL", params.with_page(1).url("/export.jsonl"))] if total else [],
        # Inside one report the views (over places and years) would silently widen the selection.
        "research": research_links(params) if params.q and total and not params.doc else [],
        "total": total,
        "documents": documents,
        "json_url": params.url("/api/search"),
    }


def research_links(params: SearchParams) -> list[Link]:
    """The research views of the same selection (query, mode, filters) and its feed."""
    same = SearchParams(q=params.q, filters=params.filters, mode=params.mode)
    compare = SearchParams(filters=params.filters, mode=params.mode).items()
    return [
        Link("趋势（地区 × 年份）", same.url("/trend")),
        Link("首次出现与扩散", same.url("/first")),
        Link("语境索引", same.url("/kwic")),
        Link("词语对比", "/compare?" + urlencode([("terms", params.q), *compare])),
        Link("订阅（Atom）", same.url("/search.atom")),
    ]


def search_view(params: SearchParams, result: search.SearchResult) -> dict:
    """Everything the paragraph results template renders, as plain data."""
    chosen = selects(result)
    similar = similar_counts([h.id for h in result.hits])
    pages = result.pages
    first = (params.page - 1) * params.per_page + 1
    return {
        **common(params, result, result.total, result.documents),
        "result": result,
        "hits": [hit_view(h, params, similar.get(h.id, 0)) for h in result.hits],
        "facets": facet_groups(params, result.facets, chosen, result.filters),
        "charts": result_charts(params, result, chosen),
        "counts": [Link(f"按{label}计", params.with_count(c).url(), c == params.count)
                   for c, label in COUNT_LABELS.items()],
        "pages": page_links(params, pages) if pages > 1 else [],
        "prev_url": params.with_page(params.page - 1).url() if params.page > 1 else None,
        "next_url": params.with_page(params.page + 1).url() if params.page < pages else None,
        "first": first,
        "last": first + len(result.hits) - 1,
    }


@dataclass
class ReportView:
    """One matching report: its title, count, best paragraph and the link to its paragraphs."""

    doc_id: str
    title: str
    place: str
    year: int | None
    type: str
    count: int
    best: HitView
    paragraphs_url: str


def reports_view(params: SearchParams, result: search.ReportResult, facets_result: search.SearchResult) -> dict:
    """Everything the 按报告 template renders."""
    chosen = selects(facets_result)
    pages = result.pages
    similar = similar_counts([r.best.id for r in result.reports])
    reports = [
        ReportView(r.document.doc_id, title_label(r.document), place(r.document), r.document.year, r.document.type,
                   r.count, hit_view(r.best, params, similar.get(r.best.id, 0)),
                   params.in_document(r.document.doc_id).url())
        for r in result.reports
    ]
    first = (params.page - 1) * params.per_page + 1
    return {
        **common(params, result, result.paragraphs, result.total),
        "result": facets_result,
        "reports": reports,
        "facets": facet_groups(params, facets_result.facets, chosen, facets_result.filters),
        "charts": result_charts(params, facets_result, chosen),
        "counts": [Link(f"按{label}计", params.with_count(c).url(), c == params.count)
                   for c, label in COUNT_LABELS.items()],
        "pages": page_links(params, pages) if pages > 1 else [],
        "prev_url": params.with_page(params.page - 1).url() if params.page > 1 else None,
        "next_url": params.with_page(params.page + 1).url() if params.page < pages else None,
        "first": first,
        "last": first + len(reports) - 1,
    }


def to_json(obj: Any) -> Any:
    """A view dataclass (or a list/dict of them) as JSON-ready data."""
    if isinstance(obj, list):
        return [to_json(x) for x in obj]
    if isinstance(obj, dict):
        return {k: to_json(v) for k, v in obj.items()}
    if hasattr(obj, "__dataclass_fields__"):
        return {k: (str(v) if isinstance(v, Markup) else to_json(v)) for k, v in asdict(obj).items()}
    if isinstance(obj, Markup):
        return str(obj)
    return obj
