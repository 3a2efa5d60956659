"""Training the served purchase models, one per surface: the pipeline of issue 12.

find existing -> validate -> fit -> store -> decide, for each surface of
``RECOMMENDER["surfaces"]`` that names a model kind ("for_you": the "all" model,
re-buys allowed; "discover": never-bought products only):

1. **find existing**: the same data (fingerprint) and pipeline settings already
   trained this kind -> that artifact is returned;
2. **validate + fit**: :func:`recommender.algorithms.selection.served_pipeline`
   tunes the :class:`~recommender.algorithms.temporal_blend.TemporalBlend` on rolling
   origins before the data's end and fits it at the day after the last purchase
   (the same function ``benchmarks/recommender.py`` runs for its ``served`` rows);
   the serving model's parameters are scored on the same origins;
3. **store**: a bundle artifact (``recommender.bundle``), status candidate;
4. **decide**: :func:`~recommender.algorithms.selection.promotion_decision`, a pure
   function of the two validation scores, promotes, rejects or keeps it.

Too little history (empty, one day, or shorter than the origins need) raises
:class:`NotEnoughData` ("not enough data: ..."): nothing is stored and the previous
model keeps serving; so does any other failure.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import transaction

from core.artifacts import artifact_activate, artifact_create, json_safe
from core.exceptions import DomainError, InvalidInput
from core.models import ModelArtifact, TaskRun
from core.taskruns import progress

from ..algorithms import memory, selection
from ..bundle import bundle_write
from ..conf import rec_settings
from ..data import (
    InteractionData,
    basket_matrix,
    co_purchase_neighbours,
    fingerprint_of,
    matrix_from_lines,
    purchase_lines,
)

logger = logging.getLogger(__name__)

ALGORITHM = "temporal_blend"


class NotEnoughData(DomainError):
    """Too little purchase history to validate and train the served models."""

    code = "not_enough_data"


def trained_surfaces() -> dict[str, dict]:
    """The surfaces that have a model of their own: {name: settings}."""
    return {
        name: spec
        for name, spec in rec_settings()["surfaces"].items()
        if spec.get("kind")
    }


def purchase_events(data: InteractionData) -> pd.DataFrame:
    """Sale events (u, i, invoice, date) of ``data``'s customers and products.

    ``u``/``i`` are rows/columns of ``data.matrix``; ``invoice`` the order pk;
    ``date`` naive, in the shop's time zone (``settings.TIME_ZONE``). One row per
    customer, product and order.
    """
    lines = data.lines
    sales = lines[
        (lines["customer_id"] >= 0)
        & (lines["kind"] == "sale")
        & (lines["quantity"] > 0)
    ]
    u = pd.Index(data.user_ids).get_indexer(sales["customer_id"].to_numpy(np.int64))
    i = pd.Index(data.item_ids).get_indexer(sales["product_id"].to_numpy(np.int64))
    keep = (u >= 0) & (i >= 0)
    dates = pd.to_datetime(sales["placed_at"], utc=True).dt.tz_convert(
        settings.TIME_ZONE
    )
    events = pd.DataFrame(
        {
            "u": u[keep],
            "i": i[keep],
            "invoice": sales["order_id"].to_numpy(np.int64)[keep],
            "date": dates.dt.tz_localize(None).to_numpy()[keep],
        }
    )
    return events.drop_duplicates(["u", "i", "invoice"]).reset_index(drop=True)


def _pipeline_settings() -> dict:
    return selection.pipeline_settings(rec_settings()["pipeline"])


def memory_budget_mb() -> float:
    """The training's memory budget, MiB: ``RECOMMENDER["memory_budget_mb"]``, or
    ``memory_budget_fraction`` of the memory available now.

    Raises
    ------
    InvalidInput
        A budget or fraction that is not positive (field named).
    """
    conf = rec_settings()
    if conf["memory_budget_mb"] is not None:
        if not float(conf["memory_budget_mb"]) > 0:
            raise InvalidInput(
                "memory_budget_mb must be > 0", field="RECOMMENDER.memory_budget_mb"
            )
        return float(conf["memory_budget_mb"])
    fraction = float(conf["memory_budget_fraction"])
    if not 0 < fraction <= 1:
        raise InvalidInput(
            "memory_budget_fraction must be in (0, 1]",
            field="RECOMMENDER.memory_budget_fraction",
        )
    return fraction * memory.available_bytes() / memory.MIB


def _existing(kind: str, params: dict, fingerprint: str) -> ModelArtifact | None:
    rows = ModelArtifact.objects.filter(
        kind=kind, algorithm=ALGORITHM, data_fingerprint=fingerprint
    ).exclude(status=ModelArtifact.Status.FAILED)
    return next((row for row in rows if row.params == params), None)


def _active(kind: str) -> ModelArtifact | None:
    return ModelArtifact.objects.filter(
        kind=kind, status=ModelArtifact.Status.ACTIVE
    ).first()


def recommender_train_surface(
    *,
    surface: str,
    data: InteractionData,
    force: bool = False,
    task_run: TaskRun | None = None,
    on_progress: Callable[[float, str], None] | None = None,
    cache: selection.FitCache | None = None,
) -> ModelArtifact:
    """Train, store and maybe promote the model of ``surface`` on ``data``.

    ``cache``: a :class:`~recommender.algorithms.fitcache.FitCache` shared by the
    surfaces trained on the same ``data`` (their common fits are made once).

    Returns
    -------
    core.ModelArtifact: active (promoted), rejected, candidate (kept), or the
    earlier identical artifact; ``notes`` say why.

    Raises
    ------
    InvalidInput
        ``surface`` has no model (field ``surface``).
    NotEnoughData
        Too little history for the validation origins (nothing stored).
    """
    spec = trained_surfaces().get(surface)
    if spec is None:
        raise InvalidInput(
            f"surface {surface!r} has no model; choose one of "
            f"{', '.join(sorted(trained_surfaces()))}",
            field="surface",
        )
    kind, new_only = spec["kind"], bool(spec["new_only"])
    conf = _pipeline_settings()
    params = json_safe({"surface": surface, "new_only": new_only, "pipeline": conf})

    def step(frac: float, msg: str) -> None:
        progress(task_run, frac, f"{surface}: {msg}")
        if on_progress:
            on_progress(frac, msg)

    if not force:
        same = _existing(kind, params, data.fingerprint)
        if same is not None:
            step(1.0, f"unchanged data: reusing {same.label}")
            return same
    events = purchase_events(data)
    active = _active(kind)
    incumbent = None
    if active is not None and active.algorithm == ALGORITHM:
        incumbent = active.metrics.get("tuned")
    started = time.perf_counter()
    budget = memory_budget_mb()
    try:
        model, tuned = selection.served_pipeline(
            events,
            data.shape,
            new_only=new_only,
            settings=conf,
            incumbent=incumbent,
            on_progress=lambda f, m: step(0.05 + 0.8 * f, m),
            memory_budget_mb=budget,
            cache=cache,
        )
    except selection.NotEnoughData as exc:
        raise NotEnoughData(str(exc), field="window") from exc
    except memory.MemoryBudgetError as exc:
        raise InvalidInput(
            f"not trained: {exc}", field="RECOMMENDER.memory_budget_mb"
        ) from exc
    fit_seconds = time.perf_counter() - started
    step(0.9, "storing the bundle")
    validation = {
        "ndcg@10": tuned.score,
        "per_origin": tuned.per_origin,
        "variant": "new" if new_only else "all",
        "protocol": "rolling origins (mean NDCG@10)",
        "split_fingerprint": fingerprint_of(
            np.asarray(list(tuned.per_origin), dtype=str), extra=data.fingerprint
        ),
    }
    artifact = artifact_create(
        kind=kind,
        algorithm=ALGORITHM,
        writer=lambda path: _write_bundle(path, model, data),
        params=params,
        metrics=json_safe(
            {
                "validation": validation,
                "tuned": tuned.params,
                "tuning": tuned.table,
                "incumbent_ndcg@10": tuned.incumbent_score,
                "members": {
                    "ranker": model.ranker_note_,
                    "next_period": model.ridge_note_ or "on",
                },
                "fit_seconds": round(fit_seconds, 1),
                "memory": {
                    "budget_mb": round(budget),
                    "shape": list(data.shape),
                    "notes": tuned.memory_notes,
                },
            }
        ),
        data_fingerprint=data.fingerprint,
        data_window=json_safe(data.window),
        task_run=task_run,
    )
    step(0.97, "promotion decision")
    decision = selection.promotion_decision(
        candidate=tuned.score,
        active=tuned.incumbent_score,
        has_active=active is not None,
        tolerance=float(rec_settings()["promotion_tolerance"]),
        active_label=active.label if active is not None else "",
    )
    return _apply(artifact, decision)


def _write_bundle(path, model, data: InteractionData) -> None:
    from ..algorithms.popularity import Popularity

    conf = rec_settings()
    baskets, _ = basket_matrix(data.lines, data.item_ids)
    fbt = co_purchase_neighbours(
        baskets,
        k=int(conf["bought_together_k"]),
        min_support=int(conf["bought_together_min_support"]),
    )
    bundle_write(
        path,
        algorithm=ALGORITHM,
        model=model,
        popularity=Popularity().fit(data.matrix, groups=data.user_groups),
        # the rows the model scores: its own input history (counts or decayed)
        data=dataclasses.replace(data, matrix=model.history_.tocsr()),
        fbt=fbt,
        meta={
            "fingerprint": data.fingerprint,
            "window": data.window,
            "reference": model.reference_.isoformat(),
        },
    )


def _apply(artifact: ModelArtifact, decision) -> ModelArtifact:
    if decision.action == "promote":
        with transaction.atomic():
            artifact.notes = decision.reason
            artifact.save(update_fields=["notes", "updated_at"])
            return artifact_activate(artifact)
    artifact.status = (
        ModelArtifact.Status.REJECTED
        if decision.action == "reject"
        else ModelArtifact.Status.CANDIDATE
    )
    artifact.notes = decision.reason
    artifact.save(update_fields=["status", "notes", "updated_at"])
    return artifact


def recommender_train_surfaces(
    *,
    force: bool = False,
    task_run: TaskRun | None = None,
    on_progress: Callable[[float, str], None] | None = None,
    lines: pd.DataFrame | None = None,
) -> list[ModelArtifact]:
    """Train every surface's model on one read of the purchases.

    Raises
    ------
    NotEnoughData
        No purchase, or too little history (nothing stored, the previous models
        keep serving).
    """
    conf = rec_settings()
    if lines is None:
        lines = purchase_lines(source=conf["source"], include_guests=True)
    try:
        data = matrix_from_lines(lines, weighting="count")
    except InvalidInput as exc:
        raise NotEnoughData(f"not enough data: {exc.message}", field="window") from exc
    names = list(trained_surfaces())
    cache = selection.FitCache()  # EASE and k-NN shared by the surfaces
    out = []
    for n, name in enumerate(names):

        def step(frac: float, msg: str, n=n, name=name) -> None:
            if on_progress:
                on_progress((n + frac) / len(names), f"{name}: {msg}")

        out.append(
            recommender_train_surface(
                surface=name,
                data=data,
                force=force,
                task_run=task_run,
                on_progress=step,
                cache=cache,
            )
        )
    return out
