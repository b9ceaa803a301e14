"""The one search code path shared by the pages, the API and the exports.

`read_params` turns request arguments into the *canonical* `SearchParams` of the request: filters
typed in the box (`province:江苏`) move into URL parameters, and every filter value is written the
way the index stores it (`江苏` → `江苏省`), so the URL a user copies reproduces the page exactly and
a facet's toggle finds its own value. The pages redirect to that URL when it differs; the API answers
for it. `run_search` and `run_reports` then ask the library.
"""

from __future__ import annotations

import re

from flask import current_app

import search
from search.catalog import Catalog
from search.fields import FACETS, field_for
from search.query import parse_query

from .params import FILTER_NAMES, MultiArgs, SearchParams, parse_search

EXTENSION_KEY = "report_search"
# A typed filter at the top level of the box: name:value or name:"value with spaces" (full-width colon too).
_TYPED = re.compile(r'''(?:(?<=\s)|^)([^\s:：()"'“”-][^\s:：()"'“”]*)[:：](?:"([^"]*)"|“([^”]*)”|([^\s"“”()]+))(?=\s|$)''')


# The same anywhere in the box, inside parentheses too: to take one typed filter back out of the query.
_TYPED_ANYWHERE = re.compile(
    r'''(?:(?<=[\s(（])|^)([^\s:：()（）"'“”-][^\s:：()（）"'“”]*)[:：](?:"([^"]*)"|“([^”]*)”|([^\s"“”()（）]+))(?=[\s)）]|$)''')


def without_typed_filter(q: str, name: str, raw: str) -> str:
    """`q` without the first `field:value` typed for filter `name` with value `raw` (wherever it stands)."""
    done = False

    def cut(m: re.Match) -> str:
        nonlocal done
        known = field_for(m.group(1))
        value = next(g for g in m.group(2, 3, 4) if g is not None).strip()
        if done or known is None or known.name != name or value != raw:
            return m.group(0)
        done = True
        return " "

    return re.sub(r"\s+([)）])", r"\1", " ".join(_TYPED_ANYWHERE.sub(cut, q).split()))


def get_searcher() -> search.Searcher:
    """The app's searcher, opened once by create_app (thread-safe; follows new index generations)."""
    return current_app.extensions[EXTENSION_KEY]


def _without_typed(q: str) -> tuple[str, list[tuple[str, str]]] | None:
    """`q` with its typed filters cut out, and those filters; None when they cannot be cut out safely."""
    parsed = parse_query(q)
    if not parsed.filters:
        return q, []
    found: list[tuple[str, str]] = []

    def cut(m: re.Match) -> str:
        known = field_for(m.group(1))
        if known is None:
            return m.group(0)
        value = next(g for g in m.group(2, 3, 4) if g is not None).strip()
        found.append((known.name, value))
        return " "

    rest = " ".join(_TYPED.sub(cut, q).split())
    # Only when the rest reads exactly as the query did (same tree, same filters) is the move safe;
    # otherwise (a filter inside parentheses, after NOT …) the box keeps it and the chips show it.
    again = parse_query(rest)
    if again.filters or again.root != parsed.root or sorted(found) != sorted(parsed.filters):
        return None
    return rest, found


def canonical(params: SearchParams, catalog: Catalog) -> SearchParams:
    """The same search written canonically (see the module docstring)."""
    q, typed = params.q, []
    moved = _without_typed(params.q)
    if moved is not None:
        q, typed = moved
    given: dict[str, list[str]] = {name: list(values) for name, values in params.filters}
    for name, value in typed:
        given.setdefault(name, []).append(value)
    filters: dict[str, tuple[str, ...]] = {}
    for name in FILTER_NAMES:
        out: list[str] = []
        for raw in given.get(name, []):
            flt = catalog.resolve(name, raw)
            # A facet value that names stored values is written as them; a year range, a part of a
            # title and an unknown value stay as given (an unknown one is shown as a removable chip).
            if name in FACETS and name != "year" and flt.known:
                out.extend(flt.values)
            else:
                out.append(raw)
        if out:
            filters[name] = tuple(out)
    return params.with_filters(filters).with_query(q).with_page(params.page) if (
        q != params.q or filters != dict(params.filters)
    ) else params


def read_params(args: MultiArgs) -> tuple[SearchParams, SearchParams]:
    """(parameters as given, their canonical form); ParamError (→ 400) for what no reading can fix."""
    given = parse_search(args)
    return given, canonical(given, get_searcher().catalog())


def run_search(params: SearchParams) -> search.SearchResult:
    """The library's answer for these parameters (InvalidRequest → 400 by the app's handler)."""
    return get_searcher().search(params.to_request())


def run_reports(params: SearchParams) -> search.ReportResult:
    """The matching reports for these parameters."""
    return get_searcher().reports(params.to_request())


def selects(result: search.SearchResult | search.ReportResult) -> dict[str, dict[str, tuple[str, ...]]]:
    """Per filter, each given value → the stored values it selects (for toggles inside a range)."""
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for flt in result.filters:
        out.setdefault(flt.field, {})[flt.raw] = tuple(flt.values)
    return out
