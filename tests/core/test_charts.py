"""core.charts: the one chart helper (matplotlib SVG): panels, legends, escaping."""

from __future__ import annotations

import re
from datetime import date, timedelta

from matplotlib.backends.backend_agg import FigureCanvasAgg

from core.charts import Chart, bar_chart, sparkline

DAYS = [date(2011, 11, 1) + timedelta(days=i) for i in range(40)]


def _forecast_chart() -> Chart:
    chart = Chart(title="demand and stock", x_label="day")
    demand = chart.panel(y_label="units / day", y_format="{:,.1f}", y_min=0)
    demand.band(DAYS[30:], [0.0] * 10, [250.0] * 10, label="95 % interval")
    demand.line(DAYS[:30], [float(i % 7) for i in range(30)], label="history")
    stock = chart.panel(y_label="units on hand", y_format="{:,.0f}", y_min=0)
    stock.line(DAYS[30:], [500 - 40 * i for i in range(10)], label="stock", step=True)
    stock.hline(120, label="reorder point", color="red")
    return chart


def _inside(inner, outer, tol: float = 0.5) -> bool:
    return (
        inner.x0 >= outer.x0 - tol
        and inner.y0 >= outer.y0 - tol
        and inner.x1 <= outer.x1 + tol
        and inner.y1 <= outer.y1 + tol
    )


def test_panels_each_have_one_y_axis_and_share_x():
    figure = _forecast_chart()._figure()
    axes = figure.get_axes()
    assert len(axes) == 2  # two panels, no twin (right-hand) axis
    assert axes[0].get_ylabel() == "units / day"
    assert axes[1].get_ylabel() == "units on hand"
    assert axes[0].get_shared_x_axes().joined(axes[0], axes[1])


def test_legends_and_bands_are_never_clipped():
    chart = _forecast_chart()
    figure = chart._figure()
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    page = figure.bbox
    for ax in figure.get_axes():
        legend = ax.get_legend()
        assert legend is not None
        assert _inside(legend.get_window_extent(renderer), page)
        # the legend sits above the plotting area, never over the data
        assert legend.get_window_extent(renderer).y0 >= ax.bbox.y1 - 1
    demand = figure.get_axes()[0]
    low, high = demand.get_ylim()
    assert low <= 0.0 and high >= 250.0  # the whole band is inside the axes


def test_svg_is_inline_escaped_and_scales_to_its_container():
    chart = Chart(title="<b>x</b> costs $5")
    chart.panel(y_label="GBP").line([1, 2, 3], [1.0, 2.0, 3.0], label="a $ <i>b</i>")
    svg = chart.svg()
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "&lt;b&gt;x&lt;/b&gt; costs $5" in svg
    assert "a $ &lt;i&gt;b&lt;/i&gt;" in svg and "<i>" not in svg
    assert 'role="img"' in svg and "max-width:100%" in svg
    assert "<?xml" not in svg and "<metadata" not in svg
    assert "*{" not in svg.replace(" ", "")  # no page-wide CSS rule


def test_ids_are_unique_across_charts_on_one_page():
    page = str(_forecast_chart().svg()) + str(_forecast_chart().svg())
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert ids and len(ids) == len(set(ids))
    for ref in re.findall(r"url\(#([^)]+)\)", page):
        assert ref in ids


def test_empty_chart_says_so():
    chart = Chart(title="Price history")
    chart.panel(y_label="GBP")
    assert "No data yet." in chart.svg() and "<svg" not in chart.svg()


def test_tick_format_applies_units():
    chart = Chart(title="shares")
    chart.panel(y_format="{:.0%}", y_min=0, y_max=1).line(
        [0, 1, 2], [0.1, 0.5, 0.9], label="share"
    )
    assert ">40%<" in chart.svg() and ">100%<" in chart.svg()


def test_bar_chart_rows_in_order_with_values():
    svg = bar_chart(
        [("rejected: bad_quantity", 10234), ("flagged: <x>", 5)],
        title="Issues by reason",
        colors=["red", "blue"],
    )
    assert svg.index("rejected: bad_quantity") < svg.index("flagged: &lt;x&gt;")
    assert "10,234" in svg and "Issues by reason" in svg
    assert "No data yet." in bar_chart([], title="Issues by reason")


def test_sparkline_names_first_and_last_value():
    svg = sparkline([3, 4, 9], label="failed runs", value_format="{:,.0f}")
    assert 'aria-label="failed runs: 3 to 9"' in svg
    assert sparkline([1], label="too short") == ""


def test_a_band_leaves_headroom_under_a_fixed_bottom_and_auto_ticks_are_plain():
    """Fixing only y_min once kept matplotlib's top on the band's peak (the 95 %
    band touched the frame); "auto" ticks read 1,400 not 1,400.0 (V2 15.6)."""
    chart = Chart(title="demand", x_label="day")
    demand = chart.panel(y_label="units / day", y_format="auto", y_min=0)
    demand.band(DAYS[30:], [10.0] * 10, [1477.05] * 10, label="95 % interval")
    demand.line(DAYS[:30], [float(40 * (i % 7)) for i in range(30)], label="history")
    figure = chart._figure()
    FigureCanvasAgg(figure).draw()
    ax = figure.get_axes()[0]
    low, high = ax.get_ylim()
    assert low == 0 and high >= 1477.05 * 1.03
    assert high in ax.get_yticks()  # the frame sits on a labelled tick
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert "1,000" in labels and not any(label.endswith(".0") for label in labels)
    fine = Chart(title="shares")
    share = fine.panel(y_label="share", y_format="auto", y_min=0)
    share.line(DAYS[:5], [0.1, 0.35, 0.2, 0.5, 0.45], label="share")
    figure = fine._figure()
    FigureCanvasAgg(figure).draw()
    labels = [t.get_text() for t in figure.get_axes()[0].get_yticklabels()]
    assert "0.1" in labels or "0.10" in labels
