"""The settings table: every limit is named once, read where it applies, and listed in the README."""

from __future__ import annotations

import re

from search import settings

from .conftest import ROOT


def test_the_readme_lists_every_setting_with_its_default():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `([a-z_]+)` \| ([0-9.]+) \|", readme, flags=re.M))
    assert listed == {s.name: str(s.default) for s in settings.SETTINGS}


def test_an_environment_variable_overrides_a_default(monkeypatch):
    monkeypatch.setenv("REPORT_SEARCH_MAX_TERMS", "7")
    assert settings.get("max_terms") == 7
    monkeypatch.setenv("REPORT_SEARCH_MAX_TERMS", "not a number")
    assert settings.get("max_terms") == 32  # a bad value keeps the default
