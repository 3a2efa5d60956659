"""Celery tasks of the pricing app (thin: one service call each)."""

from __future__ import annotations

from celery import shared_task
from celery.schedules import crontab
from django.db import OperationalError

from core.taskruns import task_run

# Default schedule, to be merged into CELERY_BEAT_SCHEDULE by config (weekly, Monday
# 05:30 shop time): re-estimate when the sales changed, then propose prices.
SCHEDULE = {
    "pricing-weekly-suggestions": {
        "task": "pricing.suggest_prices",
        "schedule": crontab(minute=30, hour=5, day_of_week=1),
    }
}


@shared_task(
    name="pricing.suggest_prices",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
)
def suggest_prices(force: bool = False) -> dict:
    """Estimate elasticities (if the data changed) and propose prices."""
    from .services import prices_weekly_run

    with task_run("pricing.suggest_prices", {"force": force}) as run:
        return prices_weekly_run(force=force, run=run)


@shared_task(
    name="pricing.estimate_elasticities",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
)
def estimate_elasticities(force: bool = False) -> str:
    """Estimate elasticities; returns the artifact label."""
    from .services import elasticities_estimate

    with task_run("pricing.estimate_elasticities", {"force": force}) as run:
        return elasticities_estimate(force=force, run=run).label
