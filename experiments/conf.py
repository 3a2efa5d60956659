"""Defaults of the experiments app, overridden by ``settings.EXPERIMENTS``.

Read lazily with :func:`exp_settings` (like DRF's ``api_settings``); an unknown key
in ``settings.EXPERIMENTS`` is refused, naming it.
"""

from __future__ import annotations

from typing import Any

#: Recommendation surfaces an experiment can run on (the storefront's shelves and
#: the recommender API's endpoints).
SURFACES: dict[str, str] = {
    "for_you": "Recommended for you (home page, customer API)",
    "discover": "Discover: products never bought (customer API, surface=discover)",
    "similar": "Customers who bought this also bought (product page, similar API)",
    "bought_together": "Often bought together (product page, bought-together API)",
    "basket": "Goes well with your basket (basket page, basket API)",
    "bestsellers": "Bestsellers (home page, signed out)",
    "buy_again": "Buy again (account page)",
}

DEFAULTS: dict[str, Any] = {
    # Impressions are written in bulk: after this many, or when the oldest waiting
    # one is older than impression_max_age_seconds (checked on each response).
    "impression_batch": 50,
    "impression_max_age_seconds": 2.0,
    # "thread": a background thread writes each batch (no request waits for it);
    # "inline": the request that fills the batch writes it.
    "impression_writer": "thread",
    # Seconds the running experiments and shipped surface configurations are
    # cached in-process (a started or shipped experiment serves from then on).
    "cache_seconds": 2.0,
    # Default attribution window (days after an impression in which a purchase of
    # a recommended product counts as revenue from recommendations).
    "attribution_days": 7,
    # Days before the start whose spend is CUPED's covariate.
    "pre_period_days": 90,
    # Sample-ratio mismatch flagged under this chi-square p-value.
    "srm_threshold": 0.001,
    # The sequential test (experiments.algorithms.readout.cumulative_lift): with a
    # planned stop, group-sequential with error spending over the days until the
    # stop and the observed information of each look (Lan & DeMets 1983); without
    # one, the open-ended mSPRT with tau = msprt_relative_effect x the mean.
    "msprt_relative_effect": 0.10,
    # Per-unit revenue is winsorised at this pooled quantile for the test.
    "cap_quantile": 0.99,
    "alpha": 0.05,
}


def exp_settings() -> dict[str, Any]:
    """Effective settings: :data:`DEFAULTS` updated by ``settings.EXPERIMENTS``.

    Raises
    ------
    django.core.exceptions.ImproperlyConfigured
        ``settings.EXPERIMENTS`` has a key not in :data:`DEFAULTS`.
    """
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    override = getattr(settings, "EXPERIMENTS", None) or {}
    unknown = sorted(set(override) - set(DEFAULTS))
    if unknown:
        raise ImproperlyConfigured(f"unknown EXPERIMENTS settings: {unknown}")
    merged = dict(DEFAULTS)
    merged.update(override)
    return merged
