"""Server-drawn SVG charts: hits by province (bars) and by year (columns, every year of the index).

Geometry is computed here so templates do no arithmetic; every chart also carries its rows for the
table that screen readers (and anyone who wants the numbers) read instead of the picture.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import search

# SVG user units, about one CSS pixel in the desktop sidebar (the SVG scales with its container).
CHART_WIDTH = 260
LABEL_END = 90  # province labels are right-aligned here; 7 characters of 12-unit text fit
BAR_X = 96
BAR_SPACE = 124  # leaves room for a five-digit count after the longest bar
ROW_HEIGHT = 22
LABEL_CHARS = 7
FIRST_BARS = 12  # provinces shown before the "more" fold
COLUMN_AREA = 110  # height of the tallest year column
YEAR_TOP = 14  # room above the tallest column for its count


@dataclass
class Bar:
    """One bar (province) or column (year) with its geometry and the link that toggles its value."""

    label: str
    count: int
    url: str
    selected: bool
    x: float
    y: float
    width: float
    height: float
    text_x: float
    text_y: float
    count_x: float
    count_y: float
    squeeze: int | None = None  # textLength for a label too long for its column
    show_label: bool = True
    show_count: bool = True


@dataclass
class Chart:
    """A chart: bars, viewBox size, and the rows of its table alternative."""

    name: str
    title: str
    unit: str  # 段 or 份
    bars: list[Bar]
    width: int
    height: int
    more: list[Bar]  # provinces past the fold, drawn in a second SVG under "更多"
    more_height: int = 0
    zeros: list[str] = field(default_factory=list)  # provinces of the index without a hit, named under the bars
    kind: str = "bars"  # bars (horizontal) or columns (years)


Toggle = Callable[[str, str], str]


def _bars(values: list[tuple[str, str, int, bool]], peak: int, url: Toggle, name: str) -> tuple[list[Bar], int]:
    bars = []
    for i, (value, label, count, selected) in enumerate(values):
        width = max(2, round(count / peak * BAR_SPACE)) if count else 0
        y = i * ROW_HEIGHT
        bars.append(Bar(
            label, count, url(name, value), selected, BAR_X, y + 4, width, 14, LABEL_END, y + 15,
            BAR_X + width + 4, y + 15, LABEL_END - 2 if len(label) > LABEL_CHARS else None,
        ))
    return bars, max(1, len(bars)) * ROW_HEIGHT


def province_chart(facet: list[search.FacetValue], metric: str, url: Toggle, indexed: Sequence[str] = ()) -> Chart:
    """Every province with hits, largest first: the first FIRST_BARS in one SVG, the rest under "更多";
    the `indexed` provinces without a hit named after them, so none is left out."""
    unit = "份" if metric == "reports" else "段"
    rows = [(fv.value, fv.value, fv.documents if metric == "reports" else fv.count, fv.selected)
            for fv in facet if fv.known]
    rows.sort(key=lambda r: (-r[2], r[0]))
    rows = [r for r in rows if r[2] or r[3]]
    peak = max((r[2] for r in rows), default=0) or 1
    first, height = _bars(rows[:FIRST_BARS], peak, url, "province")
    more, more_height = _bars(rows[FIRST_BARS:], peak, url, "province") if len(rows) > FIRST_BARS else ([], 0)
    shown = {r[0] for r in rows}
    zeros = [p for p in indexed if p not in shown]
    return Chart("province", "按省份", unit, first, CHART_WIDTH, height, more, more_height, zeros)


def year_chart(facet: list[search.FacetValue], years: list[int], metric: str, url: Toggle) -> Chart:
    """One column per year from the first to the last of `years`, zeros included."""
    unit = "份" if metric == "reports" else "段"
    counts = {fv.value: (fv.documents if metric == "reports" else fv.count, fv.selected) for fv in facet if fv.known}
    span = list(range(min(years), max(years) + 1)) if years else []
    peak = max((c for c, _ in counts.values()), default=0) or 1
    n = len(span)
    # Columns share the sidebar's width (a 73-year index gets thin columns, never a scrollbar); a label
    # needs about 30 units, so years are labelled every 1, 2, 5 or 10 years accordingly.
    step = min(24.0, CHART_WIDTH / max(1, n))
    width = CHART_WIDTH
    every = next(e for e in (1, 2, 5, 10, 20, 50) if e * step >= 30)
    bars = []
    for i, year in enumerate(span):
        count, selected = counts.get(str(year), (0, False))
        h = round(count / peak * COLUMN_AREA) if count else 0
        h = max(2, h) if count else 0
        x = round(i * step, 1)
        middle = round(x + step / 2, 1)
        bars.append(Bar(
            f"{year}", count, url("year", str(year)), selected, x + min(1, step / 8), YEAR_TOP + COLUMN_AREA - h,
            round(step - min(2, step / 4), 1), h, middle, YEAR_TOP + COLUMN_AREA + 14, middle,
            YEAR_TOP + COLUMN_AREA - h - 3, show_label=year % every == 0 or n == 1, show_count=n <= 10 and count > 0,
        ))
    return Chart("year", "按年份", unit, bars, width, YEAR_TOP + COLUMN_AREA + 20, [], kind="columns")
