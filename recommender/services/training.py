"""Training recommenders: candidate -> validation -> atomic promotion.

A training run builds the purchase matrix from the database, returns the existing
artifact when the same algorithm and parameters were already trained on the same
data (fingerprint), otherwise

1. scores the algorithm on a validation window (the last ``validation_days`` before
   the newest purchase: fit on the purchases before, rank each customer's later
   purchases; the promotion metric, ``ndcg@10`` by default);
2. fits it on all the data and registers the bundle as a *candidate* artifact;
3. promotes it atomically (``core.artifacts.artifact_activate``) only if its
   validation metric is not worse than the active model's on the same window
   (within ``promotion_tolerance``); otherwise the candidate is marked *rejected*.
   A run that cannot be evaluated (no validation window, e.g. no later purchases by
   known customers) stays a *candidate* when the active model has a validation
   score; it replaces only a model that was not evaluated either (or none).

A run that raises leaves no candidate and the previous model keeps serving; so does
a rejected one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import scipy.sparse as sp
from django.db import transaction

from core.artifacts import artifact_activate, artifact_create, json_safe
from core.exceptions import InvalidInput
from core.models import ModelArtifact, TaskRun
from core.taskruns import progress
from core.taskruns import task_run as task_run_context

from ..algorithms.metrics import ranking_metrics
from ..bundle import bundle_write
from ..conf import rec_settings
from ..data import (
    InteractionData,
    add_events,
    basket_matrix,
    basket_sequences,
    co_purchase_neighbours,
    fingerprint_of,
    matrix_from_lines,
    purchase_lines,
    purchases_signature,
)
from ..registry import AlgorithmSpec, algorithm_get

logger = logging.getLogger(__name__)

ProgressFn = Callable[[float, str], None]


def _item_texts(item_ids: np.ndarray) -> list[str]:
    from shop.models import Product

    rows = dict(
        Product.objects.filter(pk__in=item_ids.tolist()).values_list(
            "pk", "description"
        )
    )
    return [rows.get(int(pk)) or "" for pk in item_ids]


def _fit(spec: AlgorithmSpec, params: dict, data: InteractionData):
    model = spec.build(params)
    if spec.fit == "groups":
        return model.fit(data.matrix, groups=data.user_groups)
    if spec.fit == "content":
        return model.fit(data.matrix, item_texts=_item_texts(data.item_ids))
    if spec.fit == "sequences":
        return model.fit(basket_sequences(data), n_items=data.shape[1])
    return model.fit(data.matrix)


def _popularity(data: InteractionData):
    from ..algorithms.popularity import Popularity

    return Popularity().fit(data.matrix, groups=data.user_groups)


def _validation_split(lines: pd.DataFrame, *, weighting: str, exclude_seen: bool):
    """(train data, user rows, truth per user, cutoff) or a reason string."""
    conf = rec_settings()
    known = lines[lines["customer_id"] >= 0]
    if known.empty:
        return "no purchases"
    cutoff = known["placed_at"].max() - timedelta(days=int(conf["validation_days"]))
    before = known[known["placed_at"] < cutoff]
    after = known[
        (known["placed_at"] >= cutoff)
        & (known["kind"] == "sale")
        & (known["quantity"] > 0)
    ]
    try:
        train = matrix_from_lines(before, weighting=weighting)
    except InvalidInput:
        return f"no purchases before the validation cut-off {cutoff:%Y-%m-%d}"
    rows = pd.Index(train.user_ids).get_indexer(after["customer_id"])
    cols = pd.Index(train.item_ids).get_indexer(after["product_id"])
    keep = (rows >= 0) & (cols >= 0)
    pairs = pd.DataFrame({"row": rows[keep], "col": cols[keep]}).drop_duplicates()
    if exclude_seen and len(pairs):
        seen = train.matrix[pairs["row"].to_numpy(), pairs["col"].to_numpy()]
        pairs = pairs[np.asarray(seen).ravel() == 0]
    if pairs.empty:
        return f"no later purchases by known customers after {cutoff:%Y-%m-%d}"
    users = np.unique(pairs["row"].to_numpy(np.int64))
    limit = int(conf["validation_max_users"])
    if len(users) > limit:
        pick = np.random.default_rng(0).choice(len(users), limit, replace=False)
        users = np.sort(users[pick])
    pairs = pairs[pairs["row"].isin(users)]
    relevant = sp.csr_matrix(
        (
            np.ones(len(pairs), np.float32),
            (np.searchsorted(users, pairs["row"].to_numpy()), pairs["col"].to_numpy()),
        ),
        shape=(len(users), train.shape[1]),
    )
    return train, users, relevant, cutoff


def _validate(spec, params, split, *, exclude_seen: bool, k: int = 10) -> dict:
    train, users, relevant, cutoff = split
    started = time.perf_counter()
    model = _fit(spec, params, train)
    recs = []
    for lo in range(0, len(users), 512):
        ids, _ = model.recommend(
            users[lo : lo + 512], train.matrix, n=k, exclude_seen=exclude_seen
        )
        recs.append(ids)
    metrics = ranking_metrics(
        np.vstack(recs), relevant, k=k, n_catalogue=train.shape[1]
    )
    metrics.update(
        cutoff=cutoff.isoformat(),
        users=int(len(users)),
        variant="new" if exclude_seen else "all",
        split_fingerprint=fingerprint_of(
            users, relevant.indptr, relevant.indices, extra=train.fingerprint
        ),
        seconds=round(time.perf_counter() - started, 3),
    )
    return metrics


def _existing(kind: str, algorithm: str, params: dict, fingerprint: str):
    for row in ModelArtifact.objects.filter(
        kind=kind, algorithm=algorithm, data_fingerprint=fingerprint
    ).exclude(status=ModelArtifact.Status.FAILED):
        if row.params == params:
            return row
    return None


def _existing_by_signature(kind: str, algorithm: str, params: dict, window: dict):
    rows = ModelArtifact.objects.filter(kind=kind, algorithm=algorithm).exclude(
        status=ModelArtifact.Status.FAILED
    )
    for row in rows.order_by("-version"):
        same_db = row.data_window.get("db_signature") == window["db_signature"]
        if same_db and row.params == params and not row.data_window.get("start"):
            return row
    return None


def _active_score(active, split, metric: str, exclude_seen: bool) -> float | None:
    """The active model's validation metric on this split (re-fitted if needed)."""
    if active is None:
        return None
    stored = active.metrics.get("validation") or {}
    train, users, relevant, _ = split
    key = fingerprint_of(
        users, relevant.indptr, relevant.indices, extra=train.fingerprint
    )
    if stored.get("split_fingerprint") == key and metric in stored:
        return float(stored[metric])
    try:
        spec = algorithm_get(active.algorithm)
        params = {k: v for k, v in active.params.items() if k != "weighting"}
        return _validate(spec, params, split, exclude_seen=exclude_seen)[metric]
    except Exception:  # the active model's algorithm no longer fits: do not block
        logger.exception("could not re-validate active model %s", active.label)
        return None


def recommender_train(
    *,
    algorithm: str,
    kind: str | None = None,
    params: dict | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    source: str | None = None,
    weighting: str | None = None,
    force: bool = False,
    task_run: TaskRun | None = None,
    on_progress: ProgressFn | None = None,
    lines: pd.DataFrame | Callable[[], pd.DataFrame] | None = None,
) -> ModelArtifact:
    """Train ``algorithm`` on the purchases in the window and maybe promote it.

    Parameters
    ----------
    algorithm : str, a name of :data:`recommender.registry.ALGORITHMS`.
    kind : str, optional, the artifact kind (default: the algorithm's).
    params : dict, optional, estimator parameters over its defaults and
        ``RECOMMENDER["params"][algorithm]``.
    start, end : datetime, optional, the training window (tz-aware, end exclusive).
    source : str, optional, only orders of this source.
    weighting : str, optional, "binary" | "count" | "log" | "quantity".
    force : bool, train even if the same data and parameters were trained before.
    task_run : core.TaskRun, optional, receives progress.
    on_progress : callable(fraction, message), optional (e.g. a tqdm bar).
    lines : DataFrame or callable returning one, optional: the
        :func:`recommender.data.purchase_lines` output for this window (with
        guests), when the caller reads it once for several algorithms.

    Returns
    -------
    core.ModelArtifact, status ``active`` (promoted), ``rejected`` (worse than the
    active model), ``candidate`` (could not be evaluated while the active model
    was; it keeps serving) or whatever it was (an earlier identical run, returned
    as is). ``notes`` says why.

    Raises
    ------
    InvalidInput
        Unknown or evaluation-only algorithm (field ``algorithm``), bad
        weighting, or an empty training window.
    """
    conf = rec_settings()
    spec = algorithm_get(algorithm, servable=True)
    if spec.fit == "events":
        raise InvalidInput(
            f"{algorithm} is trained per surface by the served pipeline: run "
            "`manage.py train_recommender` (recommenders_train) without --algorithm "
            f"or with --algorithm {algorithm}",
            field="algorithm",
        )
    kind = kind or spec.kind
    weighting = weighting or conf["weighting"]
    source = source if source is not None else conf["source"]
    est_params = {
        **spec.defaults,
        **conf["params"].get(algorithm, {}),
        **(params or {}),
    }

    def step(frac: float, msg: str) -> None:
        progress(task_run, frac, msg)
        if on_progress:
            on_progress(frac, msg)

    step(0.02, "reading purchases")
    stored_params = json_safe({**est_params, "weighting": weighting})
    window = {"start": start and start.isoformat(), "end": end and end.isoformat()}
    window["db_signature"] = purchases_signature(source=source)
    if not force and start is None and end is None:
        same = _existing_by_signature(kind, algorithm, stored_params, window)
        if same is not None:
            step(1.0, f"unchanged database: reusing {same.label}")
            return same
    if callable(lines):
        lines = lines()
    if lines is None:
        lines = purchase_lines(start=start, end=end, source=source, include_guests=True)
    data = matrix_from_lines(lines, weighting=weighting, window=window)
    data = add_events(data, weight=float(conf["events_weight"]))
    if not force:
        existing = _existing(kind, algorithm, stored_params, data.fingerprint)
        if existing is not None:
            signature = window["db_signature"]
            if existing.data_window.get("db_signature") != signature and not (
                start or end
            ):
                # remember the signature so the next run skips reading the lines
                existing.data_window = {**existing.data_window, **window}
                existing.save(update_fields=["data_window", "updated_at"])
            step(1.0, f"unchanged data: reusing {existing.label}")
            return existing
    exclude_seen = bool(conf["exclude_purchased"])
    metric = conf["promotion_metric"]
    step(0.1, f"validating {algorithm} on {data.shape[0]} x {data.shape[1]}")
    split = _validation_split(lines, weighting=weighting, exclude_seen=exclude_seen)
    validation: dict = {}
    if isinstance(split, tuple):
        validation = _validate(spec, est_params, split, exclude_seen=exclude_seen)
    else:
        validation = {"skipped": split}
    step(0.5, f"fitting {algorithm} on all data")
    started = time.perf_counter()
    model = _fit(spec, est_params, data)
    fit_seconds = time.perf_counter() - started
    step(0.8, "co-purchase lists and popularity")
    baskets, _ = basket_matrix(lines, data.item_ids)
    fbt = co_purchase_neighbours(
        baskets,
        k=int(conf["bought_together_k"]),
        min_support=int(conf["bought_together_min_support"]),
    )
    metrics = json_safe(
        {"validation": validation, "fit_seconds": round(fit_seconds, 3)}
    )
    artifact = artifact_create(
        kind=kind,
        algorithm=algorithm,
        writer=lambda path: bundle_write(
            path,
            algorithm=algorithm,
            model=model,
            popularity=_popularity(data),
            data=data,
            fbt=fbt,
            meta={"fingerprint": data.fingerprint, "window": data.window},
        ),
        params=stored_params,
        metrics=metrics,
        data_fingerprint=data.fingerprint,
        data_window=json_safe(data.window),
        task_run=task_run,
    )
    step(0.95, "promotion decision")
    return _promote_or_reject(artifact, split, metric, exclude_seen)


def _promote_or_reject(artifact, split, metric: str, exclude_seen: bool):
    """Activate ``artifact``, reject it, or keep it a candidate; notes say why.

    The rule is :func:`recommender.algorithms.selection.promotion_decision`
    (tested on its own); here only the two scores are gathered: ours on the
    validation window, the active model's on the same window (re-fitted if its
    stored score is of another window).
    """
    from ..algorithms.selection import promotion_decision

    active = ModelArtifact.objects.filter(
        kind=artifact.kind, status=ModelArtifact.Status.ACTIVE
    ).first()
    ours = artifact.metrics.get("validation", {}).get(metric)
    why_not = ""
    if isinstance(split, str):
        why_not, ours = split, None
    elif ours is None:
        why_not = f"validation gave no {metric}"
    theirs = None
    if active is not None and ours is None:
        theirs = (active.metrics.get("validation") or {}).get(metric)
    elif active is not None:
        theirs = _active_score(active, split, metric, exclude_seen)
    decision = promotion_decision(
        candidate=ours,
        active=theirs,
        has_active=active is not None,
        metric=metric,
        tolerance=float(rec_settings()["promotion_tolerance"]),
        why_not_scored=why_not,
        active_label=active.label if active is not None else "",
    )
    if decision.action == "promote":
        return _activate_with(artifact, decision.reason)
    status = (
        ModelArtifact.Status.REJECTED
        if decision.action == "reject"
        else ModelArtifact.Status.CANDIDATE
    )
    return _set_status(artifact, status, decision.reason)


def _set_status(artifact, status: str, notes: str) -> ModelArtifact:
    artifact.status = status
    artifact.notes = notes
    artifact.save(update_fields=["status", "notes", "updated_at"])
    return artifact


def _activate_with(artifact, notes: str) -> ModelArtifact:
    with transaction.atomic():
        artifact.notes = notes
        artifact.save(update_fields=["notes", "updated_at"])
        return artifact_activate(artifact)


def recommender_activate(*, artifact_id: int) -> ModelArtifact:
    """Make artifact ``artifact_id`` the one serving its kind (admin action).

    Raises
    ------
    NotFound, InvalidInput (a failed artifact cannot serve)
    """
    from core.exceptions import NotFound

    artifact = ModelArtifact.objects.filter(pk=artifact_id).first()
    if artifact is None:
        raise NotFound(f"model artifact {artifact_id} does not exist")
    if not artifact.kind.startswith("recommender."):
        raise InvalidInput(f"{artifact.label} is not a recommender", field="artifact")
    if artifact.status == ModelArtifact.Status.FAILED:
        raise InvalidInput(
            f"{artifact.label} failed and cannot serve", field="artifact"
        )
    return artifact_activate(artifact)


def recommenders_train(
    *,
    algorithms: list[str] | None = None,
    force: bool = False,
    on_progress: ProgressFn | None = None,
) -> list[ModelArtifact]:
    """Train several algorithms in order on one read of the data (the main job).

    ``algorithms`` defaults to ``RECOMMENDER["default_algorithms"]`` (popularity, then
    item_knn: the better one on the validation window ends up serving). Recorded as
    one ``recommender.train`` TaskRun (reused inside a tracked Celery task).

    Raises
    ------
    InvalidInput
        Unknown or evaluation-only algorithm (field ``algorithm``, before anything
        is trained), or an empty training window.
    """
    conf = rec_settings()
    names = list(algorithms or conf["default_algorithms"])
    for name in names:  # before any work: unknown or evaluation-only names
        algorithm_get(name, servable=True)
    args = {"algorithms": names, "force": force}
    with task_run_context("recommender.train", args) as run:
        lines = None
        out = []
        if "temporal_blend" in names:  # the served pipeline: one model per surface
            from .pipeline import recommender_train_surfaces

            names = [n for n in names if n != "temporal_blend"]
            lines = purchase_lines(source=conf["source"], include_guests=True)
            out += recommender_train_surfaces(
                force=force, task_run=run, on_progress=on_progress, lines=lines
            )
        for i, name in enumerate(names):

            def step(frac: float, msg: str, i=i, name=name) -> None:
                if on_progress:
                    on_progress((i + frac) / len(names), f"{name}: {msg}")

            artifact, lines = _train_sharing_lines(name, force, run, step, lines)
            out.append(artifact)
        if conf["train_ratings"] and algorithms is None:
            out += _train_ratings_if_any(force, run, on_progress)
        run.metrics = json_safe(
            {a.algorithm: {"artifact": a.label, "status": a.status} for a in out}
        )
        run.save(update_fields=["metrics", "updated_at"])
    return out


def _train_sharing_lines(name, force, run, step, lines):
    """Train one algorithm, reading the purchase lines at most once per batch."""
    conf = rec_settings()
    holder = {"lines": lines}

    def lazy_lines():
        if holder["lines"] is None:
            holder["lines"] = purchase_lines(source=conf["source"], include_guests=True)
        return holder["lines"]

    artifact = recommender_train(
        algorithm=name, force=force, task_run=run, on_progress=step, lines=lazy_lines
    )
    return artifact, holder["lines"]


def _train_ratings_if_any(force, run, on_progress) -> list[ModelArtifact]:
    from .ratings import ratings_present, recommender_train_ratings

    if not ratings_present():
        return []
    if on_progress:
        on_progress(0.99, "explicit ratings")
    return [recommender_train_ratings(force=force, task_run=run)]
