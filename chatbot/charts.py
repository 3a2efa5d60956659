"""Chatbot charts (drawn by :mod:`core.charts`): F1 per intent, accuracy history."""

from __future__ import annotations

from django.utils.safestring import SafeString

from core.charts import bar_chart


def _quality_color(value: float) -> str:
    return "green" if value >= 0.9 else "orange" if value >= 0.7 else "red"


def score_bars(rows: list[tuple[str, float]], *, title: str) -> SafeString | str:
    """Scores in 0..1 as bars (green >= 0.90, amber >= 0.70, red below); '-' if none."""
    if not rows:
        return "-"
    return bar_chart(
        rows,
        title=title,
        value_format="{:.2f}",
        colors=[_quality_color(v) for _, v in rows],
        x_max=1.0,
        width=480,
    )
