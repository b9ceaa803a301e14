"""Timings of the research views on one index: each view's library function and its HTTP route.

    .venv/bin/python scripts/bench_views.py INDEX [--runs 5] [--json] [--answers]

For each term (TERMS) and view (VIEWS) two figures, each the median of --runs runs:
- first: a searcher (and app) opened afresh, so the engine's caches are cold (files stay in the OS
  cache), warmed by one query that finds nothing (templates compiled, catalog ranks computed), the
  views' own caches cleared — the answer to a query nobody asked before on a running server;
- repeated: the same request again on a warm searcher — a page reloaded, paged or re-sorted.
In-process (`search.views`) and over HTTP (the Flask test client, page rendering included).
`--answers` prints what the views say for each term (first province and date, provinces by year,
top right-hand neighbours). The lead's bench imports `bench(index, runs)` and `answers(index)`.

`--norm-texts` measures a proposed engine method, `Backend.norm_texts(rows)` → [(doc code,
normalized text)], that the concordance uses when an engine has it: this script installs a sketch
of it on the embedded engine (reading the normalized texts the engine already stores, instead of
decompressing display text). The views themselves never read index files.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import search  # noqa: E402
from search import SearchRequest, views  # noqa: E402

TERMS: tuple[str, ...] = ("高质量发展", "低空经济", "新质生产力", "河长制")
COMPARE_WITH = ("人工智能", "数字经济")
# view → (library call, HTTP path)
VIEWS: dict[str, tuple[Callable[[search.Searcher, str], object], Callable[[str], str]]] = {
    "trend": (lambda s, q: views.trend(s, SearchRequest(q=q)), lambda q: f"/trend?q={quote(q)}"),
    "first": (lambda s, q: views.first(s, SearchRequest(q=q)), lambda q: f"/first?q={quote(q)}"),
    "kwic": (lambda s, q: views.concordance(s, SearchRequest(q=q)), lambda q: f"/kwic?q={quote(q)}"),
    "compare": (
        lambda s, q: views.compare(s, [q, *COMPARE_WITH], SearchRequest()),
        lambda q: "/compare?terms=" + quote(",".join((q, *COMPARE_WITH))),
    ),
    "feed": (lambda s, q: views.feed(s, SearchRequest(q=q)), lambda q: f"/search.atom?q={quote(q)}"),
}


def _ms(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


NOTHING = "甲乙丙丁戊己"  # a query that finds nothing: warms templates and the catalog, not the term


def install_norm_texts(searcher: search.Searcher) -> None:
    """Sketch of the proposed engine method on the embedded engine (see the module docstring)."""
    backend = searcher.backend

    def norm_texts(rows):
        gen = backend._current()
        out = []
        for row in rows:
            segment, local = gen.locate(int(row))
            out.append((int(gen.row_doc[row]), segment.norm_text(local)))
        return out

    backend.norm_texts = norm_texts


def _warm(searcher: search.Searcher) -> None:
    searcher.catalog().ranks()
    for call, _ in VIEWS.values():
        call(searcher, NOTHING)


def _http(client, path: str) -> None:
    response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"{path}: HTTP {response.status_code}")
    response.get_data()  # streamed bodies are produced here


def bench(index: str | Path, runs: int = 5, terms: tuple[str, ...] = TERMS, norm_texts: bool = False) -> list[dict]:
    """One row per (term, view): median milliseconds, first and repeated, in-process and over HTTP."""
    from web import create_app

    def searcher_of(app=None) -> search.Searcher:
        s = app.extensions["report_search"] if app is not None else search.open_index(index)
        if norm_texts:
            install_norm_texts(s)
        return s

    rows = []
    warm = searcher_of()
    app = create_app({"INDEX_DIR": str(index), "TESTING": True})
    searcher_of(app)
    client = app.test_client()
    for term in terms:
        for name, (call, path) in VIEWS.items():
            lib_first, http_first, lib_again, http_again = [], [], [], []
            for _ in range(runs):
                fresh = searcher_of()
                _warm(fresh)
                views.clear_caches()
                lib_first.append(_ms(lambda: call(fresh, term)))
                fresh.backend.close()
                fresh_app = create_app({"INDEX_DIR": str(index), "TESTING": True})
                searcher_of(fresh_app)
                fresh_client = fresh_app.test_client()
                for _, warm_path in VIEWS.values():
                    _http(fresh_client, warm_path(NOTHING))
                views.clear_caches()
                http_first.append(_ms(lambda: _http(fresh_client, path(term))))
                fresh_app.extensions["report_search"].backend.close()
            call(warm, term)
            _http(client, path(term))
            for _ in range(runs):
                lib_again.append(_ms(lambda: call(warm, term)))
                http_again.append(_ms(lambda: _http(client, path(term))))
            rows.append({
                "term": term, "view": name,
                "lib_first_ms": round(statistics.median(lib_first), 1),
                "lib_repeated_ms": round(statistics.median(lib_again), 1),
                "http_first_ms": round(statistics.median(http_first), 1),
                "http_repeated_ms": round(statistics.median(http_again), 1),
            })
    return rows


def answers(index: str | Path, terms: tuple[str, ...] = TERMS) -> dict:
    """What the views say for each term: the first province and date, provinces by year, neighbours."""
    s = search.open_index(index)
    out = {}
    for term in terms:
        request = SearchRequest(q=term)
        fa = views.first(s, request)
        places = [f for f in fa.firsts if f.counted]
        first = places[0] if places else None
        national = next((f for f in fa.firsts if not f.counted), None)
        t = views.trend(s, request)
        word = views.concordance(s, request, unit="word", collocates=5)
        two = views.concordance(s, request, unit="2", collocates=5)
        out[term] = {
            "reports": t.total.mentions, "reports_indexed": t.total.indexed, "paragraphs": t.total.paragraphs,
            "occurrences": word.occurrences,
            "first_province": first.group.label if first else None,
            "first_date": (first.date or f"{first.year}（仅知年份）") if first else None,
            "first_title": first.document.title if first else None,
            "national_first": (national.date or str(national.year)) if national else None,
            "provinces_by_year": {p.year: p.total for p in fa.spread},
            "provinces_used": len(places), "provinces": fa.places,
            "right_words": [(x.text, x.count) for x in word.right_collocates],
            "right_2chars": [(x.text, x.count) for x in two.right_collocates],
            "left_words": [(x.text, x.count) for x in word.left_collocates],
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", help="index folder (or any location search.open_index accepts)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--answers", action="store_true", help="also print what each view answers")
    parser.add_argument("--norm-texts", action="store_true", help="with the proposed Backend.norm_texts (a sketch)")
    args = parser.parse_args(argv)
    rows = bench(args.index, args.runs, norm_texts=args.norm_texts)
    result: dict = {"runs": args.runs, "norm_texts": args.norm_texts, "rows": rows}
    if args.answers:
        result["answers"] = answers(args.index)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return 0
    print(f"median of {args.runs} runs, milliseconds" + (" (with the Backend.norm_texts sketch)" if args.norm_texts else ""))
    print(f"{'term':<8} {'view':<8} {'lib first':>10} {'lib again':>10} {'http first':>11} {'http again':>11}")
    for r in rows:
        print(f"{r['term']:<8} {r['view']:<8} {r['lib_first_ms']:>10} {r['lib_repeated_ms']:>10} "
              f"{r['http_first_ms']:>11} {r['http_repeated_ms']:>11}")
    if args.answers:
        print(json.dumps(result["answers"], ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
