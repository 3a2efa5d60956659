"""Celery tasks of the recommender: thin wrappers around one service call each.

Every task has a management-command twin: ``recommender.train`` ->
``train_recommender``, ``recommender.evaluate`` -> ``evaluate_recommenders``,
``recommender.cold_start_product`` / ``recommender.cold_start_customer`` ->
``recommender_cold_start``, ``recommender.precompute`` -> ``precompute_recommendations``
(``recommender.precompute_chunk`` is its fan-out chunk).
"""

from __future__ import annotations

from core.tracked import tracked_task

from .services.coldstart import customer_cold_start, product_cold_start
from .services.evaluation import recommenders_evaluate
from .services.precompute import (
    recommendations_precompute,
    recommendations_precompute_all,
)
from .services.training import recommenders_train


@tracked_task(name="recommender.train", lock=True)
def recommender_train_task(algorithm: str = "", force: bool = False) -> dict:
    """Train one algorithm (or the default ones when ``algorithm`` is empty)."""
    artifacts = recommenders_train(
        algorithms=[algorithm] if algorithm else None, force=force
    )
    return {a.algorithm: {"artifact": a.label, "status": a.status} for a in artifacts}


@tracked_task(name="recommender.evaluate", lock=True)
def recommender_evaluate_task(
    cutoff: str = "2011-09-01", algorithms: list[str] | None = None, k: int = 10
) -> dict:
    """Run the algorithms (default: all) on the temporal split; store the run."""
    run = recommenders_evaluate(cutoff=cutoff, algorithms=algorithms or None, k=k)
    return {"evaluation_run": run.pk}


@tracked_task(name="recommender.cold_start_product")
def recommender_cold_start_product_task(product_id: int) -> dict:
    """Content vector and initial neighbours of a new product."""
    row = product_cold_start(product_id=product_id)
    return {"product_id": product_id, "neighbours": len(row.neighbour_ids)}


@tracked_task(name="recommender.cold_start_customer")
def recommender_cold_start_customer_task(customer_id: int) -> dict:
    """First recommendations of a new customer, precomputed."""
    row = customer_cold_start(customer_id=customer_id)
    return {"customer_id": customer_id, "strategy": row.strategy}


@tracked_task(name="recommender.precompute")
def recommender_precompute_task(
    k: int | None = None, chunk_size: int = 500, force: bool = False
) -> dict:
    """Precompute the customers' lists (stale ones unless ``force``), in chunks.

    While another precomputation runs, the task is sent again in 5 minutes (a
    worker) or skipped (eager mode runs them one after another anyway).
    """
    from core.launch import is_eager
    from core.locks import LockBusy

    try:
        run = recommendations_precompute_all(k=k, chunk_size=chunk_size, force=force)
    except LockBusy:
        if is_eager():
            return {"skipped": "a precomputation is running"}
        recommender_precompute_task.apply_async(
            kwargs={"k": k, "chunk_size": chunk_size, "force": force}, countdown=300
        )
        return {"deferred_seconds": 300}
    return {"fanout_run": run.pk}


@tracked_task(name="recommender.precompute_chunk")
def recommender_precompute_chunk_task(
    ids: list[int], k: int | None = None, force: bool = False
) -> dict:
    """One chunk of the precomputation (called by ``core.fanout``)."""
    return recommendations_precompute(customer_ids=ids, k=k, force=force)
