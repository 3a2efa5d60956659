"""Precomputed top lists per customer and surface, served while still fresh.

After a serving model is promoted (``core.signals.artifact_activated``),
:func:`precompute_after_promotion` launches the ``recommender.precompute`` task;
:func:`recommendations_precompute_all` fans the customers out in chunks over the
Celery workers (:func:`core.fanout.fanout_run`; in-process one after another in
eager mode) and :func:`recommendations_precompute` stores, per customer and
surface ("for_you", "discover", "buy_again"), the top ``precompute_k`` of the
normal serving path (fallback chain, reasons, exclusions) without the pins.

:func:`customer_recommendations` is what the API and the storefront call. It serves
the stored list when it is fresh, else scores online
(:func:`~recommender.services.serving.recommend_for_customer`,
:func:`~recommender.services.surfaces.recommend_buy_again`). A list is fresh when

* its ``serving_key`` is the current one: the label of the model that serves the
  surface now (for a customer without purchases also the ratings model's), the
  surface's rules, ``precompute_k``, and the year (re-buy reasons name dates) or,
  for "buy again", the day (due dates);
* the customer has no order created after ``computed_at`` (wall clock; imports
  included) and no purchase event after ``history_at`` (shop clock); for a customer
  who had no purchases, no view or add-to-cart either;
* the customer is not erased.

When served, the pins are placed at their positions and every item passes the
business filters again (sellable shop merchandise in stock, ``category_cap``), as
online; if
fewer than ``k`` items are left the customer is scored online. Prices and stock in
the API answer are read fresh (:func:`shop.selectors.product_offers`). Experiment
variants are applied around this call by :func:`experiments.serving.
recommendations_serve` (holdout, bestsellers and a lower ``k`` never reach it).
Rows are personal data derived from the customer: the ``customer_erased`` receiver
drops them.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from itertools import groupby

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.exceptions import InvalidInput
from core.models import TaskRun
from shop.clock import shop_now
from shop.models import Customer, Event, Order

from .. import selectors
from ..conf import rec_settings
from ..models import PrecomputedRecommendation
from .collector import Collector, RecommendationResult, check_k
from .loading import active_artifact, ttl_cached
from .serving import recommend_for_customer
from .strategies import add_pinned, pinned_rules
from .surfaces import BUY_AGAIN, recommend_buy_again, surface_check

logger = logging.getLogger(__name__)

RATINGS_KIND = "recommender.ratings"


def precompute_surfaces() -> list[str]:
    """The surfaces precomputed: every model surface of ``RECOMMENDER["surfaces"]``
    and "buy_again"."""
    return [*rec_settings()["surfaces"], BUY_AGAIN]


def _active_label(kind: str) -> str | None:
    conf = rec_settings()
    artifact = ttl_cached(
        f"active:{kind}",
        float(conf["active_cache_seconds"]),
        lambda: active_artifact(kind),
    )
    return artifact.label if artifact is not None else None


def serving_kinds() -> set[str]:
    """Model kinds whose promotion changes a precomputed list."""
    conf = rec_settings()
    kinds = {spec["kind"] for spec in conf["surfaces"].values() if spec.get("kind")}
    return kinds | {conf["purchases_kind"], RATINGS_KIND}


def serving_key(surface: str, *, no_purchases: bool = False) -> str:
    """What a list of ``surface`` depends on besides the customer's history.

    The label of the model serving the surface (the surface's own kind when one is
    active, else the purchases model, as :func:`recommend_for_customer` picks it),
    the ratings model's for a customer without purchases, a digest of the surface's
    rules and ``precompute_k``, and the year (re-buy reasons) or, for "buy again",
    the local day (due dates). Lookups share the serving cache
    (``active_cache_seconds``).
    """
    conf = rec_settings()
    today = timezone.localdate()
    if surface == BUY_AGAIN:
        rules = {"min_orders": conf["buy_again_min_orders"]}
        parts = [BUY_AGAIN, today.isoformat()]
    else:
        spec = conf["surfaces"][surface]
        model = (_active_label(spec["kind"]) if spec.get("kind") else None) or (
            _active_label(conf["purchases_kind"])
        )
        parts = [surface, model or "on-the-fly", str(today.year)]
        if no_purchases:
            parts.append(_active_label(RATINGS_KIND) or "-")
        rules = {"spec": spec, "exclude": conf["exclude_purchased"]}
    rules["k"] = conf["precompute_k"]
    digest = hashlib.sha256(json.dumps(rules, sort_keys=True).encode()).hexdigest()
    return "|".join([*parts, digest[:12]])[:255]


def _with_history_flags(queryset):
    """Annotate rows with whether the customer's history changed since."""
    customer = OuterRef("customer_id")
    return queryset.annotate(
        new_order=Exists(
            Order.objects.filter(
                customer_id=customer, created_at__gt=OuterRef("computed_at")
            )
        ),
        new_purchase=Exists(
            Event.objects.filter(
                customer_id=customer,
                kind=Event.Kind.PURCHASE,
                occurred_at__gt=OuterRef("history_at"),
            )
        ),
        new_view=Exists(
            Event.objects.filter(
                customer_id=customer,
                kind__in=(Event.Kind.VIEW, Event.Kind.ADD_TO_CART),
                occurred_at__gt=OuterRef("history_at"),
            )
        ),
    )


def _is_fresh(row) -> bool:
    if row.computed_at is None or row.history_at is None:
        return False
    if row.new_order or row.new_purchase or (row.no_purchases and row.new_view):
        return False
    return row.serving_key == serving_key(row.surface, no_purchases=row.no_purchases)


_FRESHNESS_SQL: list[tuple[str, tuple]] = []


def _freshness_sql() -> tuple[str, tuple]:
    """(sql, params) of one (customer, surface) row with the three history flags of
    :func:`_with_history_flags`, compiled once: the API reads it on every request,
    and compiling the ORM's EXISTS subqueries cost more CPU than running them. The
    last two parameters are the customer's pk and the surface."""
    if not _FRESHNESS_SQL:
        sample = PrecomputedRecommendation.objects.filter(customer_id=0, surface="-")
        sql, params = _with_history_flags(sample).query.sql_with_params()
        if tuple(params[-2:]) != (0, "-"):  # the WHERE is last, in this order
            raise RuntimeError(f"unexpected parameters of the freshness query {params}")
        _FRESHNESS_SQL.append((sql, tuple(params[:-2])))
    return _FRESHNESS_SQL[0]


def precomputed_fresh(*, customer: Customer, surface: str):
    """The customer's precomputed row on ``surface`` if still fresh, else None."""
    if customer.erased_at is not None:
        return None
    sql, params = _freshness_sql()
    found = PrecomputedRecommendation.objects.raw(sql, [*params, customer.pk, surface])
    row = next(iter(found), None)
    return row if row is not None and _is_fresh(row) else None


def _served_from(row, customer: Customer, k: int) -> RecommendationResult | None:
    """The stored list with pins and the business filters applied now (None:
    fewer than ``k`` left, or a pin the customer bought: score online)."""
    collector = Collector(k)
    if row.surface != BUY_AGAIN:
        rules = pinned_rules("customer", customer.country)
        pins = [r.product_id for r in rules]
        # a bought pin is excluded (discover) or gets its re-buy reason (for you)
        if pins and selectors.products_bought_among(
            customer=customer, product_ids=pins
        ):
            return None
        add_pinned(collector, "customer", customer.country)
    rows = selectors.products_servable(product_ids=[i["product_id"] for i in row.items])
    for strategy, group in groupby(row.items, key=lambda i: i["strategy"]):
        candidates = [(i["product_id"], i["score"], i["reason"]) for i in group]
        collector.add(strategy, candidates, rows=rows)
    exhausted = len(row.items) < int(rec_settings()["precompute_k"])
    if collector.missing > 0 and not (row.surface == BUY_AGAIN and exhausted):
        return None
    first = collector.main_strategy
    result = RecommendationResult(
        items=collector.ordered(),
        strategy=first,
        model_version=row.model_version or None,
        explanation="featured by the shop" if first == "pinned" else row.explanation,
        precomputed=True,
    )
    return result


def customer_recommendations(
    *, customer: Customer, k: int = 10, surface: str | None = None
) -> RecommendationResult:
    """Top-``k`` for ``customer`` on ``surface`` ("for_you" by default, "discover",
    "buy_again"): the precomputed list when fresh, else scored online.

    Raises
    ------
    InvalidInput
        ``k`` out of 1..max_k (field ``k``) or an unknown surface (``surface``).
    """
    k = check_k(k)
    if surface != BUY_AGAIN:
        surface = surface_check(surface)
    if k <= int(rec_settings()["precompute_k"]):
        row = precomputed_fresh(customer=customer, surface=surface)
        if row is not None:
            result = _served_from(row, customer, k)
            if result is not None:
                return result
    return _online(customer, k, surface)


def _online(customer, k, surface, *, pinned=True) -> RecommendationResult:
    if surface == BUY_AGAIN:
        return recommend_buy_again(customer=customer, k=k)
    return recommend_for_customer(
        customer=customer, k=k, surface=surface, pinned=pinned
    )


def _fresh_ids(customer_ids: list[int], surface: str) -> set[int]:
    rows = PrecomputedRecommendation.objects.filter(
        customer_id__in=customer_ids, surface=surface
    )
    return {row.customer_id for row in _with_history_flags(rows) if _is_fresh(row)}


def recommendations_precompute(
    *,
    customer_ids: list[int],
    k: int | None = None,
    surfaces: list[str] | None = None,
    force: bool = False,
) -> dict:
    """Compute and store each customer's list on each surface.

    ``k`` defaults to ``RECOMMENDER["precompute_k"]`` (a list stored with another
    ``k`` is never served); ``surfaces`` to :func:`precompute_surfaces`. Lists still
    fresh are kept unless ``force``. Erased and unknown customers are skipped.
    Returns ``{"customers": n, "computed": n lists, "kept": n fresh lists,
    "strategies": {strategy: count}}``.

    Raises
    ------
    InvalidInput
        ``k`` out of range (field ``k``) or an unknown surface (``surfaces``).
    """
    k = check_k(k if k is not None else rec_settings()["precompute_k"])
    surfaces = list(surfaces or precompute_surfaces())
    for surface in surfaces:
        if surface != BUY_AGAIN:
            surface_check(surface)
    # read the clocks before any history, so anything newer marks the list stale
    computed_at, history_at = timezone.now(), shop_now()
    customers = list(
        Customer.objects.filter(pk__in=customer_ids, erased_at__isnull=True).order_by(
            "pk"
        )
    )
    ids = [c.pk for c in customers]
    strategies: Counter = Counter()
    kept = 0
    for surface in surfaces:
        fresh = set() if force else _fresh_ids(ids, surface)
        kept += len(fresh)
        for customer in customers:
            if customer.pk in fresh:
                continue
            no_purchases = not selectors.products_bought_by(customer=customer)
            key = serving_key(surface, no_purchases=no_purchases)  # before scoring
            result = _online(customer, k, surface, pinned=False)
            _store(
                customer, surface, result, key, computed_at, history_at, no_purchases
            )
            strategies[result.strategy] += 1
    return {
        "customers": len(customers),
        "computed": sum(strategies.values()),
        "kept": kept,
        "strategies": dict(strategies),
    }


def _store(customer, surface, result, key, computed_at, history_at, no_purchases):
    items = [
        {
            "product_id": i["product_id"],
            "score": i["score"],
            "reason": i["reason"],
            "strategy": i["strategy"],
        }
        for i in result.items
    ]
    with transaction.atomic():
        PrecomputedRecommendation.objects.update_or_create(
            customer=customer,
            surface=surface,
            defaults={
                "items": items,
                "strategy": result.strategy[:40],
                "explanation": result.explanation[:200],
                "model_version": result.model_version or "",
                "serving_key": key,
                "computed_at": computed_at,
                "history_at": history_at,
                "no_purchases": no_purchases,
            },
        )


def recommendations_precompute_all(
    *, k: int | None = None, chunk_size: int = 500, force: bool = False
) -> TaskRun:
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
        kwargs={"k": k, "force": force},
        lock="recommender.precompute",
    )


def precompute_after_promotion(*, kind: str) -> TaskRun | None:
    """Launch the ``recommender.precompute`` task after a model of ``kind`` was
    promoted (``RECOMMENDER["precompute_after_promotion"]``: "auto" = only with a
    Celery broker); None when the kind serves no customer list, the setting is off,
    or the broker is down (logged; stale lists are scored online meanwhile)."""
    from core.exceptions import Conflict
    from core.launch import is_eager, task_launch

    wanted = rec_settings()["precompute_after_promotion"]
    if wanted == "auto":
        wanted = not is_eager()
    if not wanted or kind not in serving_kinds():
        return None
    try:
        return task_launch(name="recommender.precompute", kwargs={})
    except Conflict as exc:
        logger.warning("precompute after %s promotion not started: %s", kind, exc)
        return None
