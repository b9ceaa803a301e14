"""Results as JSON-ready dicts: the one shape the CLI's --json and the web API share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from .models import DocumentView, FacetValue, ReportResult, SearchResult


def _facets(facets: dict[str, list[FacetValue]], facet_url: Callable[[str, str], str] | None) -> dict:
    return {
        name: [
            {**fv.to_dict(), "url": facet_url(name, fv.value) if facet_url else None}
            for fv in values
        ]
        for name, values in facets.items()
    }


def result_to_dict(result: SearchResult, facet_url: Callable[[str, str], str] | None = None) -> dict[str, Any]:
    """A search result: totals (paragraphs and reports), hits with spans, facets, filters, interpretation."""
    request = result.request
    return {
        "query": request.q,
        "mode": request.mode,
        "total": result.total,
        "documents": result.documents,
        "page": request.page,
        "per_page": request.per_page,
        "pages": result.pages,
        "sort": request.sort,
        "filters": [asdict(f) for f in result.filters],
        "hits": [hit.to_dict() for hit in result.hits],
        "facets": _facets(result.facets, facet_url),
        "interpretation": asdict(result.query),
        "notes": result.notes,
        "elapsed_ms": round(result.elapsed_ms, 1),
    }


def reports_to_dict(result: ReportResult) -> dict[str, Any]:
    """The matching reports of a request, each with its count and best paragraph."""
    request = result.request
    return {
        "query": request.q,
        "mode": request.mode,
        "total": result.total,
        "paragraphs": result.paragraphs,
        "page": request.page,
        "per_page": request.per_page,
        "pages": result.pages,
        "sort": request.sort,
        "filters": [asdict(f) for f in result.filters],
        "reports": [
            {"document": r.document.metadata(), "count": r.count, "best": r.best.to_dict()} for r in result.reports
        ],
        "interpretation": asdict(result.query),
        "elapsed_ms": round(result.elapsed_ms, 1),
    }


def document_to_dict(view: DocumentView) -> dict[str, Any]:
    """A document's metadata and paragraphs (each with the ranges to mark; links are the web layer's)."""
    data = view.document.metadata()
    data["paragraphs"] = [
        {**asdict(p), "section": list(p.section), "spans": [list(s) for s in view.spans.get(p.id, [])]}
        for p in view.document.paragraphs
    ]
    data["matches"] = view.matches
    if view.query is not None:
        data["interpretation"] = asdict(view.query)
    return data
