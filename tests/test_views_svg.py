"""Server-side chart geometry (web/svg.py): data in, geometry out."""

from __future__ import annotations

import random

from web import svg


def _points(series: svg.Series) -> list[tuple[float, float]]:
    return [tuple(map(float, p.split(","))) for seg in series.segments for p in seg.split()]


def test_line_chart_maps_values_into_the_plot():
    xs = list(range(2015, 2027))
    chart = svg.line_chart(xs, [("甲", [i / 11 for i in range(12)]), ("乙", [0.5] * 12)], title="t")
    first, second = chart.series
    pts = _points(first)
    assert pts[0] == (chart.left, chart.bottom) and pts[-1][0] == chart.right
    assert all(chart.top <= y <= chart.bottom for _, y in pts)
    assert [t.label for t in chart.y_ticks][0] == "0%" and chart.y_ticks[-1].label == "100%"
    assert {y for _, y in _points(second)} == {round(chart.bottom - (chart.bottom - chart.top) / 2, 1)}
    assert chart.x_ticks[0].label == "2015" and chart.x_ticks[-1].label == "2026"


def test_missing_values_break_the_line():
    chart = svg.line_chart([1, 2, 3, 4, 5], [("甲", [0.1, 0.2, None, 0.3, 0.4])], title="t")
    assert len(chart.series[0].segments) == 2 and len(chart.series[0].dots) == 4


def test_end_labels_never_overlap():
    rng = random.Random(7)
    for n in (1, 3, 12, 20):
        series = [(f"词{i}", [rng.random() * 0.01 for _ in range(10)]) for i in range(n)]
        chart = svg.line_chart(list(range(10)), series, title="t")
        ys = sorted(s.label_y for s in chart.series)
        assert all(b - a >= svg.LABEL_GAP - 0.01 for a, b in zip(ys, ys[1:]))
        assert all(chart.top <= y <= chart.bottom for y in ys)
        assert len({s.color + s.dash for s in chart.series}) == n  # 20 series: colours repeat with a dash


def test_tile_map_places_every_province_once():
    positions = list(svg.TILES.values())
    assert len(positions) == len(set(positions)) == 34
    values = {"江西": svg.TileValue(2017, True, "/a"), "湖南": svg.TileValue(2021, True, "/b"),
              "广东": svg.TileValue(2025, True, "/c"), "天津": svg.TileValue(None, True, "/d")}
    m = svg.tile_map(values, title="t")
    by_name = {t.name: t for t in m.tiles}
    assert by_name["江西"].fill == svg.YEAR_COLOURS[0] and by_name["广东"].fill == svg.YEAR_COLOURS[-1]
    assert by_name["天津"].state == "silent" and by_name["天津"].url == "/d"
    assert by_name["西藏"].state == "absent" and by_name["西藏"].url is None
    assert all(0 <= t.x <= m.width - m.size and 0 <= t.y <= m.height - m.size for t in m.tiles)
    assert [item.label for item in m.legend][0].startswith("2017") and m.legend[-1].label == "未收录"


def test_tile_map_title_survives_provinces_without_reports():
    m = svg.tile_map({"江西": svg.TileValue(2017, True, "/a")}, title="河长制：各省份首次提及")
    assert m.title == "河长制：各省份首次提及"  # 香港 etc. have no reports; their tooltip is not the chart's title
    assert {t.title for t in m.tiles if t.name == "香港"} == {"香港：本索引未收录其报告"}


def test_short_names():
    assert svg.short_name("内蒙古自治区") == "内蒙古" and svg.short_name("黑龙江省") == "黑龙江"
    assert svg.short_name("广西壮族自治区") == "广西" and svg.short_name("某某") is None


def test_shades():
    assert svg.shade(None) == "na" and svg.shade(0) == "s0" and svg.shade(0.05) == "s1"
    assert svg.shade(0.25) == "s2" and svg.shade(0.5) == "s3" and svg.shade(0.75) == "s4" and svg.shade(1) == "s5"
    assert [c for c, _ in svg.shade_legend()] == ["na", "s0", "s1", "s2", "s3", "s4", "s5"]
