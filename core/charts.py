"""The one chart helper of the suite: server-side SVG drawn by matplotlib.

Every app draws its admin charts through this module (no JavaScript, no CDN, no
hand-made SVG). A :class:`Chart` is a stack of :class:`Panel` objects that share the x
axis; each panel has ONE y axis (never a second one on the right), and its legend sits
above it, outside the plotting area, so legends and bands are never clipped::

    from core.charts import COLORS, Chart

    chart = Chart(title="Demand and stock", x_label="day")
    demand = chart.panel(y_label="units / day", y_format="{:,.1f}")
    demand.band(days, lo_95, hi_95, label="95 % interval", color=COLORS["sky"])
    demand.line(days, mean, label="forecast mean")
    stock = chart.panel(y_label="units on hand", y_format="{:,.0f}")
    stock.line(days, projected, label="projected stock", step=True)
    stock.hline(reorder_point, label="reorder point", color=COLORS["red"])
    html = chart.svg()  # SafeString: put it in a template or an admin display

Also :func:`bar_chart` (labelled horizontal bars) and :func:`sparkline` (a small
trend line for the dashboard). The SVG scales down to its container
(``max-width: 100%``); its text stays text (searchable, selectable) and is escaped.

matplotlib is imported on first use (the figure API only, never pyplot, so rendering
is safe in the threads of a web server).
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

#: Okabe-Ito colours (distinguishable with colour-blindness), by name.
COLORS = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "red": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "grey": "#6E6E6E",
    "black": "#222222",
}
#: Colours of outcomes (task status, quality bands): good, warning, bad, neutral.
STATUS_COLORS = {
    "good": COLORS["green"],
    "warn": COLORS["orange"],
    "bad": COLORS["red"],
    "neutral": COLORS["grey"],
}
#: Order in which series without an explicit colour are coloured.
CYCLE = ("blue", "orange", "green", "red", "purple", "sky", "grey", "black")

Format = str | Callable[[float], str] | None

FONT_SIZE = 12
_ids = itertools.count(1)


def _mpl():
    """Import matplotlib's figure API once; text stays text in the SVG."""
    import matplotlib

    matplotlib.rcParams.update(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "shopai",
            "font.size": FONT_SIZE,
            "font.family": ["DejaVu Sans", "sans-serif"],
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": FONT_SIZE,
            "axes.titlelocation": "left",
            "legend.fontsize": FONT_SIZE - 1,
            "legend.frameon": False,
        }
    )
    from matplotlib.figure import Figure

    return Figure


def _text(value: Any) -> str:
    """A label as literal text: '$' would otherwise start matplotlib's mathtext."""
    return str(value).replace("$", r"\$")


def formatter(fmt: Format) -> Callable[[float], str] | None:
    """A callable for ``fmt``: a ``str.format`` pattern (``"{:,.2f}"``) or callable."""
    if fmt is None or callable(fmt):
        return fmt
    return lambda v: fmt.format(v)


@dataclass
class _Item:
    kind: str
    args: tuple
    options: dict = field(default_factory=dict)


@dataclass
class Panel:
    """One plotting area with its own y axis; add series with the methods below.

    Parameters
    ----------
    y_label : str, the quantity and its unit (``"units / day"``, ``"GBP / week"``).
    height : int, px, the height of the plotting area (legend and labels come on top).
    y_format : str or callable, tick format (``"{:,.0f}"``, ``"{:.0%}"``), or
        ``"auto"``: thousands separators and the decimals the tick step needs.
    y_min, y_max : float, optional, fixed limits (``y_min=0`` for counts).
    title : str, optional, a heading above the panel.
    """

    y_label: str = ""
    height: int = 200
    y_format: Format = None
    y_min: float | None = None
    y_max: float | None = None
    title: str = ""
    items: list[_Item] = field(default_factory=list)

    def _add(self, kind: str, *args, **options) -> Panel:
        self.items.append(_Item(kind, args, options))
        return self

    def line(
        self,
        x: Sequence,
        y: Sequence[float],
        *,
        label: str,
        color: str | None = None,
        step: bool = False,
        dashed: bool = False,
        markers: bool = False,
        width: float = 1.8,
    ) -> Panel:
        """A line through ``(x[i], y[i])``; ``step`` holds each value until the next."""
        return self._add(
            "line",
            x,
            y,
            label=label,
            color=color,
            step=step,
            dashed=dashed,
            markers=markers,
            width=width,
        )

    def band(
        self,
        x: Sequence,
        low: Sequence[float],
        high: Sequence[float],
        *,
        label: str,
        color: str | None = None,
        opacity: float = 0.3,
    ) -> Panel:
        """A shaded interval between ``low`` and ``high`` (always inside the axes)."""
        return self._add(
            "band", x, low, high, label=label, color=color, opacity=opacity
        )

    def scatter(
        self,
        x: Sequence,
        y: Sequence[float],
        *,
        label: str,
        color: str | None = None,
        size: float = 14,
        opacity: float = 0.7,
    ) -> Panel:
        """Points at ``(x[i], y[i])``."""
        return self._add(
            "scatter", x, y, label=label, color=color, size=size, opacity=opacity
        )

    def bars(
        self,
        x: Sequence,
        heights: Sequence[float],
        *,
        label: str | None = None,
        color: str | Sequence[str] | None = None,
        width: float | None = None,
    ) -> Panel:
        """Vertical bars; ``color`` may give one colour per bar."""
        return self._add("bars", x, heights, label=label, color=color, width=width)

    def histogram(
        self,
        values: Sequence[float],
        *,
        bins: int = 30,
        label: str | None = None,
        color: str | None = None,
    ) -> Panel:
        """A histogram of ``values`` in ``bins`` equal bins (NaN and None dropped)."""
        return self._add("histogram", values, bins=bins, label=label, color=color)

    def hline(
        self, y: float, *, label: str, color: str | None = None, dashed: bool = True
    ) -> Panel:
        """A horizontal reference line across the panel (named in the legend)."""
        return self._add("hline", y, label=label, color=color, dashed=dashed)

    def vline(
        self, x: Any, *, label: str, color: str | None = None, dashed: bool = True
    ) -> Panel:
        """A vertical reference line (a date, a price) named in the legend."""
        return self._add("vline", x, label=label, color=color, dashed=dashed)

    @property
    def is_empty(self) -> bool:
        return not self.items


class Chart:
    """A figure of one or more panels stacked on a shared x axis, rendered as SVG.

    Parameters
    ----------
    title : str, the heading (also the SVG's accessible name).
    x_label : str, the x quantity and unit, under the bottom panel.
    x_format : str or callable, optional, tick format of a numeric x axis.
    width : int, px, at full size (the SVG shrinks to narrower containers).
    empty : str, what :meth:`svg` says when no panel has data.
    """

    def __init__(
        self,
        *,
        title: str = "",
        x_label: str = "",
        x_format: Format = None,
        width: int = 720,
        empty: str = "No data yet.",
    ) -> None:
        self.title = title
        self.x_label = x_label
        self.x_format = x_format
        self.width = width
        self.empty = empty
        self.panels: list[Panel] = []

    def panel(self, **options) -> Panel:
        """Add a panel below the others (see :class:`Panel` for the options)."""
        panel = Panel(**options)
        self.panels.append(panel)
        return panel

    @property
    def is_empty(self) -> bool:
        return all(p.is_empty for p in self.panels)

    def svg(self) -> SafeString:
        """The chart as inline SVG markup (or a short "no data" paragraph)."""
        if self.is_empty:
            return _empty(self.title, self.empty)
        figure = self._figure()
        return _to_svg(figure, title=self.title, width=self.width)

    def __html__(self) -> str:
        return self.svg()

    def __str__(self) -> str:
        return self.svg()

    def _figure(self):
        Figure = _mpl()
        panels = [p for p in self.panels if not p.is_empty]
        height = sum(p.height + 40 for p in panels) + (34 if self.title else 0) + 34
        figure = Figure(figsize=(self.width / 72, height / 72), dpi=72)
        figure.set_layout_engine("constrained", h_pad=0.06, w_pad=0.06)
        if self.title:
            figure.suptitle(_text(self.title), x=0.01, ha="left", fontweight="bold")
        axes = figure.subplots(
            len(panels),
            1,
            sharex=True,
            squeeze=False,
            height_ratios=[p.height for p in panels],
        )[:, 0]
        colors = itertools.cycle(CYCLE)
        for ax, panel in zip(axes, panels, strict=True):
            _draw_panel(ax, panel, colors, self.width)
        if self.x_label:
            axes[-1].set_xlabel(_text(self.x_label))
        _format_x(axes[-1], self.x_format)
        return figure


def _headroom(ax, bottom: float | None) -> float:
    """The top of a panel whose bottom is fixed: the first tick at least 3 % above
    the highest value drawn (lines, bands, reference lines), so nothing touches
    the frame. (Fixing only the bottom would keep matplotlib's top, which sits
    exactly on the highest band.)"""
    ax.relim()
    ax.autoscale_view(scalex=False)
    low, high = ax.dataLim.intervaly
    if not (high > (bottom or 0) or high < 0):
        return ax.get_ylim()[1]
    span = high - (bottom if bottom is not None else low)
    wanted = high + 0.03 * abs(span or high or 1)
    ticks = ax.yaxis.get_major_locator().tick_values(
        bottom if bottom is not None else low, wanted
    )
    above = [t for t in ticks if t >= wanted]
    return float(min(above)) if above else float(wanted)


def _auto_ticks():
    """Tick labels with thousands separators and only the decimals the tick step
    needs: ``0, 500, 1,000, 1,500`` or ``0.0, 0.5, 1.0`` (never ``1,400.0``)."""
    from matplotlib.ticker import Formatter

    class AutoTicks(Formatter):
        ticks: tuple = ()

        def set_locs(self, locs):
            self.ticks = tuple(locs)

        def __call__(self, value, pos=None):
            locs = sorted(self.ticks)
            steps = [b - a for a, b in itertools.pairwise(locs) if b > a]
            step = min(steps) if steps else 1.0
            places = next(
                (p for p in range(6) if abs(round(step, p) - step) < 1e-9 * step), 6
            )
            return _text(f"{value:,.{places}f}")

    return AutoTicks()


def _empty(title: str, message: str) -> SafeString:
    head = f"<strong>{escape(title)}</strong>: " if title else ""
    return mark_safe(f'<p class="chart-empty">{head}{escape(message)}</p>')


def _color(value: str | None, colors) -> str:
    if value is None:
        return COLORS[next(colors)]
    return COLORS.get(value, value)


def _draw_panel(ax, panel: Panel, colors, width: int) -> None:
    for item in panel.items:
        _DRAW[item.kind](ax, item, colors)
    if panel.y_label:
        ax.set_ylabel(_text(panel.y_label))
    if panel.title:
        ax.set_title(_text(panel.title), loc="left", pad=4)
    if panel.y_min is not None or panel.y_max is not None:
        top = panel.y_max
        if top is None:
            top = _headroom(ax, panel.y_min)
        ax.set_ylim(bottom=panel.y_min, top=top)
    if panel.y_format == "auto":
        ax.yaxis.set_major_formatter(_auto_ticks())
    else:
        fmt = formatter(panel.y_format)
        if fmt is not None:
            from matplotlib.ticker import FuncFormatter

            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _text(fmt(v))))
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ncols = _legend_columns(labels, width)
        order = _row_major(len(labels), ncols)
        ax.legend(
            [handles[i] for i in order],
            [labels[i] for i in order],
            loc="lower left",
            bbox_to_anchor=(0.0, 1.01),
            ncols=ncols,
            borderaxespad=0.2,
            handlelength=1.6,
            columnspacing=1.2,
        )


def _legend_columns(labels: list[str], width: int) -> int:
    """As many columns as fit in ``width`` px (about 7 px a character)."""
    widest = max(len(label) for label in labels) * 7 + 40
    return max(1, min(len(labels), (width - 80) // widest))


def _row_major(n: int, ncols: int) -> list[int]:
    """Order of ``n`` entries so matplotlib's column-major legend reads by rows."""
    nrows = -(-n // ncols)
    grid = [
        [r * ncols + c for r in range(nrows) if r * ncols + c < n] for c in range(ncols)
    ]
    return [i for column in grid for i in column]


def _format_x(ax, x_format: Format) -> None:
    fmt = formatter(x_format)
    if fmt is not None:
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _text(fmt(v))))
        return
    converter = ax.xaxis.get_converter()
    if converter is not None and "date" in type(converter).__name__.lower():
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

        locator = AutoDateLocator(minticks=3, maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    else:
        for label in ax.get_xticklabels():
            label.set_text(_text(label.get_text()))


def _label(value: str | None) -> str | None:
    return None if value is None else _text(value)


def _draw_line(ax, item: _Item, colors) -> None:
    x, y = item.args
    o = item.options
    ax.plot(
        list(x),
        list(y),
        label=_label(o["label"]),
        color=_color(o["color"], colors),
        linewidth=o["width"],
        linestyle="--" if o["dashed"] else "-",
        drawstyle="steps-post" if o["step"] else "default",
        marker="o" if o["markers"] else None,
        markersize=4,
    )


def _draw_band(ax, item: _Item, colors) -> None:
    x, low, high = item.args
    o = item.options
    ax.fill_between(
        list(x),
        list(low),
        list(high),
        label=_label(o["label"]),
        color=_color(o["color"], colors),
        alpha=o["opacity"],
        linewidth=0,
        step=None,
    )


def _draw_scatter(ax, item: _Item, colors) -> None:
    x, y = item.args
    o = item.options
    ax.scatter(
        list(x),
        list(y),
        label=_label(o["label"]),
        color=_color(o["color"], colors),
        s=o["size"],
        alpha=o["opacity"],
        linewidths=0,
    )


def _draw_bars(ax, item: _Item, colors) -> None:
    x, heights = item.args
    o = item.options
    color = o["color"]
    if color is None or isinstance(color, str):
        color = _color(color, colors)
    else:
        color = [COLORS.get(c, c) for c in color]
    options = {"width": o["width"]} if o["width"] is not None else {}
    ax.bar(
        [_text(v) if isinstance(v, str) else v for v in x],
        list(heights),
        label=_label(o["label"]),
        color=color,
        **options,
    )


def _draw_histogram(ax, item: _Item, colors) -> None:
    import math

    (values,) = item.args
    o = item.options
    clean = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    ax.hist(
        clean,
        bins=o["bins"],
        label=_label(o["label"]),
        color=_color(o["color"], colors),
        edgecolor="white",
        linewidth=0.5,
    )


def _draw_hline(ax, item: _Item, colors) -> None:
    (y,) = item.args
    o = item.options
    ax.axhline(
        y,
        label=_label(o["label"]),
        color=_color(o["color"], colors),
        linestyle="--" if o["dashed"] else "-",
        linewidth=1.4,
    )


def _draw_vline(ax, item: _Item, colors) -> None:
    (x,) = item.args
    o = item.options
    ax.axvline(
        x,
        label=_label(o["label"]),
        color=_color(o["color"], colors),
        linestyle="--" if o["dashed"] else "-",
        linewidth=1.4,
    )


_DRAW = {
    "line": _draw_line,
    "band": _draw_band,
    "scatter": _draw_scatter,
    "bars": _draw_bars,
    "histogram": _draw_histogram,
    "hline": _draw_hline,
    "vline": _draw_vline,
}

_ID = re.compile(r'\bid="([^"]+)"')
_HEAD = re.compile(r"^.*?(<svg\b)", re.S)
_SIZE = re.compile(r'<svg([^>]*?) width="([\d.]+)pt" height="([\d.]+)pt"')
_STYLE = re.compile(r"<defs>\s*<style[^>]*>.*?</style>\s*</defs>", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>", re.S)


def _to_svg(figure, *, title: str, width: int) -> SafeString:
    """Render ``figure`` as inline SVG: unique ids, px size, scales to its container."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = _HEAD.sub(r"\1", buffer.getvalue(), count=1)
    svg = _STYLE.sub("", svg, count=1)  # its '*' rule would style the whole page
    svg = _METADATA.sub("", svg, count=1)
    prefix = f"chart{next(_ids)}-"
    for name in set(_ID.findall(svg)):
        svg = svg.replace(f'id="{name}"', f'id="{prefix}{name}"')
        svg = svg.replace(f"#{name})", f"#{prefix}{name})")
        svg = svg.replace(f'href="#{name}"', f'href="#{prefix}{name}"')
    label = escape(title) if title else "chart"
    svg = _SIZE.sub(
        lambda m: (
            f'<svg{m.group(1)} width="{float(m.group(2)):.0f}" '
            f'height="{float(m.group(3)):.0f}" role="img" aria-label="{label}" '
            'class="chart" style="max-width:100%;height:auto;'
            'stroke-linejoin:round;stroke-linecap:butt"'
        ),
        svg,
        count=1,
    )
    return mark_safe(svg)  # noqa: S308 - matplotlib escapes every text it writes


def bar_chart(
    rows: Sequence[tuple[str, float]],
    *,
    title: str = "",
    x_label: str = "",
    value_format: Format = "{:,.0f}",
    colors: Sequence[str] | None = None,
    width: int = 560,
    x_max: float | None = None,
) -> SafeString:
    """Labelled horizontal bars, first row on top, each with its value at its end.

    Parameters
    ----------
    rows : [(label, value)], values in the unit of ``x_label``.
    colors : one colour (name or hex) per row; default all blue.
    x_max : float, optional, a fixed end of the scale (1.0 for shares).
    """
    if not rows:
        return _empty(title, "No data yet.")
    Figure = _mpl()
    height = 22 * len(rows) + (34 if title else 0) + (44 if x_label else 24)
    figure = Figure(figsize=(width / 72, height / 72), dpi=72)
    figure.set_layout_engine("constrained", h_pad=0.04, w_pad=0.06)
    ax = figure.subplots()
    labels = [_text(label) for label, _ in rows]
    values = [float(v) for _, v in rows]
    fill = [COLORS.get(c, c) for c in colors] if colors else COLORS["blue"]
    positions = list(range(len(rows)))
    bars = ax.barh(positions, values, color=fill, height=0.7)
    ax.set_yticks(positions, labels)
    ax.invert_yaxis()
    fmt = formatter(value_format) or str
    ax.bar_label(bars, labels=[_text(fmt(v)) for v in values], padding=3)
    top = x_max if x_max is not None else max(values + [0.0])
    ax.set_xlim(min(values + [0.0]), (top or 1.0) * 1.18)
    ax.xaxis.set_visible(bool(x_label))
    if x_label:
        ax.set_xlabel(_text(x_label))
    ax.spines["bottom"].set_visible(bool(x_label))
    ax.tick_params(axis="y", length=0)
    if title:
        figure.suptitle(_text(title), x=0.01, ha="left", fontweight="bold")
    return _to_svg(figure, title=title, width=width)


def sparkline(
    values: Sequence[float],
    *,
    label: str,
    width: int = 160,
    height: int = 36,
    color: str = "blue",
    value_format: Format = "{:,.0f}",
) -> SafeString:
    """A small trend line (no axes) for the dashboard; the last point is marked.

    ``label`` names the series (the accessible name, with the first and last value).
    """
    points = [float(v) for v in values if v is not None]
    if len(points) < 2:
        return mark_safe("")
    Figure = _mpl()
    figure = Figure(figsize=(width / 72, height / 72), dpi=72)
    ax = figure.add_axes((0.02, 0.12, 0.96, 0.76))
    ax.set_axis_off()
    stroke = COLORS.get(color, color)
    ax.plot(range(len(points)), points, color=stroke, linewidth=1.6)
    ax.fill_between(range(len(points)), points, min(points), color=stroke, alpha=0.12)
    ax.plot([len(points) - 1], [points[-1]], "o", color=stroke, markersize=3.5)
    fmt = formatter(value_format) or str
    title = f"{label}: {fmt(points[0])} to {fmt(points[-1])}"
    return _to_svg(figure, title=title, width=width)
