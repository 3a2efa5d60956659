"""The recommender on the admin home (see core.dashboard): the serving models, their
validation and the last evaluation."""

from __future__ import annotations

from django.urls import reverse

from core.dashboard import ModelHealth, register_health
from core.formatting import day

from .models import EvaluationRun

VARIANTS = {"new": "customers new to the window", "all": "all customers"}


def _validation(artifact) -> str:
    val = (artifact.metrics or {}).get("validation", {})
    if "ndcg@10" not in val:
        return val.get("skipped", "")
    variant = VARIANTS.get(val.get("variant", ""), val.get("variant", ""))
    text = f"NDCG@10 {val['ndcg@10']:.3f}"
    if "hit@10" in val:
        text += f", hit rate@10 {val['hit@10']:.1%}"
    if val.get("cutoff"):
        text += f" ({variant}, orders after {val['cutoff'][:10]})"
    return text


def _data_end(artifact):
    return (artifact.data_window or {}).get("last", "")[:10] or None


def _last_evaluation():
    run = (
        EvaluationRun.objects.filter(status="succeeded").order_by("-created_at").first()
    )
    if run is None:
        return None
    best = []
    for variant in ("all", "new"):
        scored = [
            (r.metrics.get(f"ndcg@{run.k}", -1), r.algorithm)
            for r in run.results.filter(variant=variant)
        ]
        if scored:
            value, name = max(scored)
            best.append(f"{variant}: {name} {value:.3f}")
    text = f"#{run.pk} of {day(run.created_at)}, best NDCG@{run.k} " + ", ".join(best)
    return text, reverse("admin:recommender_evaluationrun_change", args=[run.pk])


def _parse_day(value):
    from datetime import date

    return date.fromisoformat(value) if value else None


register_health(
    ModelHealth(
        kind="recommender.purchases",
        title="Recommendations from purchases",
        metric=_validation,
        train_task="recommender.train",
        evaluation=_last_evaluation,
        data_end=lambda artifact: _parse_day(_data_end(artifact)),
        permission="recommender.view_recommendermodel",
    )
)
register_health(
    ModelHealth(
        kind="recommender.ratings",
        title="Recommendations from ratings (MovieLens demo)",
        metric=_validation,
        train_task="recommender.train",
        permission="recommender.view_recommendermodel",
    )
)
