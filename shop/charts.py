"""Small server-side SVG charts for the admin (no JavaScript, no CDN)."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = {"rejected": "#c0392b", "repaired": "#d68910", "flagged": "#2e86c1"}


def bar_chart_svg(
    bars: list[tuple[str, float, str]], *, width: int = 560, unit: str = ""
) -> SafeString:
    """Horizontal bars: ``bars`` = [(label, value, colour)], longest = full width."""
    if not bars:
        return mark_safe("<p>No data.</p>")
    top = max(v for _, v, _ in bars) or 1
    row, label_w, pad = 22, 210, 70
    height = row * len(bars) + 6
    bar_w = width - label_w - pad
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'role="img" style="font: 12px sans-serif">'
    ]
    for i, (label, value, colour) in enumerate(bars):
        y = i * row + 3
        w = max(1.0, bar_w * value / top)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{row - 6}" '
            f'fill="{escape(colour)}">'
            f"<title>{escape(label)}: {value:,.0f}</title></rect>"
            f'<text x="{label_w + w + 4:.1f}" y="{y + 14}">{value:,.0f}{unit}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def line_chart_svg(
    points: list[tuple[str, float]], *, width: int = 560, height: int = 160
) -> SafeString:
    """A step line of ``points`` = [(x label, y)], in order; x labels at the ends."""
    if len(points) < 1:
        return mark_safe("<p>No data.</p>")
    ys = [y for _, y in points]
    lo, hi = min(ys), max(ys)
    span = (hi - lo) or 1.0
    left, right, top, bottom = 50, 10, 10, 24
    w, h = width - left - right, height - top - bottom
    n = max(1, len(points) - 1)

    def xy(i, y):
        return left + w * i / n, top + h * (1 - (y - lo) / span)

    path = []
    for i, (_, y) in enumerate(points):
        x, yy = xy(i, y)
        if i:
            path.append(f"H{x:.1f}")
            path.append(f"V{yy:.1f}")
        else:
            path.append(f"M{x:.1f},{yy:.1f}")
    if len(points) == 1:
        path.append(f"H{left + w:.1f}")
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'role="img" style="font: 11px sans-serif">'
        f'<path d="{" ".join(path)}" fill="none" stroke="#2e86c1" stroke-width="2"/>'
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end">{hi:,.2f}</text>'
        f'<text x="{left - 4}" y="{top + h}" text-anchor="end">{lo:,.2f}</text>'
        f'<text x="{left}" y="{height - 6}">{escape(points[0][0])}</text>'
        f'<text x="{left + w}" y="{height - 6}" text-anchor="end">'
        f"{escape(points[-1][0])}</text></svg>"
    )
