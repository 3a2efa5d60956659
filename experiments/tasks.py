"""Celery tasks of the experiments app (each one service call).

``experiments.stop_due`` -> ``manage.py stop_due_experiments``.
"""

from __future__ import annotations

from core.tracked import tracked_task

from .services import experiments_stop_due


@tracked_task(name="experiments.stop_due", lock=True)
def experiments_stop_due_task() -> dict:
    """Stop the running experiments whose planned stop has passed."""
    return {"stopped": experiments_stop_due()}
