"""Near-duplicate detection: one report in five shapes is one report; different reports never are."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from search.ingest import SourceFile, read_documents
from search.ingest.dedupe import SIGNATURE_BYTES, THRESHOLD, Deduper, agreement, signature, similarity

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent / "corpus" / "sample"
LAWTEXT = HERE.parent.parent / "shared" / "corpus" / "lawtext"


def _variants(tmp_path: Path) -> dict[str, Path]:
    spec = importlib.util.spec_from_file_location("make_variants", HERE / "fixtures" / "dedupe" / "make_variants.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write_variants(tmp_path / "variants")


def _doc(path: Path, rel: str | None = None):
    (doc,) = read_documents(SourceFile(path, rel or path.name))
    return doc


def test_one_report_in_five_shapes_is_one_report(tmp_path: Path) -> None:
    paths = _variants(tmp_path)
    deduper = Deduper()
    original = _doc(SAMPLE / "2024年常州市政府工作报告.txt")
    assert deduper.offer(original).kind == "new"
    for name, path in paths.items():
        decision = deduper.offer(_doc(path))
        assert decision.kind in ("duplicate", "replaces"), (name, decision)
        assert decision.similarity >= 0.9, (name, decision.similarity)
        assert "同一报告" in decision.reason


def test_signatures_are_small_deterministic_and_seedable(tmp_path: Path) -> None:
    doc = _doc(SAMPLE / "2024年常州市政府工作报告.txt")
    sig = signature(doc)
    assert len(sig) == SIGNATURE_BYTES <= 600 and signature(_doc(SAMPLE / "2024年常州市政府工作报告.txt")) == sig
    deduper = Deduper()
    deduper.seed("already-indexed", "old/changzhou.txt", sig, agreement(doc))
    decision = deduper.offer(_doc(_variants(tmp_path)["report_wrapped.txt"]))
    assert decision.kind in ("duplicate", "replaces") and decision.other_doc_id == "already-indexed"
    assert similarity(sig, sig) == 1.0


def test_the_copy_whose_metadata_agrees_with_its_text_replaces_the_other(tmp_path: Path) -> None:
    text = (SAMPLE / "2024年常州市政府工作报告.txt").read_text(encoding="utf-8")
    wrong = tmp_path / "江苏省" / "2023.md"  # a file name that says the reviewed year
    wrong.parent.mkdir()
    wrong.write_text(text, encoding="utf-8")
    right = tmp_path / "江苏省" / "2024.md"
    right.write_text(text, encoding="utf-8")
    deduper = Deduper()
    first = _doc(wrong, "江苏省/2023.md")
    assert first.year == 2024 and any("文件名年份 2023" in n for n in first.notes)
    assert deduper.offer(first).kind == "new"
    decision = deduper.offer(_doc(right, "江苏省/2024.md"))
    assert decision.kind == "replaces" and decision.other_source == "江苏省/2023.md"
    assert agreement(_doc(right, "江苏省/2024.md")) > agreement(first)


def test_the_26_anonymized_reports_are_all_different() -> None:
    path = SAMPLE / "2024年26份区市县镇政府工作报告（匿名汇编）.txt"
    deduper = Deduper()
    assert [deduper.offer(d).kind for d in read_documents(SourceFile(path, path.name))] == ["new"] * 26


@pytest.mark.skipif(not LAWTEXT.exists(), reason="lawtext corpus not available")
@pytest.mark.parametrize("place", ["政府工作报告-主要城市/广州市", "政府工作报告-省自治区/江苏省", "政府工作报告-国务院"])
def test_consecutive_years_of_one_place_are_not_duplicates(place: str) -> None:
    deduper = Deduper()
    files = sorted((LAWTEXT / place).glob("*.md"))
    kinds = {f.name: deduper.offer(_doc(f, f"{place}/{f.name}")).kind for f in files}
    assert set(kinds.values()) == {"new"}, {k: v for k, v in kinds.items() if v != "new"}
    sigs = [signature(_doc(f, f.name)) for f in files]
    assert max(similarity(a, b) for a, b in zip(sigs, sigs[1:])) < THRESHOLD / 2
