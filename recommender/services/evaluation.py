"""Offline evaluation of every recommender on the issue-3 temporal split.

Purchases: lines of identified customers with quantity > 0 and unit price > 0 on
sale orders, product codes only (codes that begin with five digits); train before
the cut-off (default 2011-09-01, UK local time); test = the distinct products each
training customer bought from then on. Reported twice: "all" (already-bought
products may be recommended) and "new" (already-bought products excluded from both
the recommendations and the test). The split and the metrics are the algorithms
engineer's (:mod:`recommender.algorithms.splits`, :mod:`~.metrics`), so the figures
compare with ``benchmarks/recommender.py``.

An algorithm fitted on dated events (registry fit "events", the two-stage ranker)
is fitted once per variant on the 3-month windows of :func:`event_windows` and
ranks at the cut-off from the training lines. ``temporal_blend`` is the served
pipeline itself (:func:`recommender.algorithms.selection.served_pipeline`, tuned on
rolling origins before the cut-off with the configured settings).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from django.conf import settings
from django.utils import timezone

from core.exceptions import InvalidInput
from core.taskruns import progress, task_run

from ..algorithms.metrics import ranking_metrics
from ..algorithms.ranker import EVENT_WINDOW_MONTHS, event_windows
from ..algorithms.splits import purchase_split
from ..conf import rec_settings
from ..data import sequences_from_frame
from ..models import EvaluationResult, EvaluationRun
from ..registry import algorithm_get, algorithms_available
from .collector import check_k

DEFAULT_CUTOFF = "2011-09-01"
VARIANTS = ("all", "new")


def evaluation_lines() -> pd.DataFrame:
    """Clean purchase lines from the database, in ``splits.read_purchases`` layout.

    Columns: invoice, code, description, quantity, date (naive, shop local time),
    price (GBP), customer (external id), country, spend (GBP).
    """
    from shop.models import OrderLine

    rows = (
        OrderLine.objects.filter(
            order__kind="sale",
            order__customer__isnull=False,
            order__customer__erased_at__isnull=True,
            quantity__gt=0,
            unit_price__gt=0,
            product__stock_code__regex=r"^[0-9]{5}",
        )
        .values_list(
            "order__invoice_no",
            "product__stock_code",
            "product__description",
            "quantity",
            "order__placed_at",
            "unit_price",
            "order__customer__external_id",
            "order__country",
        )
        .iterator(chunk_size=20000)
    )
    frame = pd.DataFrame(
        list(rows),
        columns=[
            "invoice",
            "code",
            "description",
            "quantity",
            "date",
            "price",
            "customer",
            "country",
        ],
    )
    frame["code"] = frame["code"].astype(str).str.upper()
    frame["quantity"] = frame["quantity"].astype(np.int64)
    frame["price"] = frame["price"].astype(float)
    dates = pd.to_datetime(frame["date"], utc=True)
    frame["date"] = dates.dt.tz_convert(settings.TIME_ZONE).dt.tz_localize(None)
    frame["spend"] = frame["quantity"] * frame["price"]
    return frame


def _metrics(ids: np.ndarray, split, users: np.ndarray, variant: str, k: int):
    """ranking_metrics of ``ids`` (len(users), k) against the variant's test."""
    test = split.test_all if variant == "all" else split.test_new
    spend = split.spend_all if variant == "all" else split.spend_new
    return ranking_metrics(
        ids, test[users], k=k, spend=spend[users], n_catalogue=split.n_items
    )


def _score(model, split, variant: str, k: int) -> dict:
    users = split.users_with_test(variant)
    chunks = []
    for lo in range(0, len(users), 1024):
        ids, _ = model.recommend(
            users[lo : lo + 1024], split.train, n=k, exclude_seen=variant == "new"
        )
        chunks.append(ids)
    ids = np.vstack(chunks) if chunks else np.empty((0, k), np.int64)
    return _metrics(ids, split, users, variant, k)


def recommenders_evaluate(
    *,
    cutoff: str = DEFAULT_CUTOFF,
    algorithms: list[str] | None = None,
    k: int = 10,
    on_progress: Callable[[float, str], None] | None = None,
) -> EvaluationRun:
    """Fit every algorithm on the split, score "all" and "new", store the results.

    Returns
    -------
    EvaluationRun with one EvaluationResult per (algorithm, variant); an algorithm
    that fails is stored with its error and the others still run.

    Raises
    ------
    InvalidInput
        Bad cut-off (not a date, or with a time zone: field ``cutoff``), an empty
        train/test window, or ``k`` outside 1..``RECOMMENDER["max_k"]`` (field ``k``).
    """
    try:
        when = pd.Timestamp(cutoff)
    except (TypeError, ValueError):
        when = pd.NaT
    if pd.isna(when):  # also "" and None, which pandas reads as NaT
        raise InvalidInput(f"cutoff is not a date: {cutoff!r}", field="cutoff")
    if when.tzinfo is not None:
        raise InvalidInput(
            f"cutoff {cutoff!r} has a time zone; give the shop's local date, "
            "e.g. 2011-09-01",
            field="cutoff",
        )
    k = check_k(k)
    names = algorithms or algorithms_available()
    for name in names:
        algorithm_get(name)
    with task_run(
        "recommender.evaluate", {"cutoff": cutoff, "algorithms": names}
    ) as run:
        lines = evaluation_lines()
        try:
            split = purchase_split(lines, cutoff=cutoff)
        except (ValueError, KeyError) as exc:
            raise InvalidInput(f"cannot split purchases: {exc}", field="cutoff")
        aware = timezone.make_aware(when.to_pydatetime())
        evaluation = EvaluationRun.objects.create(
            cutoff=aware,
            k=k,
            task_run=run,
            split={
                "users": int(split.train.shape[0]),
                "items": int(split.n_items),
                "train_nnz": int(split.train.nnz),
                "test_users_all": int(len(split.users_with_test("all"))),
                "test_users_new": int(len(split.users_with_test("new"))),
                "lines": int(len(lines)),
            },
        )
        params = rec_settings()["params"]
        for step, name in enumerate(names):
            frac = step / max(len(names), 1)
            progress(run, frac, f"evaluating {name}")
            if on_progress:
                on_progress(frac, name)
            _evaluate_one(evaluation, split, name, params.get(name, {}), k)
        evaluation.status = EvaluationRun.Status.SUCCEEDED
        evaluation.summary = evaluation_table(evaluation)
        evaluation.save(update_fields=["status", "summary", "updated_at"])
    return evaluation


def _score_served(split, variant: str, k: int) -> tuple:
    """The served pipeline (rolling-origin tuning, then the fit at the cut-off, as
    ``train_recommender`` runs it) for ``variant``; (metrics, fit seconds)."""
    from ..algorithms.selection import served_pipeline
    from .pipeline import _pipeline_settings

    events = split.train_lines.drop_duplicates(["u", "i", "invoice"])
    started = time.perf_counter()
    model, _ = served_pipeline(
        events[["u", "i", "invoice", "date"]],
        split.train.shape,
        new_only=variant == "new",
        reference=split.cutoff,
        settings=_pipeline_settings(),
    )
    fit_seconds = time.perf_counter() - started
    users = split.users_with_test(variant)
    chunks = [
        model.recommend(
            users[lo : lo + 1024], model.history_, n=k, exclude_seen=variant == "new"
        )[0]
        for lo in range(0, len(users), 1024)
    ]
    ids = np.vstack(chunks) if chunks else np.empty((0, k), np.int64)
    return _metrics(ids, split, users, variant, k), fit_seconds


def _score_events(spec, params: dict, split, variant: str, k: int) -> tuple:
    """Fit an "events" algorithm for ``variant``; (metrics, fit seconds)."""
    if spec.name == "temporal_blend":
        return _score_served(split, variant, k)
    events = split.train_lines[["u", "i", "invoice", "date"]]
    windows = event_windows(split.cutoff, events["date"].min())
    if not windows:
        raise ValueError(
            f"history from {events['date'].min():%Y-%m-%d} holds no "
            f"{EVENT_WINDOW_MONTHS}-month training window before the cut-off "
            f"{split.cutoff:%Y-%m-%d}"
        )
    model = spec.build({**params, "new_only": variant == "new"}, variant=variant)
    started = time.perf_counter()
    model.fit(events, windows, split.train.shape)
    fit_seconds = time.perf_counter() - started
    users = split.users_with_test(variant)
    if len(users):
        ids = model.recommend(events, split.cutoff, users, n=k)
    else:
        ids = np.empty((0, k), np.int64)
    return _metrics(ids, split, users, variant, k), fit_seconds


def _evaluate_one(evaluation, split, name: str, params: dict, k: int) -> None:
    spec = algorithm_get(name)
    if spec.fit == "events":
        for variant in VARIANTS:  # one model per variant, each may fail alone
            try:
                metrics, seconds = _score_events(spec, params, split, variant, k)
                _store(evaluation, name, variant, metrics=metrics, seconds=seconds)
            except Exception as exc:  # stored like any failing algorithm
                _store(evaluation, name, variant, error=exc)
        return
    try:
        model = spec.build(params)
        started = time.perf_counter()
        if spec.fit == "groups":
            model.fit(split.train, groups=split.countries)
        elif spec.fit == "sequences":
            seqs = sequences_from_frame(
                split.train_lines,
                n_users=split.train.shape[0],
                basket="invoice",
                time="date",
            )
            model.fit(seqs, n_items=split.n_items)
        elif spec.fit == "content":
            texts = _code_texts(split)
            model.fit(split.train, item_texts=texts)
        else:
            model.fit(split.train)
        fit_seconds = time.perf_counter() - started
        for variant in VARIANTS:
            metrics = _score(model, split, variant, k)
            _store(evaluation, name, variant, metrics=metrics, seconds=fit_seconds)
    except Exception as exc:  # one failing algorithm does not stop the table
        for variant in VARIANTS:
            _store(evaluation, name, variant, error=exc)


def _store(evaluation, name, variant, *, metrics=None, seconds=None, error=None):
    """One EvaluationResult row: the metrics and fit seconds, or the error (which
    replaces a row already stored for that variant)."""
    if error is not None:
        EvaluationResult.objects.update_or_create(
            run=evaluation,
            algorithm=name,
            variant=variant,
            defaults={"error": f"{type(error).__name__}: {error}"[:2000]},
        )
        return
    EvaluationResult.objects.create(
        run=evaluation,
        algorithm=name,
        variant=variant,
        metrics=metrics,
        fit_seconds=round(seconds, 3),
    )


def _code_texts(split) -> list[str]:
    lines = split.train_lines
    first = lines.drop_duplicates("i").set_index("i")["description"]
    return [str(first.get(i, "")) for i in range(split.n_items)]


def evaluation_table(evaluation: EvaluationRun) -> str:
    """The run's results as a fixed-width text table (one row per algorithm)."""
    k = evaluation.k
    cols = [f"ndcg@{k}", f"recall@{k}", f"precision@{k}", f"map@{k}", f"hit@{k}"]
    header = (
        f"{'algorithm':<14}{'variant':<8}"
        + "".join(f"{c:>13}" for c in cols)
        + f"{'coverage':>10}{'revenue@' + str(k):>12}{'fit s':>9}"
    )
    lines = [header, "-" * len(header)]
    for row in evaluation.results.order_by("variant", "algorithm"):
        if row.error:
            lines.append(f"{row.algorithm:<14}{row.variant:<8}  error: {row.error}")
            continue
        m = row.metrics
        lines.append(
            f"{row.algorithm:<14}{row.variant:<8}"
            + "".join(f"{m.get(c, float('nan')):>13.4f}" for c in cols)
            + f"{m.get(f'coverage@{k}', float('nan')):>10.3f}"
            + f"{m.get(f'revenue@{k}', float('nan')):>12.4f}"
            + f"{row.fit_seconds or 0:>9.2f}"
        )
    return "\n".join(lines)
