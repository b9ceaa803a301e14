"""The research views in a real browser (Debian's chromium driven by Playwright).

Each view is opened from a result page: the browser loads /search?…, clicks the page's link to the
view (nav.research), then follows one of the view's links back to a filtered search, which must name
the filter. Screenshots are saved — desktop and phone — under the test's tmp_path, or VIEWS_SHOTS when
set (pytest -s prints where).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import serve_app

RESULT_PAGE = "/search?q=新质生产力&province=江苏"
UNFILTERED = "/search?q=新质生产力"

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed")


@pytest.fixture(scope="module")
def views_app(tmp_path_factory):
    """The app over the sample corpus spread over 2019–2024 by the views' test manifest."""
    from web import create_app

    from .test_views import build_years_index

    index, _manifest = build_years_index(tmp_path_factory.mktemp("browser-views"))
    return create_app({"INDEX_DIR": str(index), "TESTING": True})


@pytest.fixture(scope="module")
def base_url(views_app) -> Iterator[str]:
    """The app served on a local port for the module."""
    with serve_app(views_app) as url:
        yield url


@pytest.fixture()
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("VIEWS_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shot(page, folder: Path, name: str, full_page: bool = False) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    print(f"screenshot: {path}")


def _open(browser, base_url: str, width: int):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    return context, page, problems


def _args(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def _follow(page, selector: str) -> tuple[dict[str, list[str]], int | None]:
    """Click the first link matching `selector`; the arguments of the page reached and its status."""
    link = page.locator(selector).first
    sync_api.expect(link).to_be_visible()
    with page.expect_navigation() as nav:
        link.click()
    response = nav.value
    return _args(page.url), (response.status if response is not None else None)


def _from_result_page(page, base_url: str, path: str, result_page: str = RESULT_PAGE) -> dict[str, list[str]]:
    """Load a result page and click its link to the view at `path`; the arguments of the view reached."""
    page.goto(base_url + result_page)
    link = page.locator(f'nav.research a[href^="{path}?"]')
    sync_api.expect(link).to_be_visible()
    with page.expect_navigation():
        link.click()
    assert urlsplit(page.url).path == path
    return _args(page.url)


def _filter_shown(page, field: str, value: str) -> None:
    """The result page reached names the filter (its removable chip), not only its URL."""
    sync_api.expect(page.locator(f'ul.chips li[data-field="{field}"]')).to_contain_text(value)


def _no_page_overflow(page) -> None:
    """Nothing but the tables' own scrolling areas is wider than the phone's screen."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _search_page_agrees(page, status, documents: int | None = None) -> None:
    """When the result page renders (the web layer is rewritten elsewhere), it counts the same reports."""
    if status == 200 and documents is not None:
        summary = page.locator("[data-documents]")
        if summary.count():
            assert int(summary.first.get_attribute("data-documents")) == documents


@pytest.mark.parametrize("width", [1280, 390])
def test_trend_from_a_result_page_and_back(browser, base_url, shots, width):
    context, page, problems = _open(browser, base_url, width)
    args = _from_result_page(page, base_url, "/trend")
    assert args["q"] == ["新质生产力"] and args["province"] == ["江苏省"]
    sync_api.expect(page.locator("h1")).to_contain_text("地区 × 年份")
    sync_api.expect(page.locator("table.trend")).to_be_visible()
    shot(page, shots, f"trend-{width}")
    if width < 600:
        _no_page_overflow(page)
    cell = page.locator("table.trend tbody td a").first
    mentions = int(cell.inner_text().split("/")[0])
    args, status = _follow(page, "table.trend tbody td a")
    assert urlsplit(page.url).path == "/search"
    assert args["q"] == ["新质生产力"] and args["province"] == ["江苏省"] and len(args["year"]) == 1
    _filter_shown(page, "province", "江苏省")
    _filter_shown(page, "year", args["year"][0][:4])
    _search_page_agrees(page, status, mentions)
    shot(page, shots, f"trend-{width}-search")
    assert not problems
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_first_from_a_result_page_and_back(browser, base_url, shots, width):
    context, page, problems = _open(browser, base_url, width)
    _from_result_page(page, base_url, "/first", UNFILTERED)
    sync_api.expect(page.locator("ol.firsts li").first).to_be_visible()
    sync_api.expect(page.locator("svg.tilemap")).to_be_visible()
    shot(page, shots, f"first-{width}")
    if width < 600:
        _no_page_overflow(page)
    assert _from_result_page(page, base_url, "/first")["province"] == ["江苏省"]
    sync_api.expect(page.locator("ol.firsts mark").first).to_be_visible()
    shot(page, shots, f"first-{width}-jiangsu")
    args, status = _follow(page, "ol.firsts .meta a")
    assert urlsplit(page.url).path == "/search"
    assert args["q"] == ["新质生产力"] and args["province"] == ["江苏省"] and args["sort"] == ["oldest"]
    _filter_shown(page, "province", "江苏省")
    shot(page, shots, f"first-{width}-search")
    assert not problems
    context.close()


def test_first_tile_links_to_the_province(browser, base_url, shots):
    context, page, problems = _open(browser, base_url, 1280)
    _from_result_page(page, base_url, "/first", UNFILTERED)
    tile = page.locator("svg.tilemap a").first
    href = tile.get_attribute("href")
    args = _args(href)
    assert args["q"] == ["新质生产力"] and len(args["province"]) == 1 and args["sort"] == ["oldest"]
    with page.expect_navigation():
        tile.click()
    assert urlsplit(page.url).path == "/search"
    _filter_shown(page, "province", args["province"][0])
    assert not problems
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_kwic_from_a_result_page_narrow_and_back(browser, base_url, shots, width):
    context, page, problems = _open(browser, base_url, width)
    assert _from_result_page(page, base_url, "/kwic")["province"] == ["江苏省"]
    sync_api.expect(page.locator("table.kwic")).to_be_visible()
    shot(page, shots, f"kwic-{width}")
    if width < 600:
        _no_page_overflow(page)
    # the match column is aligned: every <mark> starts at the same x
    xs = page.eval_on_selector_all("table.kwic td.m mark", "els => els.map(e => Math.round(e.getBoundingClientRect().left))")
    lengths = page.eval_on_selector_all("table.kwic td.m mark", "els => els.map(e => e.textContent.length)")
    same = {x for x, n in zip(xs, lengths) if n == lengths[0]}
    assert len(same) == 1, xs
    total = int(page.locator("[data-total]").get_attribute("data-total"))
    neighbour = page.locator(".collocates .side.right li a").first
    count = int(page.locator(".collocates .side.right li .count").first.inner_text())
    with page.expect_navigation():
        neighbour.click()
    assert urlsplit(page.url).path == "/kwic" and "right" in _args(page.url)
    assert int(page.locator("[data-total]").get_attribute("data-total")) == count <= total
    shot(page, shots, f"kwic-{width}-narrowed")
    args, _status = _follow(page, ".summary a")
    assert urlsplit(page.url).path == "/search" and args["province"] == ["江苏省"] and args["q"] == ["新质生产力"]
    _filter_shown(page, "province", "江苏省")
    shot(page, shots, f"kwic-{width}-search")
    assert not problems
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_compare_and_back(browser, base_url, shots, width):
    context, page, problems = _open(browser, base_url, width)
    args = _from_result_page(page, base_url, "/compare")
    assert args["terms"] == ["新质生产力"] and args["province"] == ["江苏省"]
    sync_api.expect(page.locator("textarea[name=terms]")).to_have_value("新质生产力")
    page.fill("textarea[name=terms]", "新质生产力\n低空经济\n人工智能")
    with page.expect_navigation():
        page.click("form.view-form button")
    sync_api.expect(page.locator("svg.linechart")).to_be_visible()
    assert page.locator("svg.linechart g.series").count() == 3
    shot(page, shots, f"compare-{width}", full_page=True)
    if width < 600:
        _no_page_overflow(page)
    args, _status = _follow(page, "table.compare tbody td a")
    assert urlsplit(page.url).path == "/search" and args["q"][0] in ("新质生产力", "低空经济", "人工智能")
    assert args["province"] == ["江苏省"] and len(args["year"]) == 1
    _filter_shown(page, "province", "江苏省")
    _filter_shown(page, "year", args["year"][0][:4])
    shot(page, shots, f"compare-{width}-search")
    assert not problems
    context.close()


def test_feed_is_offered_from_the_views(browser, base_url):
    context, page, problems = _open(browser, base_url, 1280)
    view_args = _from_result_page(page, base_url, "/trend")
    href = page.locator("a.feed").get_attribute("href")
    assert urlsplit(href).path == "/search.atom" and _args(href) == view_args
    response = page.request.get(base_url + href)
    assert response.status == 200 and response.headers["content-type"].startswith("application/atom+xml")
    assert "<feed" in response.text()
    context.close()
