"""Estimating elasticities from the sales history (one run = one model artifact)."""

from __future__ import annotations

import collections
import logging
from collections.abc import Callable

import numpy as np
from django.db import transaction

from core.artifacts import (
    artifact_activate,
    artifact_create,
    artifact_find_existing,
    json_safe,
    save_arrays,
)
from core.exceptions import InvalidInput
from core.models import ModelArtifact, TaskRun
from core.taskruns import progress as run_progress

from ..algorithms.elasticity import STATUSES, LogLogElasticity, estimate_panel
from ..algorithms.panel import nonpositive_price_lines, weekly_panel
from ..algorithms.pooling import CategoryShrinkage, derive_category
from ..conf import pricing_settings
from ..models import ElasticityEstimate
from ..selectors import product_descriptions, sales_fingerprint, sales_lines_frame

logger = logging.getLogger(__name__)
ELASTICITY_KIND = "pricing.elasticity"
_PARAM_KEYS = (
    "SOURCES",
    "METHOD",
    "MIN_WEEKS",
    "MIN_WEEKS_PER_PRICE",
    "REFERENCE_WINDOW",
    "SMALL_ORDER_QUANTILE",
    "POOL_BELOW_PRICES",
    "MIN_CATEGORY_SIZE",
    "CATEGORY_PRIORS",
)


def _params() -> dict:
    conf = pricing_settings()
    return json_safe({k.lower(): conf[k] for k in _PARAM_KEYS})


def _fit(params: dict, progress: Callable | None, run: TaskRun | None):
    lines = sales_lines_frame(sources=params["sources"])
    if lines.empty:
        raise InvalidInput(
            "there are no sales lines to estimate elasticities from; import orders "
            "first (manage.py import_orders)",
            field="sales_lines",
        )
    return estimate_lines(lines, params, progress=progress, run=run)


def estimate_lines(
    lines, params: dict, *, progress: Callable | None = None, run=None
) -> tuple[dict, dict, dict, dict]:
    """The estimation pipeline on a frame of sales lines (the weekly job's, and the
    replay's on the history before a cut-off).

    Returns
    -------
    (results: product id -> ElasticityResult, categories: product id -> name,
    priors: category -> prior dict, free: product id -> lines at a price <= 0)
    """
    free = nonpositive_price_lines(lines)
    run_progress(
        run,
        0.1,
        f"{len(lines)} sales lines loaded; {int(free.sum())} at a price <= 0 GBP "
        "left out",
    )
    panel = weekly_panel(
        lines,
        small_order_quantile=params["small_order_quantile"],
        reference_window=params["reference_window"],
    )
    run_progress(run, 0.2, f"weekly panel: {len(panel)} product-channel-weeks")
    est = LogLogElasticity(
        method=params["method"],
        min_weeks=params["min_weeks"],
        min_weeks_per_price=params["min_weeks_per_price"],
    )
    results = estimate_panel(panel, est, progress=progress)
    info = product_descriptions(product_ids=results.keys())
    categories = {
        pid: (info.get(pid, ("", None))[1] or derive_category(info.get(pid, ("",))[0]))
        for pid in results
    }
    shrink = CategoryShrinkage(
        pool_below_prices=params["pool_below_prices"],
        min_category_size=params["min_category_size"],
        prior_statuses=("no_price_change",) if params["category_priors"] else (),
    )
    priors = {}
    try:
        shrink.fit(results, categories)
        results = shrink.transform(results, categories)
        priors = {k: vars(v) for k, v in shrink.priors_.items()}
    except ValueError as exc:  # too few informative products: nothing to pool toward
        logger.warning("no pooling: %s", exc)
    return results, categories, priors, free.to_dict()


def _metrics(results: dict, priors: dict, free: dict) -> dict:
    counts = collections.Counter(r.status for r in results.values())
    values = np.array(
        [r.elasticity for r in results.values() if r.elasticity is not None]
    )
    q = (
        np.quantile(values, [0.05, 0.25, 0.5, 0.75, 0.95]).round(3).tolist()
        if len(values)
        else []
    )
    return json_safe(
        {
            "products": len(results),
            "by_status": dict(counts),
            "with_elasticity": int(len(values)),
            "pooled": int(counts.get("pooled", 0)),
            "priors_given": int(counts.get("prior", 0)),
            "excluded_nonpositive_price_lines": int(sum(free.values())),
            "products_with_excluded_lines": len(free),
            "quantiles_p05_p25_p50_p75_p95": q,
            "quality": dict(
                collections.Counter(
                    r.quality for r in results.values() if r.elasticity is not None
                )
            ),
            "priors": priors,
        }
    )


def _writer(results: dict):
    pids = np.array(sorted(results), dtype=np.int64)

    def col(name):
        return np.array(
            [
                np.nan
                if getattr(results[p], name) is None
                else getattr(results[p], name)
                for p in pids
            ],
            float,
        )

    arrays = {
        "product_id": pids,
        "status": np.array([STATUSES.index(results[p].status) for p in pids]),
        **{
            n: col(n)
            for n in (
                "elasticity",
                "se",
                "ci_low",
                "ci_high",
                "raw_elasticity",
                "anchor_price",
                "anchor_units",
            )
        },
    }
    return lambda path: save_arrays(path, arrays, {"statuses": list(STATUSES)})


def _rows(results: dict, categories: dict, free: dict, artifact) -> list:
    fields = (
        "status",
        "elasticity",
        "se",
        "ci_low",
        "ci_high",
        "raw_elasticity",
        "raw_se",
        "pooled",
        "quality",
        "n_weeks",
        "n_prices",
        "n_lines",
        "reference_channel",
        "anchor_price",
        "anchor_units",
        "min_price",
        "max_price",
        "last_price",
    )
    return [
        ElasticityEstimate(
            product_id=pid,
            artifact=artifact,
            is_current=True,
            category=categories.get(pid, "")[:120],
            message=r.message[:500],
            points=[list(p) for p in r.points[:200]],
            n_free_lines=int(free.get(pid, 0)),
            **{f: getattr(r, f) for f in fields},
        )
        for pid, r in results.items()
    ]


def elasticities_estimate(
    *, force: bool = False, progress: Callable | None = None, run: TaskRun | None = None
) -> ModelArtifact:
    """Estimate every product's elasticity and make the run the current one.

    Idempotent: with the same sales data and parameters the active run is returned
    without refitting (``force`` refits). A failing run leaves the previous estimates
    current.

    Parameters
    ----------
    force : bool, refit even if the data and parameters did not change.
    progress : callable(iterable, total) -> iterable, optional (e.g. tqdm).
    run : TaskRun, optional, receives progress messages.

    Sales lines at a unit price <= 0 GBP (giveaways) are left out of the estimation;
    their count is in the metrics (``excluded_nonpositive_price_lines``) and on each
    estimate (``n_free_lines``). Products whose price never moved get their category's
    pooled elasticity as status ``prior`` (setting ``CATEGORY_PRIORS``).

    Returns
    -------
    ModelArtifact of kind ``pricing.elasticity`` (metrics: counts by status,
    quantiles, pooled, priors given, excluded lines).

    Raises
    ------
    InvalidInput
        There are no sales lines.
    """
    params = _params()
    fingerprint = sales_fingerprint(sources=params["sources"], params=params)
    algorithm = f"loglog_{params['method']}"
    existing = artifact_find_existing(
        kind=ELASTICITY_KIND,
        algorithm=algorithm,
        params=params,
        data_fingerprint=fingerprint,
    )
    if (
        existing
        and not force
        and ElasticityEstimate.objects.filter(
            artifact=existing, is_current=True
        ).exists()
    ):
        return existing
    results, categories, priors, free = _fit(params, progress, run)
    artifact = artifact_create(
        kind=ELASTICITY_KIND,
        algorithm=algorithm,
        writer=_writer(results),
        params=params,
        metrics=_metrics(results, priors, free),
        data_fingerprint=fingerprint,
        task_run=run,
        notes="log-log weekly demand at the list price; EB pooling by category",
    )
    with transaction.atomic():
        ElasticityEstimate.objects.filter(is_current=True).update(is_current=False)
        ElasticityEstimate.objects.bulk_create(
            _rows(results, categories, free, artifact), batch_size=1000
        )
        artifact_activate(artifact)
    run_progress(run, 0.7, f"{len(results)} products estimated")
    return artifact
