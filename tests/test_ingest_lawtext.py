"""A sample of the lawtext corpus (../shared): every file reads, with year, place and paragraphs."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.ingest import discover, read_documents

LAWTEXT = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "lawtext"
EXPECTED_LEVELS = {
    "政府工作报告-国务院": {"国务院"},
    "政府工作报告-省自治区": {"省", "自治区"},
    "政府工作报告-主要城市": {"市", "直辖市"},
}


@pytest.mark.skipif(not LAWTEXT.exists(), reason="lawtext corpus not available")
def test_lawtext_sample() -> None:
    files, skipped = discover([LAWTEXT])
    assert len(files) > 1600 and not skipped
    for src in files[::15]:  # every 15th file: about 110 files across all three collections
        docs = read_documents(src)
        assert len(docs) == 1, src.rel
        doc = docs[0]
        collection, place = src.rel.split("/")[0], src.rel.split("/")[1]
        assert doc.year and 1950 <= doc.year <= 2030, src.rel
        assert doc.level in EXPECTED_LEVELS[collection], (src.rel, doc.level)
        if collection == "政府工作报告-国务院":
            assert doc.province == "" and doc.tier == "国家"
        else:
            assert place in (doc.province, doc.city), (src.rel, doc.province, doc.city)
        assert len(doc.paragraphs) >= 3, src.rel
        assert doc.title


def _report_checks():
    """The independent checks of scripts/ingest_report.py."""
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "scripts" / "ingest_report.py"
    spec = importlib.util.spec_from_file_location("ingest_report", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not LAWTEXT.exists(), reason="lawtext corpus not available")
def test_lawtext_counts_of_junk_and_conflicts_are_zero() -> None:
    """Before this round: 34 doubled titles, 579 titles without a place, 152 raw table lines and 63 units
    under a table header, 20 units with footnote markers, 61 reports whose year disagreed with their date
    or work-plan heading (scripts/ingest_report.py on lawtext)."""
    report = _report_checks()
    found: dict[str, list[str]] = {}
    for src in discover([LAWTEXT])[0]:
        for doc in read_documents(src):
            if report.doubled(doc.title):
                found.setdefault("doubled", []).append(doc.source)
            if report.names_place(doc) is not True:
                found.setdefault("no place", []).append(f"{doc.source} {doc.title}")
            for kind, text, section in report.units(doc):
                if report._TABLE_LINE.match(text) or any("|" in s for s in section):
                    found.setdefault("table", []).append(f"{doc.source} {text[:30]}")
                if report._FOOTNOTE.search(text):
                    found.setdefault("footnote", []).append(f"{doc.source} {text[:30]}")
            if report.year_conflicts(doc):
                found.setdefault("year", []).append(f"{doc.source} {report.year_conflicts(doc)}")
    # One title names no place on purpose: the 1958 national report's own title ("关于一九五八年度国民经济
    # 计划草案的报告") is not a 政府工作报告 title to rebuild; the web layer shows "title · 国务院".
    assert found.pop("no place", []) == ["政府工作报告-国务院/1958.md 关于一九五八年度国民经济计划草案的报告"]
    assert not found, {k: v[:5] for k, v in found.items()}


@pytest.mark.skipif(not LAWTEXT.exists(), reason="lawtext corpus not available")
def test_lawtext_duplicates_are_the_two_known_pairs() -> None:
    from search.ingest.dedupe import Deduper

    deduper = Deduper()
    decisions = []
    for src in discover([LAWTEXT])[0]:
        for doc in read_documents(src):
            d = deduper.offer(doc)
            if d.kind != "new":
                decisions.append((doc.source.split("/", 1)[1], d.kind, d.other_source.split("/", 1)[1]))
    # 四川省/2019.md holds the 2020 report (file name wrong), 兰州市/2021.md the 2022 one: in both pairs the
    # later file's metadata agrees with the text, so it replaces the earlier one.
    assert decisions == [("兰州市/2022.md", "replaces", "兰州市/2021.md"),
                         ("四川省/2020.md", "replaces", "四川省/2019.md")]
