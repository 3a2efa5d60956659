"""Server-side SVG chart of a product's demand, forecast and stock (no JS, no CDN)."""

from __future__ import annotations

from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

COLOURS = {
    "history": "#34495e",
    "mean": "#2e86c1",
    "band95": "#d6eaf8",
    "band80": "#aed6f1",
    "stock": "#27ae60",
    "rop": "#c0392b",
}


def forecast_chart_svg(
    *,
    history: list[tuple[date, float]],
    forecast: list[dict],
    available: float,
    reorder_point: float,
    width: int = 760,
    height: int = 260,
) -> SafeString:
    """History (line), forecast mean with 80/95 % bands, projected stock and the
    reorder point, on one time axis. ``forecast`` rows: day, mean, lo_80, hi_80,
    lo_95, hi_95. Left axis: units per day; right axis: units of stock."""
    days = [d for d, _ in history] + [r["day"] for r in forecast]
    if not days:
        return mark_safe("<p>No demand history.</p>")
    stock, level = [], float(available)
    for r in forecast:
        level = max(level - r["mean"], 0.0)
        stock.append(level)
    values = [v for _, v in history] + [r["hi_95"] for r in forecast]
    top = max(values + [1.0]) * 1.05
    # stock and reorder point have their own (right-hand) axis: units on hand dwarf
    # daily demand
    top_stock = max([available, reorder_point, *stock, 1.0]) * 1.05
    left, right, pad_t, pad_b = 48, 160, 10, 26
    w, h = width - left - right, height - pad_t - pad_b
    n = max(len(days) - 1, 1)

    def x(i: int) -> float:
        return left + w * i / n

    def y(v: float) -> float:
        return pad_t + h * (1 - v / top)

    def y2(v: float) -> float:
        return pad_t + h * (1 - v / top_stock)

    off = len(history)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        'style="max-width:100%; height:auto; font: 11px sans-serif">',
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{left + w}" y2="{y(0):.1f}" '
        'stroke="#999"/>',
    ]
    for tick in (0.0, top / 2, top / 1.05):
        parts.append(
            f'<text x="{left - 4}" y="{y(tick) + 4:.1f}" text-anchor="end">'
            f"{tick:,.0f}</text>"
        )
    for tick in (0.0, top_stock / 2, top_stock / 1.05):
        parts.append(
            f'<text x="{left + w + 4}" y="{y2(tick) + 4:.1f}" '
            f'fill="{COLOURS["stock"]}">{tick:,.0f}</text>'
        )
    if forecast:
        for lo, hi, colour in (
            ("lo_95", "hi_95", COLOURS["band95"]),
            ("lo_80", "hi_80", COLOURS["band80"]),
        ):
            upper = [f"{x(off + i):.1f},{y(r[hi]):.1f}" for i, r in enumerate(forecast)]
            lower = [f"{x(off + i):.1f},{y(r[lo]):.1f}" for i, r in enumerate(forecast)]
            parts.append(
                f'<polygon points="{" ".join(upper + lower[::-1])}" fill="{colour}">'
                f"<title>{lo[-2:]} % interval</title></polygon>"
            )
    parts.append(
        _polyline([(x(i), y(v)) for i, (_, v) in enumerate(history)], "history")
    )
    if forecast:
        parts.append(
            _polyline(
                [(x(off + i), y(r["mean"])) for i, r in enumerate(forecast)], "mean"
            )
        )
        parts.append(
            _polyline(
                [(x(off - 1 if off else 0), y2(available))]
                + [(x(off + i), y2(s)) for i, s in enumerate(stock)],
                "stock",
                dash="4 3",
            )
        )
    parts.append(
        f'<line x1="{left}" y1="{y2(reorder_point):.1f}" x2="{left + w}" '
        f'y2="{y2(reorder_point):.1f}" stroke="{COLOURS["rop"]}" '
        'stroke-dasharray="6 3">'
        f"<title>reorder point {reorder_point:,.0f}</title></line>"
    )
    legend = [
        ("history", "demand history"),
        ("mean", "forecast mean"),
        ("band80", "80 % interval"),
        ("band95", "95 % interval"),
        ("stock", "projected stock (right)"),
        ("rop", "reorder point (right)"),
    ]
    for i, (key, label) in enumerate(legend):
        ly = pad_t + 14 * i + 6
        parts.append(
            f'<rect x="{left + w + 50}" y="{ly - 8}" width="10" height="10" '
            f'fill="{COLOURS[key]}"/><text x="{left + w + 64}" y="{ly + 1}">'
            f"{escape(label)}</text>"
        )
    first, last = days[0], days[-1]
    parts.append(
        f'<text x="{left}" y="{height - 8}">{first:%Y-%m-%d}</text>'
        f'<text x="{left + w}" y="{height - 8}" text-anchor="end">'
        f"{last:%Y-%m-%d}</text>"
    )
    if forecast and off:
        parts.append(
            f'<line x1="{x(off):.1f}" y1="{pad_t}" x2="{x(off):.1f}" y2="{y(0):.1f}" '
            'stroke="#bbb"/>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _polyline(points, key: str, dash: str = "") -> str:
    if not points:
        return ""
    coords = " ".join(f"{a:.1f},{b:.1f}" for a, b in points)
    style = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<polyline points="{coords}" fill="none" stroke="{COLOURS[key]}" '
        f'stroke-width="1.5"{style}/>'
    )
