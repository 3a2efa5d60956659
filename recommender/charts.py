"""Recommender charts (drawn by :mod:`core.charts`): evaluation metric history."""

from __future__ import annotations

from django.utils.safestring import SafeString

from core.charts import Chart

from .models import EvaluationResult, EvaluationRun


def metric_history_charts(metric: str = "ndcg@10", *, last: int = 50) -> list:
    """One chart per variant (all / new customers): ``metric`` of every algorithm
    over the last ``last`` succeeded evaluation runs, oldest left."""
    runs = list(
        EvaluationRun.objects.filter(status="succeeded").order_by("-created_at")[:last]
    )
    charts: list[SafeString] = []
    for variant in ("all", "new"):
        series: dict[str, list] = {}
        rows = EvaluationResult.objects.filter(run__in=runs, variant=variant)
        for row in rows.select_related("run").order_by("run__created_at"):
            if metric in (row.metrics or {}):
                series.setdefault(row.algorithm, []).append(
                    (row.run.created_at, float(row.metrics[metric]))
                )
        if not series:
            continue
        chart = Chart(
            title=f"{metric.upper()} by evaluation run ({variant} customers)",
            x_label="date of the evaluation run",
        )
        panel = chart.panel(y_label=metric.upper(), y_format="{:.3f}", y_min=0)
        for name, points in sorted(series.items()):
            panel.line(
                [x for x, _ in points], [y for _, y in points], label=name, markers=True
            )
        charts.append(chart.svg())
    return charts
