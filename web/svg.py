"""Server-side SVG charts: data in, geometry out; templates only draw what these functions computed.

- `line_chart`: one line per series over years, each labelled at its end (labels pushed apart so
  they never overlap), gaps where a value is missing (no report indexed that year);
- `tile_map`: a grid of China's provinces, one square each, placed roughly where they lie, coloured
  by a year (the year of first use), with a legend;
- `shade`: the class of a table cell shaded by a share (the colours live in research.css, since the
  Content-Security-Policy forbids inline styles; SVG colours are attributes, which it allows).

Units are SVG user units, about one CSS pixel at the desktop width; every chart scales down with its
container on a phone (viewBox, width 100%).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

# Okabe–Ito and Tableau colours: distinguishable for the common colour-vision deficiencies; past ten
# series the colours repeat with a dash pattern.
PALETTE: tuple[str, ...] = (
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#8c564b", "#7f7f7f", "#bcbd22", "#1f2328",
)
DASHES: tuple[str, ...] = ("", "6 3", "2 3", "8 3 2 3")


# -- line chart ------------------------------------------------------------------------------------------
@dataclass
class Tick:
    """An axis tick: where, and its label."""

    pos: float
    label: str


@dataclass
class Dot:
    """A data point with its tooltip."""

    x: float
    y: float
    title: str


@dataclass
class Series:
    """One line: its segments (polyline point lists), points, colour, and where its label goes."""

    label: str
    color: str
    dash: str
    segments: list[str]  # "x,y x,y …" per unbroken run of values
    dots: list[Dot]
    label_x: float = 0.0
    label_y: float = 0.0
    end_x: float = 0.0  # the last point, joined to the label by a leader line when the label moved
    end_y: float = 0.0
    moved: bool = False


@dataclass
class LineChart:
    """A line chart's geometry."""

    title: str
    width: int
    height: int
    left: int
    top: int
    right: int  # x of the plot's right edge
    bottom: int  # y of the plot's bottom edge (the x axis)
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    series: list[Series]
    empty: bool = False


LABEL_GAP = 15  # minimum vertical distance between two end labels
CHAR_WIDTH = 13  # width of a CJK character at the labels' font size


def nice_step(span: float, target: int) -> float:
    """A round step (1, 2, 2.5 or 5 × 10^k) dividing `span` into about `target` parts."""
    if span <= 0:
        return 1.0
    raw = span / max(1, target)
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def percent(value: float) -> str:
    """0.254 → "25%"; small shares keep a decimal ("2.5%")."""
    pct = value * 100
    if pct == 0 or pct >= 10 or float(pct).is_integer():
        return f"{pct:.0f}%"
    return f"{pct:.1f}%"


def spread_labels(wanted: list[float], low: float, high: float, gap: float = LABEL_GAP) -> list[float]:
    """Positions as close to `wanted` as possible, at least `gap` apart, within [low, high]."""
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    placed = [0.0] * len(wanted)
    previous = low - gap
    for i in order:
        placed[i] = max(wanted[i], previous + gap)
        previous = placed[i]
    # pushed past the bottom: shift up from the last one
    following = high + gap
    for i in reversed(order):
        placed[i] = min(placed[i], following - gap)
        following = placed[i]
    return placed


def line_chart(
    xs: Sequence[int], series: Sequence[tuple[str, Sequence[float | None]]], *, title: str,
    y_max: float | None = None, y_format: Callable[[float], str] = percent,
    value_title: Callable[[int, float], str] | None = None,
    width: int = 720, plot_height: int = 220,
) -> LineChart:
    """Lines over the x values (years), one per (label, values) pair; None leaves a gap."""
    longest = max((len(label) for label, _ in series), default=0)
    left, top = 48, 12
    label_space = min(12, longest) * CHAR_WIDTH + 24
    right = width - label_space
    height = max(plot_height, LABEL_GAP * len(series) + 24) + top + 30
    bottom = height - 30
    values = [v for _, vs in series for v in vs if v is not None]
    peak = max(values, default=0.0)
    top_value = y_max if y_max is not None else peak
    if top_value <= 0:
        top_value = 1.0
    step = nice_step(top_value, 4)
    top_value = step * math.ceil(top_value / step - 1e-9)
    n = len(xs)

    def x_at(i: int) -> float:
        return round(left + (right - left) * (i / (n - 1) if n > 1 else 0.5), 1)

    def y_at(v: float) -> float:
        return round(bottom - (bottom - top) * (v / top_value), 1)

    y_ticks = [Tick(y_at(k * step), y_format(k * step)) for k in range(int(round(top_value / step)) + 1)]
    every = next((s for s in (1, 2, 5, 10, 20, 25, 50) if n / s <= 12), 100)
    x_ticks = [Tick(x_at(i), str(x)) for i, x in enumerate(xs) if (x % every == 0 or every == 1) or i in (0, n - 1)]
    # keep the last tick, drop a tick crowding it
    if len(x_ticks) >= 2 and x_ticks[-1].pos - x_ticks[-2].pos < 30 and x_ticks[-2].pos != x_ticks[0].pos:
        del x_ticks[-2]
    out: list[Series] = []
    for k, (label, vs) in enumerate(series):
        segments: list[str] = []
        run: list[str] = []
        dots: list[Dot] = []
        for i, v in enumerate(vs):
            if v is None:
                if run:
                    segments.append(" ".join(run))
                run = []
                continue
            x, y = x_at(i), y_at(v)
            run.append(f"{x},{y}")
            tip = value_title(xs[i], v) if value_title else f"{xs[i]}：{y_format(v)}"
            dots.append(Dot(x, y, f"{label} {tip}"))
        if run:
            segments.append(" ".join(run))
        color = PALETTE[k % len(PALETTE)]
        dash = DASHES[(k // len(PALETTE)) % len(DASHES)]
        s = Series(label, color, dash, segments, dots)
        if dots:
            s.end_x, s.end_y = dots[-1].x, dots[-1].y
        else:
            s.end_x, s.end_y = right, bottom
        out.append(s)
    placed = spread_labels([s.end_y for s in out], top + 4, bottom)
    for s, y in zip(out, placed):
        s.label_x = right + 14
        s.label_y = round(y, 1)
        s.moved = abs(y - s.end_y) > 1
    return LineChart(title, width, height, left, top, right, bottom, x_ticks, y_ticks, out, empty=not values)


# -- tile map --------------------------------------------------------------------------------------------
# (column, row) of each province on a 9 × 8 grid, roughly as they lie: north at the top.
TILES: dict[str, tuple[int, int]] = {
    "黑龙江": (8, 0),
    "新疆": (1, 1), "内蒙古": (5, 1), "吉林": (8, 1),
    "甘肃": (3, 2), "宁夏": (4, 2), "山西": (5, 2), "北京": (6, 2), "天津": (7, 2), "辽宁": (8, 2),
    "青海": (2, 3), "陕西": (4, 3), "河南": (5, 3), "河北": (6, 3), "山东": (7, 3),
    "西藏": (1, 4), "四川": (3, 4), "重庆": (4, 4), "湖北": (5, 4), "安徽": (6, 4), "江苏": (7, 4), "上海": (8, 4),
    "云南": (3, 5), "贵州": (4, 5), "湖南": (5, 5), "江西": (6, 5), "浙江": (7, 5),
    "广西": (4, 6), "广东": (5, 6), "福建": (6, 6), "台湾": (7, 6),
    "海南": (4, 7), "澳门": (5, 7), "香港": (6, 7),
}
TILE = 56  # square side
TILE_GAP = 4
# Sequential colours, earliest (darkest) to latest (lightest); text colour chosen for contrast.
# Viridis, seven steps: adjacent steps stay distinct (blues alone made 2024 and 2025 hard to tell apart).
YEAR_COLOURS: tuple[str, ...] = ("#440154", "#443983", "#31688e", "#21918c", "#35b779", "#90d743", "#fde725")
DARK_TEXT_FROM = 4  # colours from this index on take dark text
SILENT = "#eceff1"  # reports indexed, none mentioning
ABSENT = "#ffffff"  # no report indexed


def short_name(province: str) -> str | None:
    """The tile of a province value ("内蒙古自治区" → "内蒙古"), or None."""
    for name in TILES:
        if province.startswith(name):
            return name
    return None


@dataclass
class TileValue:
    """What one province shows: its year (None: not used), whether reports are indexed, link, tooltip."""

    year: int | None
    indexed: bool
    url: str | None = None
    title: str = ""


@dataclass
class Tile:
    """One square."""

    name: str
    x: int
    y: int
    fill: str
    text: str  # text colour
    sub: str  # second line: the year, or "—"/"未收录"
    url: str | None
    title: str
    state: str  # "used", "silent", "absent"


@dataclass
class LegendItem:
    """A colour and what it means."""

    fill: str
    label: str


@dataclass
class TileMap:
    """The map's geometry and legend."""

    title: str
    width: int
    height: int
    size: int
    tiles: list[Tile]
    legend: list[LegendItem] = field(default_factory=list)


def year_colour(year: int, low: int, high: int) -> int:
    """Index into YEAR_COLOURS of a year between low (darkest) and high (lightest)."""
    if high <= low:
        return 0
    return min(len(YEAR_COLOURS) - 1, int((year - low) / (high - low + 1) * len(YEAR_COLOURS)))


def tile_map(values: Mapping[str, TileValue], *, title: str) -> TileMap:
    """Every province as a square, coloured by its year; `values` is keyed by short name (`short_name`)."""
    years = [v.year for v in values.values() if v.year is not None]
    low, high = (min(years), max(years)) if years else (0, 0)
    tiles: list[Tile] = []
    for name, (col, row) in TILES.items():
        value = values.get(name)
        x, y = col * (TILE + TILE_GAP), row * (TILE + TILE_GAP)
        if value is not None and value.year is not None:
            k = year_colour(value.year, low, high)
            tiles.append(Tile(name, x, y, YEAR_COLOURS[k], "#1f2328" if k >= DARK_TEXT_FROM else "#ffffff",
                              str(value.year), value.url, value.title, "used"))
        elif value is not None and value.indexed:
            tiles.append(Tile(name, x, y, SILENT, "#1f2328", "未提及", value.url, value.title, "silent"))
        else:
            tip = f"{name}：本索引未收录其报告"  # not `title`: that is the map's own, used after the loop
            tiles.append(Tile(name, x, y, ABSENT, "#5f6b76", "未收录", None, tip, "absent"))
    legend: list[LegendItem] = []
    if years:
        for k, colour in enumerate(YEAR_COLOURS):
            first = low + math.ceil(k * (high - low + 1) / len(YEAR_COLOURS))
            last = low + math.ceil((k + 1) * (high - low + 1) / len(YEAR_COLOURS)) - 1
            if first > last or first > high:
                continue
            legend.append(LegendItem(colour, f"{first}" if first == last else f"{first}–{min(last, high)}"))
    legend.append(LegendItem(SILENT, "有报告，未提及"))
    legend.append(LegendItem(ABSENT, "未收录"))
    cols = 1 + max(c for c, _ in TILES.values())
    rows = 1 + max(r for _, r in TILES.values())
    return TileMap(title, cols * (TILE + TILE_GAP) - TILE_GAP, rows * (TILE + TILE_GAP) - TILE_GAP, TILE, tiles, legend)


# -- shaded tables ---------------------------------------------------------------------------------------
SHADE_BOUNDS: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75)  # upper bounds of classes s1 … s4; s5 above


def shade(share: float | None) -> str:
    """The CSS class of a cell: "na" (no report indexed), "s0" (none mention), "s1" … "s5" by share."""
    if share is None:
        return "na"
    if share <= 0:
        return "s0"
    for k, bound in enumerate(SHADE_BOUNDS, 1):
        if share <= bound:
            return f"s{k}"
    return "s5"


def shade_legend() -> list[tuple[str, str]]:
    """(class, label) of every shade, for a legend."""
    labels = ["0"] + [
        f"≤{percent(b)}" if k == 0 else f"{percent(SHADE_BOUNDS[k - 1])}–{percent(b)}" for k, b in enumerate(SHADE_BOUNDS)
    ] + [f">{percent(SHADE_BOUNDS[-1])}"]
    return [("na", "未收录")] + [(f"s{k}", label) for k, label in enumerate(labels)]
