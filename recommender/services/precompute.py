"""Precomputed recommendations per customer (e-mails, exports, first page views).

:func:`recommendations_precompute` fills :class:`recommender.models.
PrecomputedRecommendation` for a chunk of customers through the normal serving path
(fallback chain and business filters at computation time); :func:`
recommendations_precompute_all` fans the chunks out over the Celery workers with
:func:`core.fanout.fanout_run` (in-process one after another in eager mode). Rows are
personal data derived from the customer: the ``customer_erased`` receiver drops them.
"""

from __future__ import annotations

from collections import Counter

from django.db import transaction

from core.exceptions import InvalidInput
from core.models import TaskRun
from shop.models import Customer

from ..conf import rec_settings
from ..models import PrecomputedRecommendation
from .serving import recommend_for_customer


def recommendations_precompute(*, customer_ids: list[int], k: int = 20) -> dict:
    """Compute and store the top-``k`` of each customer in ``customer_ids``.

    Erased and unknown customers are skipped. Returns ``{"customers": n,
    "strategies": {strategy: count}}``.

    Raises
    ------
    InvalidInput
        ``k`` out of range (field ``k``).
    """
    kind = rec_settings()["purchases_kind"]
    strategies: Counter = Counter()
    customers = Customer.objects.filter(pk__in=customer_ids, erased_at__isnull=True)
    for customer in customers.order_by("pk"):
        result = recommend_for_customer(customer=customer, k=k)
        with transaction.atomic():
            PrecomputedRecommendation.objects.update_or_create(
                customer=customer,
                kind=kind,
                defaults={
                    "items": result.items,
                    "strategy": result.strategy,
                    "model_version": result.model_version or "",
                },
            )
        strategies[result.strategy] += 1
    return {"customers": sum(strategies.values()), "strategies": dict(strategies)}


def recommendations_precompute_all(*, k: int = 20, chunk_size: int = 500) -> TaskRun:
    """Fan out :func:`recommendations_precompute` over every customer with orders.

    Returns the parent ``TaskRun`` (progress per finished chunk).

    Raises
    ------
    InvalidInput
        No customer with orders, or bad ``chunk_size``.
    core.locks.LockBusy
        A precomputation is already running.
    """
    from core.fanout import fanout_run

    ids = list(
        Customer.objects.filter(erased_at__isnull=True, orders__isnull=False)
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")
    )
    if not ids:
        raise InvalidInput("no customer with orders to precompute", field="customers")
    return fanout_run(
        task_name="recommender.precompute_chunk",
        ids=ids,
        chunk_size=chunk_size,
        kwargs={"k": k},
        lock="recommender.precompute",
    )
