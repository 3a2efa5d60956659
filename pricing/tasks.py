"""Celery tasks of the pricing app (thin: one service call each).

The weekly schedule ("pricing: weekly suggestions") is installed with the other
defaults by ``manage.py setup_schedules`` (``core.schedules``).
"""

from __future__ import annotations

from core.taskruns import current_run
from core.tracked import tracked_task


@tracked_task(name="pricing.suggest_prices", lock="pricing.estimate")
def suggest_prices(force: bool = False) -> dict:
    """Estimate elasticities (if the data changed) and propose prices."""
    from .services import prices_weekly_run

    return prices_weekly_run(force=force, run=current_run())


@tracked_task(name="pricing.estimate_elasticities", lock="pricing.estimate")
def estimate_elasticities(force: bool = False) -> dict:
    """Estimate elasticities; returns the artifact label."""
    from .services import elasticities_estimate

    return {"artifact": elasticities_estimate(force=force, run=current_run()).label}


@tracked_task(name="pricing.apply_due_prices", lock="pricing.apply")
def apply_due_prices() -> dict:
    """Apply approved prices whose effective date has come."""
    from .services import suggestions_apply_due

    return suggestions_apply_due()


@tracked_task(name="pricing.measure_readouts", lock="pricing.readouts")
def measure_readouts() -> dict:
    """'Did it work': read out applied prices whose weeks have passed."""
    from .services import readouts_measure

    return readouts_measure()
