"""Chaining seeds into passages: what joins and what stays apart."""

from __future__ import annotations

import numpy as np

from search.reuse import passages as pas


def _seeds(rows: list[tuple[int, int]]) -> np.ndarray:
    """Seeds of one paragraph pair from (offset in x, offset in y), each an 8-character k-gram."""
    s = np.zeros(len(rows), dtype=pas.SEED_DTYPE)
    for i, (x, y) in enumerate(rows):
        s[i] = (1, x, x + 8, 2, y, y + 8, 2)
    return s


def test_one_copy_with_an_inserted_character_is_one_chain() -> None:
    rows = [(x, x + 100) for x in range(0, 40, 5)] + [(x, x + 101) for x in range(45, 90, 5)]
    chains = pas.chain(_seeds(rows))
    assert chains.size == 1 and (chains["a0"][0], chains["a1"][0]) == (0, 93)


def test_another_stretch_on_a_nearby_diagonal_is_another_chain() -> None:
    """Seeds of the next diagonal lying before this one's are other text: no chain spans both."""
    near = [(x, x + 103) for x in range(200, 260, 5)] + [(x, x + 100) for x in range(0, 40, 5)]
    chains = pas.chain(_seeds(near))
    assert sorted((int(a), int(b)) for a, b in zip(chains["a0"], chains["a1"])) == [(0, 43), (200, 263)]


def test_covered_counts_overlaps_once() -> None:
    groups = np.array([0, 0, 0, 1])
    assert pas.covered(np.array([0, 5, 20, 3]), np.array([10, 12, 25, 4]), groups).tolist() == [17, 1]
