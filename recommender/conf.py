"""Defaults of the recommender app, overridden by ``settings.RECOMMENDER``.

Read lazily (inside functions) with :func:`rec_settings`, like DRF's ``api_settings``:
``settings.RECOMMENDER`` (from the ``RECOMMENDER_SETTINGS`` JSON env variable) is
merged over :data:`DEFAULTS` at call time, so tests can override it with the
``settings`` fixture.
"""

from __future__ import annotations

from typing import Any

from core.appsettings import AppSettings

DEFAULTS: dict[str, Any] = {
    # Kind of the personalised purchase model served by recommend_for_customer.
    "purchases_kind": "recommender.purchases",
    # Algorithms trained by `manage.py train_recommender` with no --algorithm (and
    # by the nightly `recommender.train` task). "temporal_blend" is the served
    # pipeline (recommender.services.pipeline): one model per surface below, tuned
    # on rolling origins. Matrix algorithms (popularity, item_knn, ease, ...) train
    # the "recommender.purchases" kind with the older single-window validation.
    "default_algorithms": ["temporal_blend"],
    # The customer surfaces. "kind": the model serving it (None: built from the
    # "for_you" model); "new_only": never-bought products only; "exclude_purchased":
    # what the customer bought is left out of the answer.
    "surfaces": {
        "for_you": {
            "kind": "recommender.purchases",
            "new_only": False,
            "exclude_purchased": False,
        },
        "discover": {
            "kind": "recommender.discover",
            "new_only": True,
            "exclude_purchased": True,
        },
    },
    "default_surface": "for_you",
    # The served pipeline's validation and fixed parameters (see
    # recommender.algorithms.selection.PIPELINE_DEFAULTS): rolling origins (count,
    # window and step in days, history needed before the first), customers scored
    # per origin, and the blend's fixed parameters.
    "pipeline": {},
    # Memory of one surface's training (MiB), split between the pipeline's members
    # (recommender.algorithms.memory): each estimates its need before fitting and,
    # over its share, switches to its documented alternative (EASE and the ridge
    # on the most popular items, the ranker on a share of the customers, fewer
    # validation customers) or stops with MemoryBudgetError naming the limit.
    # None: memory_budget_fraction of the memory available when training starts.
    "memory_budget_mb": None,
    "memory_budget_fraction": 0.5,
    # Buy again: products bought at least this many times (distinct orders) are
    # listed, ordered by when they are due (last purchase + the median gap).
    "buy_again_min_orders": 2,
    # "For you" shows a product the customer bought before only when it is due
    # again: at least this fraction of their own cycle (median days between
    # purchase days) has passed since the last purchase (shop clock); a product
    # bought on one day only, after rebuy_once_min_days days. The reason says the
    # cycle ("you buy this about every 6 months; last bought 9 Jun").
    "rebuy_due_fraction": 0.5,
    "rebuy_once_min_days": 30,
    # Also train an item-item model on explicit ratings (kind recommender.ratings)
    # when the store has ratings (MovieLens-style imports).
    "train_ratings": True,
    # Per-algorithm parameter overrides, e.g. {"item_knn": {"k": 100}}.
    "params": {},
    # How purchases become matrix values: binary | count | log | quantity.
    "weighting": "count",
    # Storefront events (view, add_to_cart) added to the purchase matrix with this
    # weight (0 = purchases only); see recommender.data.add_events.
    "events_weight": 0.5,
    # Only orders of this source train the purchase models (None = every source).
    "source": None,
    # Validation window (days before the last purchase) for promotion decisions.
    "validation_days": 60,
    # Metric (at k=10) compared with the active model's before a candidate is promoted.
    "promotion_metric": "ndcg@10",
    # A candidate is promoted when metric >= active_metric - promotion_tolerance.
    "promotion_tolerance": 0.0,
    # At most this many validation customers are scored (sampled with a fixed seed).
    "validation_max_users": 3000,
    # Serving.
    "max_k": 100,
    "exclude_purchased": True,
    "category_cap": None,
    "bought_together_k": 50,
    "bought_together_min_support": 2,
    # Seconds the set of blocked products (inactive, out of stock) is cached in-process.
    "filter_cache_seconds": 30,
    # Seconds the active-model lookup and the pinned rules are cached in-process.
    "active_cache_seconds": 2,
    "pinned_cache_seconds": 10,
    # Seconds the on-the-fly popularity (no model trained yet) is cached in-process.
    "fallback_cache_seconds": 300,
    # Customers whose external id is asked for without ?source= resolve to this source.
    "default_source": "online_retail",
    # Precomputed lists (recommender.services.precompute): items stored per customer
    # and surface (a request for more is scored online), and whether a promoted
    # serving model launches the recomputation (the recommender.precompute task):
    # "auto" = with a Celery broker only (in the one-machine eager mode it would
    # hold the promoting command for minutes; run precompute_recommendations), or
    # true / false.
    "precompute_k": 50,
    "precompute_after_promotion": "auto",
    # Cold-start tasks when a product/customer is created (not for bulk imports).
    "cold_start_on_create": True,
    "cold_start_skip_sources": ["online_retail", "movielens"],
    # Neighbours stored for a new product by the cold-start task.
    "cold_start_neighbours": 50,
}

# Unknown keys in settings.RECOMMENDER are refused at start-up (core.appsettings).
APP_SETTINGS = AppSettings("RECOMMENDER", DEFAULTS, env_name="RECOMMENDER_SETTINGS")


def rec_settings() -> dict[str, Any]:
    """Effective settings: :data:`DEFAULTS` updated by ``settings.RECOMMENDER``."""
    return APP_SETTINGS.merged()
