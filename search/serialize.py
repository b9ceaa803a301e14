"""Results as JSON-ready dicts: the one shape the CLI's --json and the web API share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from .models import Document, SearchResult


def result_to_dict(result: SearchResult, facet_url: Callable[[str, str], str] | None = None) -> dict[str, Any]:
    """{"query", "total", "documents", "page", "per_page", "hits", "facets"}; facet values get a toggle URL."""
    facets = {
        name: [
            {
                "value": fv.value,
                "count": fv.count,
                "selected": fv.selected,
                "url": facet_url(name, fv.value) if facet_url else None,
            }
            for fv in values
        ]
        for name, values in result.facets.items()
    }
    return {
        "query": result.request.q,
        "total": result.total,
        "documents": result.documents,
        "page": result.request.page,
        "per_page": result.request.per_page,
        "sort": result.request.sort,
        "filters": {k: list(v) for k, v in result.request.filters.items() if v},
        "hits": [hit.to_dict() for hit in result.hits],
        "facets": facets,
        "interpretation": asdict(result.query),
        "elapsed_ms": round(result.elapsed_ms, 1),
    }


def document_to_dict(doc: Document) -> dict[str, Any]:
    """A document's metadata, headings and paragraphs (each with its permalink)."""
    data = doc.metadata()
    data["headings"] = [asdict(h) for h in doc.headings]
    data["paragraphs"] = [
        {**asdict(p), "section": " › ".join(p.section), "url": f"/p/{p.id}"} for p in doc.paragraphs
    ]
    return data
