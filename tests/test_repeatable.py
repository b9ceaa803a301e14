"""Test hygiene: property tests draw the same examples on every run (the profile loaded in conftest)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from . import test_normalize, test_query, test_search


def _draws() -> list[str]:
    drawn: list[str] = []

    @settings(max_examples=25, deadline=None)
    @given(st.text(max_size=30))
    def probe(text: str) -> None:
        drawn.append(text)

    probe()
    return drawn


def test_two_runs_of_a_property_test_draw_the_same_examples():
    assert settings.default.derandomize and settings.default.database is None
    first, second = _draws(), _draws()
    assert len(first) >= 25 and first == second


def test_the_property_tests_of_the_suite_are_derandomized():
    tests = [
        test_normalize.test_offsets_agree_with_normalize,
        test_normalize.test_substring_of_normalized_text_normalizes_to_itself,
        test_query.test_never_raises,
        test_query.test_never_raises_on_any_text,
        test_search.test_any_input_gives_the_oracles_answer_never_an_error,
    ]
    for test in tests:
        # the settings a @given test runs with (its own max_examples/deadline on top of the profile)
        used = getattr(test, "_hypothesis_internal_use_settings", None)
        assert used is not None and used.derandomize and used.database is None, test.__name__
