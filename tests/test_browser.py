"""A real browser (Debian's chromium driven by Playwright) over the app served on a local port.

Screenshots go under the test's tmp_path and their paths are printed (pytest -s shows them).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import serve_app

PHRASE = "新质生产力"
LOOSE = "养老服务"

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed")


@pytest.fixture(scope="module")
def base_url(web_app) -> Iterator[str]:
    """The app served on a local port for the module."""
    with serve_app(web_app) as url:
        yield url


def shot(page, tmp_path: Path, name: str, full_page: bool = False) -> Path:
    """Save a screenshot (the viewport, as the user sees it, unless full_page) and print where it is."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    print(f"screenshot: {path}")
    return path


def csp_watch(page) -> list[str]:
    """Console messages about the Content-Security-Policy (there must be none)."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    return problems


def test_search_facet_and_permalink(browser, base_url: str, tmp_path: Path, oracle):
    expect = sync_api.expect
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page = context.new_page()
    problems = csp_watch(page)

    page.goto(base_url + "/")
    expect(page.locator("h1")).to_contain_text("政府工作报告")
    shot(page, tmp_path, "1-home")

    page.fill("input[name=q]", LOOSE)
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/search?**")
    mark = page.locator(".hit .text mark").first
    expect(mark).to_be_visible()
    expect(mark).to_have_text(LOOSE)
    # The header gives both counts, and the exact reading says how many more the words find.
    paragraphs, reports = oracle.totals(LOOSE)
    expect(page.locator(".summary")).to_contain_text(f"{paragraphs} 段，来自 {reports} 份报告")
    loose = page.locator("a.loose")
    expect(loose).to_be_visible()
    assert int(loose.get_attribute("data-loose")) == oracle.totals(LOOSE, "words")[0] - paragraphs
    shot(page, tmp_path, "2-results")

    loose.click()
    page.wait_for_url("**mode=words**")
    expect(page.locator(".summary")).to_contain_text(f"{oracle.totals(LOOSE, 'words')[0]} 段")
    shot(page, tmp_path, "3-words-mode")
    page.go_back()

    facet = page.locator(".facet-province li a").first
    province = facet.inner_text().strip()
    facet.click()
    page.wait_for_url("**province=**")
    assert parse_qs(urlsplit(page.url).query)["province"] == [province]
    expect(page.locator(".chips")).to_contain_text(province)
    assert int(page.locator(".summary").get_attribute("data-total")) == oracle.totals(LOOSE, filters={"province": [province]})[0]
    expect(page.locator(".facet-province li.selected a")).to_contain_text(province)

    # JavaScript (an external file, allowed by the CSP) reveals the copy buttons; the link carries the query.
    copy = page.locator(".hit button.copy").first
    expect(copy).to_be_visible()
    copy.click()
    expect(copy).to_have_text("已复制")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == copy.get_attribute("data-copy") and parse_qs(urlsplit(copied).query)["q"] == [LOOSE]

    hit_id = page.locator(".hit").first.get_attribute("data-id")
    page.locator(".hit a.permalink").first.click()
    page.wait_for_url(f"**/doc/**#p-{hit_id}")
    parts = urlsplit(page.url)
    assert parts.fragment == f"p-{hit_id}" and parse_qs(parts.query)["q"] == [LOOSE]
    target = page.locator(f"#p-{hit_id}")
    expect(target).to_be_in_viewport()
    expect(target.locator("mark").first).to_be_visible()
    # The sticky title bar stays above the anchored paragraph and does not cover it.
    head = page.locator(".dochead")
    expect(head).to_be_in_viewport()
    expect(head.locator(".doctitle")).to_contain_text("2024年")
    head_box, target_box = head.bounding_box(), target.bounding_box()
    assert head_box["y"] + head_box["height"] <= target_box["y"] + 1, (head_box, target_box)
    background = target.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    shot(page, tmp_path, "4-permalink")
    assert problems == []
    context.close()


def test_typed_filter_chip_and_reports_view(browser, base_url: str, tmp_path: Path, oracle):
    expect = sync_api.expect
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    problems = csp_watch(page)
    page.goto(base_url + "/")
    page.fill("input[name=q]", f"{LOOSE} 省:江苏")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**province=**")
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"q": [LOOSE], "province": ["江苏省"]}  # the URL a user copies reproduces the page
    expect(page.locator("input[name=q]").first).to_have_value(LOOSE)
    expect(page.locator(".chips li.chip")).to_contain_text("省份：江苏省")
    expect(page.locator(".facet-province li.selected")).to_contain_text("江苏省")
    shot(page, tmp_path, "5-typed-filter-chip")

    page.locator(".views a", has_text="按报告").click()
    page.wait_for_url("**view=reports**")
    paragraphs, reports = oracle.totals(LOOSE, filters={"province": ["江苏"]})
    expect(page.locator(".summary")).to_contain_text(f"{reports} 份报告，共 {paragraphs} 段")
    first = page.locator(".report").first
    count = int(first.get_attribute("data-count"))
    shot(page, tmp_path, "6-reports-view")
    first.locator("a.paragraphs").click()
    page.wait_for_url("**doc=**")
    assert int(page.locator(".summary").get_attribute("data-total")) == count
    expect(page.locator(".chips")).to_contain_text("报告：")
    assert problems == []
    context.close()


def test_document_hit_navigation_without_javascript(browser, base_url: str, tmp_path: Path, oracle):
    from collections import Counter

    expect = sync_api.expect
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    doc_id = Counter(u.doc.doc_id for u in oracle.matches(LOOSE)).most_common(1)[0][0]
    page.goto(f"{base_url}/doc/{doc_id}?q={LOOSE}")
    expected = sorted((u for u in oracle.matches(LOOSE) if u.doc.doc_id == doc_id), key=lambda u: u.para.ordinal)
    expect(page.locator(".hitcount")).to_contain_text(f"命中 {len(expected)} 段")
    page.locator("a.first-hit").click()
    for unit in expected[1:]:
        page.locator(":target a[rel=next]").click()
        assert urlsplit(page.url).fragment == f"p-{unit.para.id}"
        expect(page.locator(f"#p-{unit.para.id}")).to_be_in_viewport()
    shot(page, tmp_path, "7-document-last-hit")
    context.close()


def test_phone_layout(browser, base_url: str, tmp_path: Path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    page = context.new_page()
    problems = csp_watch(page)
    for name, url in (("home", "/"), ("results", f"/search?q={PHRASE}&province=江苏省"),
                      ("reports", f"/search?q={LOOSE}&view=reports")):
        page.goto(base_url + url)
        # Nothing may be wider than the screen (no sideways scrolling on a phone).
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (name, width)
        shot(page, tmp_path, f"phone-{name}", full_page=name == "results")
    page.goto(base_url + f"/search?q={PHRASE}")
    page.locator(".hit a.permalink").first.click()
    page.wait_for_url("**/doc/**#p-**")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    target = page.locator(":target")
    sync_api.expect(target).to_be_in_viewport()
    shot(page, tmp_path, "phone-doc")
    assert problems == []
    context.close()
