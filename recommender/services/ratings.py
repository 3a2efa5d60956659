"""Recommenders for stores that collect explicit ratings (e.g. MovieLens).

Customers with ratings and no purchases are served from the active model of kind
``recommender.ratings``: a top-N model fitted on the customers x products matrix of
rating values (item-item cosine by default). There is no purchase history to
validate against, so the shared promotion rule
(:func:`recommender.algorithms.selection.promotion_decision`, with no score on either
side) promotes a new ratings model when it trains successfully (the notes say so);
explicit-rating accuracy (RMSE/MAE, k-fold) is measured by
``benchmarks/recommender.py``.
"""

from __future__ import annotations

import numpy as np

from core.artifacts import artifact_activate, artifact_create, json_safe
from core.models import ModelArtifact, TaskRun
from core.taskruns import progress

from ..bundle import bundle_write
from ..conf import rec_settings
from ..data import ratings_matrix, ratings_signature
from ..registry import algorithm_get
from .training import _existing, _existing_by_signature, _fit, _popularity

RATINGS_KIND = "recommender.ratings"


def recommender_train_ratings(
    *,
    algorithm: str = "item_knn",
    params: dict | None = None,
    source: str | None = None,
    force: bool = False,
    task_run: TaskRun | None = None,
) -> ModelArtifact:
    """Train ``algorithm`` on explicit ratings and make it serve rating customers.

    Returns the existing artifact when the ratings and parameters are unchanged.

    Raises
    ------
    InvalidInput
        Unknown or evaluation-only algorithm (field ``algorithm``), or no ratings
        (field ``source``).
    """
    spec = algorithm_get(algorithm, servable=True)
    conf = rec_settings()
    est_params = {
        **spec.defaults,
        **conf["params"].get(algorithm, {}),
        **(params or {}),
    }
    stored = json_safe({**est_params, "data": "ratings"})
    signature = {"db_signature": ratings_signature(source=source)}
    if not force:
        same = _existing_by_signature(RATINGS_KIND, algorithm, stored, signature)
        if same is not None:
            return same
    progress(task_run, 0.1, "reading ratings")
    data = ratings_matrix(source=source)
    data.window.update(signature)
    if not force:
        existing = _existing(RATINGS_KIND, algorithm, stored, data.fingerprint)
        if existing is not None:
            if existing.data_window.get("db_signature") != signature["db_signature"]:
                existing.data_window = {**existing.data_window, **signature}
                existing.save(update_fields=["data_window", "updated_at"])
            return existing
    progress(task_run, 0.3, f"fitting {algorithm} on {data.shape} ratings")
    model = _fit(spec, est_params, data)
    empty = np.full((data.shape[1], 0), -1, dtype=np.int64)
    artifact = artifact_create(
        kind=RATINGS_KIND,
        algorithm=algorithm,
        writer=lambda path: bundle_write(
            path,
            algorithm=algorithm,
            model=model,
            popularity=_popularity(data),
            data=data,
            fbt=(empty, empty.astype(np.float32), empty.astype(np.int32)),
            meta={
                "fingerprint": data.fingerprint,
                "window": data.window,
                "data": "ratings",
            },
        ),
        params=stored,
        metrics={"validation": {"skipped": "explicit ratings: no purchase window"}},
        data_fingerprint=data.fingerprint,
        data_window=json_safe(data.window),
        task_run=task_run,
    )
    return _decide(artifact)


def _decide(artifact: ModelArtifact) -> ModelArtifact:
    """The purchase models' promotion rule (a pure function) with no score on
    either side: the newer model serves, and the notes say why."""
    from ..algorithms.selection import promotion_decision

    active = ModelArtifact.objects.filter(
        kind=RATINGS_KIND, status=ModelArtifact.Status.ACTIVE
    ).first()
    decision = promotion_decision(
        candidate=None,
        active=None,
        has_active=active is not None,
        why_not_scored="explicit ratings: no purchase window to validate on",
        active_label=active.label if active is not None else "",
    )
    artifact.notes = decision.reason
    artifact.save(update_fields=["notes", "updated_at"])
    return artifact_activate(artifact)


def ratings_present() -> bool:
    """Whether any (non-erased) customer has rated anything."""
    from shop.models import Rating

    return Rating.objects.filter(customer__erased_at__isnull=True).exists()
