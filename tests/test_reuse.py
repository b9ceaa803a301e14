"""Text reuse measured on a corpus with planted copies: pairs, passages, near-identical paragraphs, formulas."""

from __future__ import annotations

from pathlib import Path

import pytest

from search import build_index, open_index
from search.reuse import views
from search.reuse.shingles import NEAR

from . import reuse_corpus

TARGET = 0.95  # precision and recall asked of pairs and passages on the planted set


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory):
    """(corpus, searcher, file name → doc id) of the planted corpus, indexed once."""
    root = tmp_path_factory.mktemp("reuse")
    corpus = reuse_corpus.build(root / "corpus")
    build_index([root / "corpus"], root / "index", progress=False)
    searcher = open_index(root / "index")
    ids = {d.source.split("/")[-1]: d.doc_id for d in searcher.catalog().documents}
    assert len(ids) == len(corpus.reports)
    return corpus, searcher, ids


def _detected_pairs(searcher) -> set[frozenset[str]]:
    data = views.data_of(searcher)
    return {frozenset((data.doc_id[int(a)], data.doc_id[int(b)])) for a, b in zip(data.pairs.a, data.pairs.b)}


def _covered(text: str, piece: str, spans: list[tuple[int, int]]) -> float:
    """Share of `piece` (found in `text`) inside the spans."""
    at = text.find(piece)
    if at < 0:
        return 0.0
    inside = sum(max(0, min(b, at + len(piece)) - max(a, at)) for a, b in spans)
    return inside / len(piece)


def test_pairs_precision_recall(planted) -> None:
    corpus, searcher, ids = planted
    truth = {frozenset(ids[n] for n in pair) for pair in corpus.pairs()}
    found = _detected_pairs(searcher)
    hits = len(found & truth)
    precision, recall = hits / max(1, len(found)), hits / len(truth)
    assert precision >= TARGET and recall >= TARGET, (precision, recall, found - truth, truth - found)


def test_passages_precision_recall(planted) -> None:
    """Every planted paragraph or sentence is found as a passage of its pair; every passage is a planted one."""
    corpus, searcher, ids = planted
    found_pieces = total_pieces = 0
    good_spans = total_spans = 0
    planted_by_pair: dict[frozenset[str], list] = {}
    for p in corpus.planted:
        planted_by_pair.setdefault(frozenset((ids[p.source], ids[p.target])), []).append(p)
    for p in corpus.planted:
        comparison = views.compare(searcher, ids[p.target], ids[p.source])
        for piece in p.texts:
            total_pieces += 1
            best = max((_covered(r.a_text, piece, r.a_spans) for r in comparison.rows), default=0.0)
            found_pieces += best >= 0.8
    for pair in _detected_pairs(searcher):
        plants = planted_by_pair.get(pair, [])
        target = ids[plants[0].target] if plants else sorted(pair)[0]
        other = next(iter(pair - {target}))
        comparison = views.compare(searcher, target, other)
        pieces = [t for pl in plants for t in pl.texts]
        for row in comparison.rows:
            for a, b in row.a_spans:
                total_spans += 1
                span = row.a_text[a:b]
                good_spans += any(span in piece or _covered(row.a_text, piece, [(a, b)]) >= 0.5 for piece in pieces)
    recall = found_pieces / total_pieces
    precision = good_spans / max(1, total_spans)
    assert recall >= TARGET and precision >= TARGET, (precision, recall)


def test_sentence_inside_a_rewritten_paragraph_is_a_passage(planted) -> None:
    corpus, searcher, ids = planted
    sentences = [p for p in corpus.planted if p.kind == "sentence"]
    assert sentences
    for p in sentences:
        rows = views.compare(searcher, ids[p.target], ids[p.source]).rows
        assert any(_covered(r.a_text, p.texts[0], r.a_spans) >= 0.8 and len(r.a_text) > 2 * len(p.texts[0]) for r in rows)


def test_near_identical_paragraphs_listed_earliest_first(planted) -> None:
    """A copied or lightly edited paragraph lists its source; the earlier report comes first."""
    corpus, searcher, ids = planted
    for p in corpus.planted:
        if p.kind not in ("verbatim", "edited"):
            continue
        target_doc = searcher.document(ids[p.target]).document
        para = next(x for x in target_doc.paragraphs if x.text == p.texts[0])
        result = views.similar(searcher, para.id)
        sources = [i for i in result.items if i.document.doc_id == ids[p.source]]
        assert sources, (p.kind, p.texts[0][:30])
        assert sources[0].similarity >= NEAR
        years = [(i.document.year, i.document.date) for i in result.items]
        assert years == sorted(years)
        assert result.items[0].document.doc_id == ids[p.source]  # who wrote it first
        assert next(i for i in result.items if i.this).spans == []
        assert (sources[0].spans == []) == (p.kind == "verbatim")
        counts = views.reuse_counts(searcher, [para.id])
        assert counts.get(para.id, 0) >= 1


def test_edited_paragraph_is_one_passage_end_to_end(planted) -> None:
    """A lightly edited paragraph is shared whole: the passages reach over the changed characters to its ends."""
    corpus, searcher, ids = planted
    for p in corpus.planted:
        if p.kind != "edited":
            continue
        rows = views.compare(searcher, ids[p.target], ids[p.source]).rows
        assert max(_covered(r.a_text, p.texts[0], r.a_spans) for r in rows) >= 0.9, p.texts[0][:20]


def test_edited_paragraph_marks_the_changed_characters(planted) -> None:
    corpus, searcher, ids = planted
    p = next(p for p in corpus.planted if p.kind == "edited")
    source_doc = searcher.document(ids[p.source]).document
    para = next(x for x in source_doc.paragraphs if x.text == p.source_texts[0])
    item = next(i for i in views.similar(searcher, para.id).items if i.document.doc_id == ids[p.target])
    marked = "".join(item.text[a:b] for a, b in item.spans)
    assert 3 <= len(marked) <= 12  # three characters and the city's name, nothing else


def test_formulas_are_not_reuse(planted) -> None:
    """Paragraphs every report has are formulas: no "另见", no passage, no share."""
    corpus, searcher, ids = planted
    for name, doc_id in list(ids.items())[:5]:
        doc = searcher.document(doc_id).document
        formula_ids = [x.id for x in doc.paragraphs if x.text in reuse_corpus.FORMULAS or x.text.startswith("在此，我代表")]
        assert len(formula_ids) == 4
        assert views.reuse_counts(searcher, formula_ids) == {}
        for pid in formula_ids:
            result = views.similar(searcher, pid)
            assert result.others == 0
    data = views.data_of(searcher)
    assert data.formula_count >= 2 * len(ids)
    for pair in _detected_pairs(searcher):
        a, b = sorted(pair)
        for row in views.compare(searcher, a, b).rows:
            assert row.a_text not in reuse_corpus.FORMULAS and row.b_text not in reuse_corpus.FORMULAS
            assert "衷心的感谢" not in row.a_text + row.b_text  # a place's own thanks: a formula by its shape


def test_doc_reuse_and_top_pairs(planted) -> None:
    corpus, searcher, ids = planted
    for p in corpus.planted:  # the source was delivered first (an earlier year, or earlier the same year)
        result = views.doc_reuse(searcher, ids[p.target])
        row = next(r for r in result.pairs if r.document.doc_id == ids[p.source])
        assert 0 < row.share < 1 and row.passages >= 1 and row.earlier == "other"
        mirror = next(r for r in views.doc_reuse(searcher, ids[p.source]).pairs if r.document.doc_id == ids[p.target])
        assert mirror.earlier == "this" and mirror.chars > 0
    page = views.top_pairs(searcher, per_page=100)
    assert page.total == len(_detected_pairs(searcher))
    shares = [r.share for r in page.rows]
    assert shares == sorted(shares, reverse=True)
    assert views.top_pairs(searcher, {"province": ["测试"]}).total == page.total
    assert views.top_pairs(searcher, {"province": ["江苏"]}).total == 0
    one_year = views.top_pairs(searcher, {"year": ["2010"]})
    assert 0 < one_year.total < page.total
    assert all(2010 in (r.a.year, r.b.year) for r in one_year.rows)


def test_settings_threshold_documented() -> None:
    from search import settings

    names = {s.name for s in settings.SETTINGS}
    assert {"reuse_formula_share", "reuse_formula_min", "reuse_formula_shape_chars"} <= names
    readme = (Path(__file__).resolve().parent.parent / "search" / "reuse" / "README.md").read_text(encoding="utf-8")
    assert all(name in readme for name in ("reuse_formula_share", "reuse_formula_min", "reuse_formula_shape_chars"))


def test_data_shipped_beside_another_engine(planted, tmp_path: Path) -> None:
    """An engine whose side_path("reuse") is a copied folder (a SphinxQL deployment ships it so) answers the same."""
    import shutil

    from search.backends.embedded.backend import EmbeddedBackend
    from search.service import Searcher

    corpus, searcher, ids = planted
    index_dir = searcher.backend.index_dir
    shutil.copytree(searcher.backend.side_path("reuse"), tmp_path / "deploy" / "reuse")

    class Deployed(EmbeddedBackend):
        def side_path(self, name: str):
            path = tmp_path / "deploy" / name
            return path if path.is_dir() else None

    other = Searcher(Deployed(index_dir))
    assert views.data_of(other).folder == tmp_path / "deploy" / "reuse"
    assert views.top_pairs(other).to_dict() == views.top_pairs(searcher).to_dict()
    p = corpus.planted[0]
    assert views.compare(other, ids[p.target], ids[p.source]).to_dict() == views.compare(searcher, ids[p.target], ids[p.source]).to_dict()
