"""The serving hook: assign a variant, apply its serving configuration, tag the
response with ``recommendation_id`` and ``variant``, log the impression.

The recommender API views and the storefront's shelves call
:func:`recommendations_serve` with a ``recommend(k)`` callable that runs the
surface's usual service; the hook decides what actually serves::

    result = recommendations_serve(
        surface="for_you", customer=customer, session_key="", k=10,
        recommend=lambda k: recommend_for_customer(customer=customer, k=k),
    )
    result.recommendation_id, result.variant  # '5f0c...', 'treatment'

Without a running experiment on the surface, the surface's shipped configuration
(:class:`experiments.models.SurfaceConfig`) applies, and ``variant`` is ``""``.
Running experiments and surface configurations are cached in-process for
``EXPERIMENTS["cache_seconds"]``.

Whatever a variant or service returned, only sellable shop merchandise in stock
leaves the hook (:func:`sellable_only`): the last check on every API and storefront
answer, after the recommender's own business filters.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from recommender.services import RecommendationResult, recommend_for_basket
from shop.clock import shop_now

from .algorithms.assignment import variant_index
from .conf import exp_settings
from .impressions import impression_log
from .models import Experiment, SurfaceConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveVariant:
    pk: int
    name: str
    share: float
    config: dict


@dataclass(frozen=True)
class LiveExperiment:
    pk: int
    name: str
    salt: str
    variants: tuple[LiveVariant, ...]

    def assign(self, unit: str) -> LiveVariant:
        shares = [v.share for v in self.variants]
        return self.variants[variant_index(self.salt, unit, shares)]


_CACHE: dict[str, tuple[float, object]] = {}


def _cached(key: str, compute):
    hit = _CACHE.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < float(exp_settings()["cache_seconds"]):
        return hit[1]
    value = compute()
    _CACHE[key] = (now, value)
    return value


def serving_cache_clear() -> None:
    _CACHE.clear()


def _live() -> dict[str, LiveExperiment]:
    """Running experiments by surface."""
    found: dict[str, LiveExperiment] = {}
    running = Experiment.objects.filter(status=Experiment.Status.RUNNING)
    for exp in running.prefetch_related("variants"):
        variants = tuple(
            LiveVariant(v.pk, v.name, float(v.share), dict(v.serving_config))
            for v in exp.variants.all()
        )
        live = LiveExperiment(exp.pk, exp.name, exp.salt, variants)
        for surface in exp.surfaces:
            found.setdefault(surface, live)
    return found


def _surface_configs() -> dict[str, dict]:
    return dict(SurfaceConfig.objects.values_list("surface", "serving_config"))


def unit_of(customer, session_key: str) -> str:
    """The randomisation unit: ``c:<customer pk>``, ``s:<session key>`` or ''."""
    if customer is not None:
        return f"c:{customer.pk}"
    return f"s:{session_key}" if session_key else ""


def _apply(config: dict, k: int, recommend: Callable, country: str):
    if config.get("holdout"):
        return RecommendationResult(
            items=[], strategy="holdout", explanation="holdout: no recommendations"
        )
    k = min(k, int(config.get("k") or k))
    if config.get("strategy") == "bestsellers":
        return recommend_for_basket(product_ids=[], k=k, country=country)
    return recommend(k)


def sellable_only(result: RecommendationResult, customer=None) -> RecommendationResult:
    """Drop every item that is not sellable shop merchandise in stock
    (:func:`recommender.selectors.products_servable`; a demo rating data set's
    customer may also be shown that data set's products). A drop means a stage
    upstream let one through: it is logged as an error."""
    from recommender.selectors import products_servable

    ids = [int(i["product_id"]) for i in result.items]
    if not ids:
        return result
    source = getattr(customer, "source", "") or ""
    ok = products_servable(product_ids=ids, demo_source=source)
    dropped = [pk for pk in ids if pk not in ok]
    if dropped:
        log.error(
            "not sellable, dropped from %s: products %s", result.strategy, dropped
        )
        result.items = [i for i in result.items if int(i["product_id"]) in ok]
    return result


def recommendations_serve(
    *,
    surface: str,
    recommend: Callable[[int], RecommendationResult],
    k: int = 10,
    customer=None,
    session_key: str = "",
    country: str = "",
) -> RecommendationResult:
    """Serve one recommendation response on ``surface`` under its experiment.

    Parameters
    ----------
    surface : str, one of :data:`experiments.conf.SURFACES`.
    recommend : callable(k) -> RecommendationResult, the surface's usual service.
    k : int, items asked for (a variant's ``k`` may lower it).
    customer : shop.models.Customer or None; session_key : str, for anonymous
        visitors. Without either, no variant is assigned (the surface's
        configuration serves).
    country : str, for the ``bestsellers`` strategy.

    Returns
    -------
    RecommendationResult with ``recommendation_id`` (32 hex), ``variant`` and
    ``experiment`` set ('' outside an experiment).

    Raises
    ------
    Whatever ``recommend`` raises (bad ``k``, unknown product): the hook adds none.
    """
    live = _cached("live", _live).get(surface)
    unit = unit_of(customer, session_key)
    variant = live.assign(unit) if live is not None and unit else None
    config = (
        variant.config
        if variant is not None
        else _cached("configs", _surface_configs).get(surface, {})
    )
    started = time.perf_counter()
    result = sellable_only(_apply(config, k, recommend, country), customer)
    latency_ms = (time.perf_counter() - started) * 1000
    result.recommendation_id = uuid.uuid4().hex
    result.variant = variant.name if variant is not None else ""
    result.experiment = live.name if variant is not None else ""
    impression_log(
        {
            "recommendation_id": result.recommendation_id,
            "surface": surface,
            "experiment_id": live.pk if variant is not None else None,
            "variant_id": variant.pk if variant is not None else None,
            "unit": unit,
            "customer_id": customer.pk if customer is not None else None,
            "session_key": "" if customer is not None else session_key[:64],
            "served_at": shop_now(),
            "product_ids": [int(i["product_id"]) for i in result.items],
            "strategy": result.strategy[:32],
            "model_version": (result.model_version or "")[:64],
            "latency_ms": round(latency_ms, 3),
        }
    )
    return result
