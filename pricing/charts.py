"""Server-side inline SVG charts for the pricing admin (no JavaScript, no CDN).

* demand chart: the fitted demand curve (with its 95 % band) over the observed weekly
  (list price, units) points, current and suggested prices marked;
* objective chart: expected weekly profit (or revenue) against price.
"""

from __future__ import annotations

from html import escape

import numpy as np

from .algorithms.optimizer import demand

W, H, PAD_L, PAD_R, PAD_T, PAD_B = 460, 260, 56, 16, 28, 40


def _scale(lo: float, hi: float, a: float, b: float):
    span = (hi - lo) or 1.0
    return lambda v: a + (np.asarray(v, float) - lo) / span * (b - a)


def _path(xs, ys) -> str:
    return " ".join(
        f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}"
        for i, (x, y) in enumerate(zip(xs, ys, strict=True))
    )


def _ticks(lo: float, hi: float, n: int = 5) -> np.ndarray:
    return np.linspace(lo, hi, n)


def svg_chart(
    *,
    title: str,
    x_label: str,
    y_label: str,
    curves: list[dict],
    points: list[tuple[float, float]] = (),
    markers: list[dict] = (),
    band: tuple | None = None,
) -> str:
    """An SVG line chart. ``curves``: {x, y, color, label}; ``markers``: vertical
    lines {x, color, label}; ``band``: (x, y_low, y_high) shaded."""
    xs = np.concatenate(
        [np.asarray(c["x"], float) for c in curves]
        + [np.array([p[0] for p in points], float)]
    )
    ys = np.concatenate(
        [np.asarray(c["y"], float) for c in curves]
        + [np.array([p[1] for p in points], float)]
        + ([np.asarray(band[1]), np.asarray(band[2])] if band else [])
    )
    ys = ys[np.isfinite(ys)]
    x0, x1 = float(xs.min()), float(xs.max())
    y0, y1 = min(0.0, float(ys.min())), float(np.quantile(ys, 0.98)) * 1.05 or 1.0
    sx, sy = _scale(x0, x1, PAD_L, W - PAD_R), _scale(y0, y1, H - PAD_B, PAD_T)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
        f'viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}" '
        'style="font:11px sans-serif;background:#fff">',
        f'<text x="{W / 2}" y="16" text-anchor="middle" font-weight="bold">'
        f"{escape(title)}</text>",
    ]
    for t in _ticks(x0, x1):
        out.append(
            f'<line x1="{sx(t):.1f}" x2="{sx(t):.1f}" y1="{H - PAD_B}" '
            f'y2="{H - PAD_B + 4}" stroke="#333"/><text x="{sx(t):.1f}" '
            f'y="{H - PAD_B + 15}" text-anchor="middle">{t:.2f}</text>'
        )
    for t in _ticks(y0, y1):
        out.append(
            f'<line x1="{PAD_L - 4}" x2="{W - PAD_R}" y1="{sy(t):.1f}" '
            f'y2="{sy(t):.1f}" stroke="#eee"/><text x="{PAD_L - 6}" '
            f'y="{sy(t) + 4:.1f}" text-anchor="end">{t:.4g}</text>'
        )
    out.append(
        f'<text x="{W / 2}" y="{H - 6}" text-anchor="middle">'
        f'{escape(x_label)}</text><text x="12" y="{H / 2}" '
        f'transform="rotate(-90 12 {H / 2})" text-anchor="middle">'
        f"{escape(y_label)}</text>"
    )
    if band is not None:
        bx, lo, hi = (np.asarray(v, float) for v in band)
        poly = list(zip(sx(bx), sy(np.minimum(hi, y1)), strict=True)) + list(
            zip(sx(bx[::-1]), sy(lo[::-1]), strict=True)
        )
        out.append(
            '<polygon fill="#4a7bd433" stroke="none" points="'
            + " ".join(f"{x:.1f},{y:.1f}" for x, y in poly)
            + '"/>'
        )
    for p in points:
        out.append(
            f'<circle cx="{float(sx(p[0])):.1f}" cy="{float(sy(min(p[1], y1))):.1f}"'
            ' r="2.5" fill="#555" fill-opacity="0.6"/>'
        )
    for c in curves:
        out.append(
            f'<path d="{_path(sx(c["x"]), sy(np.minimum(c["y"], y1)))}" '
            f'fill="none" stroke="{c["color"]}" stroke-width="2"/>'
        )
    for i, m in enumerate(markers):
        x = float(sx(m["x"]))
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{PAD_T}" y2="{H - PAD_B}" '
            f'stroke="{m["color"]}" stroke-dasharray="4 3" stroke-width="1.5"/>'
            f'<text x="{x + 3:.1f}" y="{PAD_T + 10 + 12 * i}" '
            f'fill="{m["color"]}">{escape(m["label"])}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _grid(est, current: float | None, suggested: float | None) -> np.ndarray:
    prices = [p for p, _ in est.points] + [
        v for v in (current, suggested, est.min_price, est.max_price) if v
    ]
    lo, hi = min(prices), max(prices)
    return np.linspace(lo * 0.85, hi * 1.15, 80)


def _markers(current, suggested) -> list[dict]:
    out = []
    if current:
        out.append(
            {"x": current, "color": "#b03030", "label": f"current {current:.2f}"}
        )
    if suggested:
        out.append(
            {"x": suggested, "color": "#1f7a3a", "label": f"suggested {suggested:.2f}"}
        )
    return out


def demand_chart(
    est, *, current: float | None = None, suggested: float | None = None
) -> str:
    """SVG of the fitted demand curve over the observed points ('' if none)."""
    if est.elasticity is None or not est.anchor_price or not est.points:
        return ""
    grid = _grid(est, current, suggested)
    kw = {"anchor_price": est.anchor_price, "anchor_units": est.anchor_units}
    band = (
        grid,
        demand(grid, elasticity=est.ci_high, **kw),
        demand(grid, elasticity=est.ci_low, **kw),
    )
    band = (grid, np.minimum(band[1], band[2]), np.maximum(band[1], band[2]))
    return svg_chart(
        title=f"Demand: elasticity {est.elasticity:.2f} ({est.status})",
        x_label="list price (GBP)",
        y_label="units / week (season-adjusted)",
        curves=[
            {
                "x": grid,
                "y": demand(grid, elasticity=est.elasticity, **kw),
                "color": "#2456b3",
                "label": "fitted",
            }
        ],
        points=[tuple(p) for p in est.points],
        markers=_markers(current, suggested),
        band=band,
    )


def objective_chart(
    est,
    *,
    cost: float | None,
    current: float | None = None,
    suggested: float | None = None,
) -> str:
    """SVG of expected weekly profit (revenue when ``cost`` is None) against price."""
    if est.elasticity is None or not est.anchor_price:
        return ""
    grid = _grid(est, current, suggested)
    kw = {"anchor_price": est.anchor_price, "anchor_units": est.anchor_units}
    margin = grid - (cost or 0.0)
    vals = [
        margin * demand(grid, elasticity=e, **kw)
        for e in (est.elasticity, est.ci_low, est.ci_high)
    ]
    name = "profit" if cost is not None else "revenue"
    return svg_chart(
        title=f"Expected weekly {name} vs price",
        x_label="list price (GBP)",
        y_label=f"{name} GBP / week",
        curves=[{"x": grid, "y": vals[0], "color": "#2456b3", "label": name}],
        markers=_markers(current, suggested),
        band=(grid, np.minimum(vals[1], vals[2]), np.maximum(vals[1], vals[2])),
    )


def histogram_chart(values, *, title: str, x_label: str, bins: int = 30) -> str:
    """SVG histogram of ``values`` (e.g. the current elasticities); '' when empty."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], float)
    if v.size == 0:
        return ""
    lo, hi = np.quantile(v, [0.01, 0.99])
    counts, edges = np.histogram(np.clip(v, lo, hi), bins=bins, range=(lo, hi))
    sx = _scale(lo, hi, PAD_L, W - PAD_R)
    sy = _scale(0, max(int(counts.max()), 1) * 1.05, H - PAD_B, PAD_T)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
        f'viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}" '
        'style="font:11px sans-serif;background:#fff">',
        f'<text x="{W / 2}" y="16" text-anchor="middle" font-weight="bold">'
        f"{escape(title)}</text>",
    ]
    for c, a, b in zip(counts, edges[:-1], edges[1:], strict=True):
        x0, x1, y = float(sx(a)), float(sx(b)), float(sy(c))
        out.append(
            f'<rect x="{x0:.1f}" y="{y:.1f}" width="{max(x1 - x0 - 1, 1):.1f}"'
            f' height="{H - PAD_B - y:.1f}" fill="#2456b3"/>'
        )
    for t in _ticks(lo, hi):
        out.append(
            f'<text x="{sx(t):.1f}" y="{H - PAD_B + 15}" '
            f'text-anchor="middle">{t:.2f}</text>'
        )
    for t in _ticks(0, max(int(counts.max()), 1), 3):
        out.append(
            f'<text x="{PAD_L - 6}" y="{sy(t) + 4:.1f}" text-anchor="end">'
            f"{t:.0f}</text>"
        )
    med = float(np.median(v))
    out.append(
        f'<line x1="{sx(med):.1f}" x2="{sx(med):.1f}" y1="{PAD_T}" '
        f'y2="{H - PAD_B}" stroke="#b03030" stroke-dasharray="4 3"/>'
        f'<text x="{sx(med) + 3:.1f}" y="{PAD_T + 10}" fill="#b03030">'
        f"median {med:.2f} (n={v.size})</text>"
        f'<text x="{W / 2}" y="{H - 6}" text-anchor="middle">'
        f"{escape(x_label)}</text></svg>"
    )
    return "".join(out)
