"""Server-side SVG charts for the admin (no JavaScript, no CDN)."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = [
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]


def line_chart_svg(
    series: dict[str, list[tuple[str, float]]],
    *,
    title: str,
    width: int = 720,
    height: int = 260,
) -> SafeString:
    """A multi-line chart: ``series[name] = [(x label, y), ...]`` on shared x labels.

    Labels and names are HTML-escaped; y axis from 0 to the max value (rounded up).
    """
    labels: list[str] = []
    for points in series.values():
        for x, _ in points:
            if x not in labels:
                labels.append(x)
    left, right, top, bottom = 48, 150, 28, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    ymax = max([y for pts in series.values() for _, y in pts] + [1e-9])
    ymax = float(f"{ymax * 1.1:.2g}")
    n = max(len(labels) - 1, 1)

    def px(i: int) -> float:
        return left + plot_w * i / n

    def py(y: float) -> float:
        return top + plot_h * (1 - y / ymax)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}" style="font:11px sans-serif">',
        f'<text x="{left}" y="16" style="font-weight:bold">{escape(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" '
        'fill="none" stroke="#ccc"/>',
    ]
    for frac in (0, 0.25, 0.5, 0.75, 1.0):
        y = py(ymax * frac)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#eee"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">'
            f"{ymax * frac:.3f}</text>"
        )
    step = max(1, len(labels) // 8)
    for i, label in enumerate(labels):
        if i % step == 0 or i == len(labels) - 1:
            parts.append(
                f'<text x="{px(i):.1f}" y="{height - 12}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    for j, (name, points) in enumerate(sorted(series.items())):
        color = PALETTE[j % len(PALETTE)]
        coords = [(px(labels.index(x)), py(y)) for x, y in points]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>'
        )
        for (x, y), (_, value) in zip(coords, points, strict=True):
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}">'
                f"<title>{escape(name)}: {value:.4f}</title></circle>"
            )
        ly = top + 14 * j + 8
        parts.append(
            f'<rect x="{left + plot_w + 12}" y="{ly - 8}" width="10" height="10" '
            f'fill="{color}"/><text x="{left + plot_w + 26}" y="{ly + 1}">'
            f"{escape(name)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
