"""The real collection (../shared/corpus/lawtext, 1,659 reports): phrases cut from the raw files find their report.

The expected answers come from the Markdown files themselves (their lines read here, markup stripped
by this test, normalized) and from an oracle scan of the ingested text — never from the index.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from search import SearchRequest, normalize
from search.ingest.furniture import is_furniture_line  # the documented list of what is page furniture, not text

from .conftest import LAWTEXT

pytestmark = [pytest.mark.lawtext, pytest.mark.skipif(not LAWTEXT.exists(), reason="lawtext corpus not available")]

_FRONT = re.compile(r"\A---\n.*?\n---\n", re.S)
_MARKUP = re.compile(r"\[\^\d+\]|[\[［]\s*\d{1,3}\s*[\]］]|\*\*|__|<!--.*?-->|<[^>]{0,200}>")


@pytest.fixture(scope="module")
def law_searcher(tmp_path_factory, signing_key):
    from search import build_index, open_index

    folder = tmp_path_factory.mktemp("lawtext-index")
    summary = build_index([LAWTEXT], folder, progress=False)
    assert summary.documents > 1600 and not summary.skipped
    return open_index(folder)


def _body_lines(path: Path) -> list[tuple[bool, str]]:
    """(is heading, line) of a Markdown report's body, markup removed; tables and notes left out."""
    text = _FRONT.sub("", path.read_text(encoding="utf-8"))
    out = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line or line.startswith(("|", "[^", "<!--", "---", ">")) or is_furniture_line(line):
            continue  # tables, notes and comments are checked by the ingest tests; page furniture is not text
        heading = line.startswith("#")
        line = _MARKUP.sub("", line.lstrip("#").strip())
        if line:
            out.append((heading, line))
    return out


def _piece(line: str, rng: random.Random) -> str:
    norm = max(normalize(line).split('"'), key=len)
    if len(norm) <= 10:
        return norm
    start = rng.randrange(0, len(norm) - 10)
    return norm[start:start + 10]


def test_phrases_cut_from_any_line_of_a_report_find_that_report(law_searcher):
    rng = random.Random(1659)
    catalog = law_searcher.catalog()
    by_source = {d.source: code for code, d in enumerate(catalog.documents)}
    checked = missing_files = 0
    failures = []
    for path in sorted(LAWTEXT.rglob("*.md")):
        rel = path.relative_to(LAWTEXT).as_posix()
        code = by_source.get(rel)
        if code is None:
            missing_files += 1  # a copy of another report, kept once (checked below)
            continue
        lines = _body_lines(path)
        headings = [line for is_heading, line in lines if is_heading]
        chosen = headings + [lines[-1][1]] + [line for _, line in rng.sample(lines, min(3, len(lines)))]
        for line in chosen:
            piece = _piece(line, rng)
            if len(piece) < 2:
                continue
            counts = law_searcher.select(SearchRequest(q=f'"{piece}"')).counts
            if counts[code] == 0:
                failures.append((rel, line[:40], piece))
            checked += 1
    assert failures == []
    assert checked > 6_000
    assert missing_files == len(law_searcher.stats()["summary"]["duplicates"]) <= 3


@pytest.fixture(scope="module")
def law_oracle():
    from .oracle import Oracle, read_corpus

    return Oracle(read_corpus([LAWTEXT]))


@pytest.mark.parametrize("q", ["15分钟养老服务圈", "数字经济", "人工智能+", "低空经济", "新质生产力", "“十四五”规划",
                               '"十四五"规划', "政府自身建设", "第十四届人民代表大会第一次会议", "全面培育新质生产力"])
def test_the_issue_queries_count_what_the_text_holds(law_searcher, law_oracle, q):
    for mode in ("exact", "words"):
        result = law_searcher.search(SearchRequest(q=q, mode=mode))
        expected = law_oracle.totals(q, mode)
        assert (result.total, result.documents) == expected, (q, mode)
    exact = law_searcher.search(SearchRequest(q=q))
    words = law_oracle.totals(q, "words")[0]
    assert exact.query.loose in (None, words - exact.total) and (exact.query.loose or 0) == words - exact.total


def test_the_first_mention_sorted_oldest_holds_the_phrase(law_searcher):
    first = law_searcher.search(SearchRequest(q="低空经济", sort="oldest", per_page=5)).hits[0]
    assert "低空经济" in normalize(first.text)
    later = law_searcher.search(SearchRequest(q="低空经济", sort="oldest", per_page=100)).hits
    assert all((h.document.year or 9999) >= (first.document.year or 0) for h in later)
