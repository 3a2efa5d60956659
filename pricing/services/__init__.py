"""Write-side services of the pricing app."""

from __future__ import annotations

from collections.abc import Callable

from core.models import TaskRun

from .estimation import ELASTICITY_KIND, elasticities_estimate
from .readouts import price_changes_replay, readouts_measure, readouts_summary
from .review import (
    suggestions_apply_due,
    suggestions_approve,
    suggestions_edit,
    suggestions_reject,
    suggestions_roll_back,
)
from .suggestions import prices_suggest

__all__ = [
    "ELASTICITY_KIND",
    "elasticities_estimate",
    "price_changes_replay",
    "prices_suggest",
    "prices_weekly_run",
    "readouts_measure",
    "readouts_summary",
    "suggestions_apply_due",
    "suggestions_approve",
    "suggestions_edit",
    "suggestions_reject",
    "suggestions_roll_back",
]


def prices_weekly_run(
    *, force: bool = False, progress: Callable | None = None, run: TaskRun | None = None
) -> dict:
    """The weekly job: (re)estimate elasticities when the data changed, then suggest.

    Returns
    -------
    dict with the estimation artifact label, its metrics and the suggestion counts.
    """
    artifact = elasticities_estimate(force=force, progress=progress, run=run)
    counts = prices_suggest(run=run)
    return {
        "model_version": artifact.label,
        "estimates": artifact.metrics,
        "suggestions": counts,
    }
