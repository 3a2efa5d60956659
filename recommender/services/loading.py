"""Which model serves: the active bundle per kind, cached, with fallbacks.

The active artifact is looked up at most every ``active_cache_seconds`` and its
bundle loaded once per process (:func:`recommender.bundle.bundle_load`, keyed by
artifact id, so a newly activated model serves from the next lookup on). With no
trained model, popularity is computed on the fly from the database and cached for
``fallback_cache_seconds``.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from core.exceptions import InvalidInput
from core.models import ModelArtifact
from shop.models import Customer

from .. import selectors
from ..bundle import Bundle, bundle_load
from ..conf import rec_settings

logger = logging.getLogger(__name__)


_FALLBACK: dict[str, tuple[float, Bundle | None]] = {}


_TTL: dict[str, tuple[float, object]] = {}


def ttl_cached(key: str, seconds: float, compute):
    """``compute()`` cached in-process for ``seconds`` (0 = always recompute)."""
    hit = _TTL.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < seconds:
        return hit[1]
    value = compute()
    _TTL[key] = (now, value)
    return value


def active_artifact(kind: str) -> ModelArtifact | None:
    return (
        ModelArtifact.objects.filter(kind=kind, status=ModelArtifact.Status.ACTIVE)
        .only("id", "kind", "version", "file", "sha256")
        .first()
    )


def serving_bundle(kind: str | None = None, *, fallback: bool = True) -> Bundle | None:
    """The active bundle of ``kind`` (default ``purchases_kind``), or popularity
    computed on the fly (``fallback``), or None.

    The active artifact is looked up at most every ``active_cache_seconds``; its
    bundle is loaded once per process (a newly activated model serves from the
    next lookup on). A missing or corrupt file is logged and the fallback serves.
    """
    conf = rec_settings()
    kind = kind or conf["purchases_kind"]
    artifact = ttl_cached(
        f"active:{kind}",
        float(conf["active_cache_seconds"]),
        lambda: active_artifact(kind),
    )
    if artifact is not None:
        try:
            return bundle_load(artifact)
        except Exception:  # missing/corrupt file: serve the fallback, log loudly
            logger.exception("cannot load %s; serving the fallback", artifact.label)
    return on_the_fly_bundle() if fallback else None


def ratings_bundle_for(customer: Customer, bundle: Bundle | None, bought: list):
    """(ratings bundle, rated products) when the customer is in the ratings model."""
    conf = rec_settings()
    artifact = ttl_cached(
        "active:recommender.ratings",
        float(conf["active_cache_seconds"]),
        lambda: active_artifact("recommender.ratings"),
    )
    if artifact is None:
        return bundle, bought
    try:
        ratings = bundle_load(artifact)
    except Exception:
        logger.exception("cannot load %s", artifact.label)
        return bundle, bought
    row = ratings.row_of(customer.pk)
    if row is None:
        return bundle, bought
    rated = ratings.user_items[row].indices
    return ratings, [int(p) for p in ratings.item_ids[rated]]


def on_the_fly_bundle() -> Bundle | None:
    max_age = float(rec_settings()["fallback_cache_seconds"])
    hit = _FALLBACK.get("bundle")
    if hit is not None and time.monotonic() - hit[0] < max_age:
        return hit[1]
    from ..algorithms.popularity import Popularity
    from ..data import matrix_from_lines, purchase_lines

    try:
        data = matrix_from_lines(purchase_lines())
    except InvalidInput:
        bundle = None
    else:
        pop = Popularity().fit(data.matrix, groups=data.user_groups)
        empty = np.full((data.shape[1], 0), -1, dtype=np.int64)
        bundle = Bundle(
            algorithm="popularity",
            model=pop,
            popularity=pop,
            user_ids=data.user_ids,
            item_ids=data.item_ids,
            user_groups=data.user_groups,
            user_items=data.matrix,
            fbt_ids=empty,
            fbt_conf=empty.astype(np.float32),
            fbt_support=empty.astype(np.int32),
            meta={"on_the_fly": True},
        )
    _FALLBACK["bundle"] = (time.monotonic(), bundle)
    return bundle


def serving_cache_clear() -> None:
    """Forget cached fallbacks, lookups and blocked-product sets (tests, imports)."""
    _FALLBACK.clear()
    _TTL.clear()
    selectors._BLOCKED.clear()
    selectors._DESCRIPTIONS.clear()
