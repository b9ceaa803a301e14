"""The embedded store on its own: runs merged into a segment answer like a scan of the texts."""

from __future__ import annotations

import random

import numpy as np
import pytest

from search.backends.embedded import store


def _units(texts: list[str], doc_of: list[int]) -> list[store.UnitIn]:
    return [store.UnitIn(d, i, "paragraph", 0, -1, i, 1, t, t) for i, (t, d) in enumerate(zip(texts, doc_of))]


def _random_texts(rng: random.Random, n: int) -> list[str]:
    # few distinct characters so that phrases recur; Latin, digits, punctuation, space, a non-BMP one
    alphabet = "发展新质生产力经济的一二abc12,.\"' 𠀀"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(n)]


def _segment(tmp_path, runs_texts: list[list[str]], dead: dict[int, set[int]] | None = None) -> store.Segment:
    runs, lives = [], []
    for r, texts in enumerate(runs_texts):
        docs = [{"doc_id": f"d{r}-{k}", "first": k, "rows": 1} for k in range(len(texts))]
        run = store.write_run(tmp_path, f"run{r}", _units(texts, list(range(len(texts)))), docs)
        live = np.ones(len(texts), dtype=bool)
        for k in (k for k in (dead or {}).get(r, ()) if k < len(texts)):
            live[k] = False
        runs.append(run)
        lives.append(live)
    store.merge(runs, lives, tmp_path / "seg")
    return store.Segment(tmp_path / "seg")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_find_equals_a_scan_after_merging_runs_with_dead_rows(tmp_path, seed):
    rng = random.Random(seed)
    runs_texts = [_random_texts(rng, rng.randint(1, 60)) for _ in range(4)]
    dead = {0: {0, 3}, 2: set(range(0, 60, 2))}
    seg = _segment(tmp_path, runs_texts, dead)
    live_texts = [t for r, texts in enumerate(runs_texts) for k, t in enumerate(texts) if k not in dead.get(r, set())]
    assert seg.rows == len(live_texts)
    assert [seg.norm_text(i) for i in range(seg.rows)] == live_texts
    assert [seg.display(i) for i in range(seg.rows)] == live_texts
    pieces = set()
    for _ in range(300):
        text = rng.choice(live_texts) or "发"
        n = rng.randint(1, 6)
        a = rng.randrange(0, max(1, len(text) - n + 1))
        pieces.add(text[a:a + n] or "展")
    pieces |= {"𠀀", "𠀀发", " ", "zz", "不存在"}
    for piece in sorted(pieces):
        expected = [i for i, t in enumerate(live_texts) if piece in t]
        assert seg.find(piece).tolist() == expected, piece


def test_every_gap_width_and_single_postings(tmp_path):
    # gaps of 1 (丙), 1,302 (丁戊: 2 bytes) and 71,002 (甲乙: 4 bytes); 己庚 occurs once
    texts = ["甲乙丁戊"] + ["丙"] * 300 + ["甲乙"] + ["丙"] * 1000 + ["丁戊"] + ["丙"] * 70000 + ["甲乙", "己庚"]
    seg = _segment(tmp_path, [texts])
    assert seg.find("甲乙").tolist() == [0, 301, 71303]
    assert seg.find("丁戊").tolist() == [0, 1302]
    assert seg.find("己庚").tolist() == [71304]
    assert seg.find("乙").tolist() == [0, 301, 71303]  # a single character at a paragraph's end
    width = {k: int(seg.width[seg._key_index((ord(k[0]) << 21) | (ord(k[1]) if len(k) > 1 else int(store.END)))])
             for k in ("甲乙", "丁戊", "丙")}
    assert width == {"甲乙": 4, "丁戊": 2, "丙": 1}
    assert int(seg.count[seg._key_index((ord("己") << 21) | ord("庚"))]) == 1


def test_blocks_of_display_text_survive_dead_rows(tmp_path):
    texts = [f"第{i}段" + "字" * 900 for i in range(200)]  # several compressed blocks
    seg = _segment(tmp_path, [texts], {0: set(range(5, 200, 7))})
    live = [t for k, t in enumerate(texts) if k not in set(range(5, 200, 7))]
    assert [seg.display(i) for i in range(seg.rows)] == live
