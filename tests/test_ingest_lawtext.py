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
