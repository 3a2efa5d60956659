"""Choosing and promoting the served model: rolling origins, ``tune``, the decision.

No Django here: the training service (``recommender.services.pipeline``) and
``benchmarks/recommender.py`` call the same functions, so the benchmark's
``served`` rows are what the nightly retraining serves.

* :func:`validation_origins`: ``n`` windows of ``window_days`` ending on or before
  the reference, ``step_days`` apart, all before the data's end (rolling-origin
  validation, Tashman 2000).
* :func:`tune_temporal_blend`: at each origin, the members of
  :class:`~.temporal_blend.TemporalBlend` are fitted on the events before it; the
  ridge's λ and the trees' size are chosen alone (mean NDCG@k over the origins),
  then the input history and the member weights by coordinate ascent on the mean
  NDCG@k of the blend. Nothing after an origin is read to score it.
* :func:`promotion_decision`: the rule that promotes, rejects or keeps a candidate,
  a pure function of the two validation scores.

References
----------
Tashman, "Out-of-sample tests of forecasting accuracy: an analysis and review",
IJF 2000 (rolling origins); Bell, Koren & Volinsky 2007 (blend weights on held-out
data).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import memory
from .base import top_n
from .fitcache import FitCache
from .metrics import ranking_metrics
from .ranker import (
    CandidateRanker,
    check_events,
    ranker_context,
    rolling_windows,
    window_targets,
)
from .repeat import RepeatBlend, _row_max_scale
from .temporal import fit_next_period
from .temporal_blend import MEMBERS, history_at, matrix_members, memory_notes

RIDGE_GRID = (300.0, 1000.0, 3000.0)
TREE_GRID = (
    {"max_leaf_nodes": 4, "max_iter": 100},
    {"max_leaf_nodes": 8, "max_iter": 100},
    {"max_leaf_nodes": 16, "max_iter": 100},
    {"max_leaf_nodes": 4, "max_iter": 300},
)
WEIGHT_GRID = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2)


class NotEnoughData(ValueError):
    """The events cannot give the validation origins (empty, or too short)."""


def validation_origins(
    reference,
    first_event,
    *,
    n: int = 3,
    window_days: int = 90,
    step_days: int = 30,
    min_history_days: int = 60,
) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Validation windows (start, end), oldest first, all ending by ``reference``.

    Window k (k = 0 .. n-1) ends at ``reference - k * step_days`` and starts
    ``window_days`` earlier; each needs ``min_history_days`` of events before its
    start.

    Raises
    ------
    NotEnoughData
        Fewer than ``n`` windows fit between ``first_event`` and ``reference``
        (the message names the span needed and the span there is).
    ValueError
        ``n`` < 1 or non-positive days.
    """
    if int(n) < 1 or window_days <= 0 or step_days <= 0:
        raise ValueError("n, window_days and step_days must be positive")
    reference, first = pd.Timestamp(reference), pd.Timestamp(first_event)
    out = []
    for k in range(int(n) - 1, -1, -1):
        end = reference - pd.Timedelta(days=k * int(step_days))
        start = end - pd.Timedelta(days=int(window_days))
        if start - pd.Timedelta(days=int(min_history_days)) >= first:
            out.append((start, end))
    if len(out) < int(n):
        need = int(min_history_days) + int(window_days) + (int(n) - 1) * step_days
        have = (reference - first).days
        raise NotEnoughData(
            f"not enough data: {n} validation origins need {need} days of "
            f"purchases, there are {have}"
        )
    return out


@dataclass
class OriginData:
    """One validation origin: its customers, truth and members' scores."""

    start: pd.Timestamp
    end: pd.Timestamp
    users: np.ndarray
    relevant: object  # csr (len(users), n_items)
    seen: tuple  # (rows, cols) of already-bought products
    inputs: dict = field(default_factory=dict)  # "counts"/"decayed" -> csr history


@dataclass
class TuneResult:
    """What :func:`tune_temporal_blend` chose and why.

    params : TemporalBlend constructor parameters (weights, input, λ, trees).
    score : mean NDCG@k over the origins of the chosen blend.
    per_origin : {"YYYY-MM-DD": NDCG@k} per origin start.
    table : tried settings with their mean scores (ridge, trees, inputs).
    incumbent_score : mean NDCG@k of ``incumbent`` (the serving model's
        parameters) on the same origins, or None.
    memory_notes : what the memory guard changed (:mod:`.memory`), if anything.
    """

    params: dict
    score: float
    per_origin: dict
    table: dict
    incumbent_score: float | None = None
    memory_notes: list = field(default_factory=list)


def _ndcg(scores, origin: OriginData, new_only: bool, k: int) -> float:
    scores = np.array(scores, dtype=np.float32, copy=True)
    if new_only:
        scores[origin.seen] = -np.inf
    ids = top_n(scores, k)[0]
    return float(ranking_metrics(ids, origin.relevant, k=k)[f"ndcg@{k}"])


def _grid_users(max_users: int, n_items: int, budgets) -> tuple[int, str]:
    """Customers scored per origin within the budget of the dense score grids."""
    if budgets is None:
        return int(max_users), ""
    fit = memory.rows_within(budgets.grids, n_items, memory.GRID_BYTES)
    if fit >= int(max_users):
        return int(max_users), ""
    return fit, (
        f"{fit:,} validation customers per origin instead of {int(max_users):,} "
        f"(score grids over {n_items:,} items within "
        f"{budgets.grids / memory.MIB:,.0f} MiB)"
    )


def _origin_data(events, shape, start, end, new_only, max_users, seed):
    users, bought, new = window_targets(events, start=start, end=end, shape=shape)
    relevant = new if new_only else bought
    users = users[np.diff(relevant[users].indptr) > 0]
    if len(users) > max_users:
        pick = np.random.default_rng(seed).choice(len(users), max_users, False)
        users = np.sort(users[pick])
    past = events[events["date"] < start]
    counts = history_at(past, start, shape, None)
    seen = counts[users].nonzero()
    origin = OriginData(start, end, users, relevant[users], seen)
    return origin, past, counts


def tune_temporal_blend(
    events: pd.DataFrame,
    shape: tuple[int, int],
    *,
    new_only: bool,
    origins,
    base: dict | None = None,
    ridge_grid=RIDGE_GRID,
    tree_grid=TREE_GRID,
    weight_grid=WEIGHT_GRID,
    k: int = 10,
    max_users: int = 3000,
    incumbent: dict | None = None,
    on_progress: Callable[[float, str], None] | None = None,
    budgets: memory.MemberBudgets | None = None,
    cache: FitCache | None = None,
    anchor: str = "best",
) -> TuneResult:
    """Choose TemporalBlend's hyperparameters on rolling ``origins``.

    Parameters
    ----------
    events : DataFrame (u, i, invoice, date), checked.
    shape : (n_users, n_items).
    new_only : bool, the variant ("discover": never-bought products only).
    origins : [(start, end), ...] from :func:`validation_origins`.
    base : dict, fixed TemporalBlend parameters (knn_k, ease_regularization, ...).
    ridge_grid : λ values of the next-period ridge; tree_grid : tree settings;
    weight_grid : weights tried per member in the coordinate ascent.
    k : int, the cut-off of NDCG@k; max_users : customers scored per origin
        (sampled with a fixed seed).
    incumbent : dict, optional, the serving model's TemporalBlend parameters, scored
        on the same origins (for the promotion decision).
    budgets : memory.MemberBudgets, optional: each dense member's, the ranker's
        and the score grids' memory (:func:`.memory.member_budgets`); over the
        grids' share fewer customers are scored per origin. Default: each member
        half the available memory, ``max_users`` customers.
    cache : :class:`~.fitcache.FitCache` bound to ``events``, optional: fits shared
        between the grid, the origins, the surfaces and the final fit.
    anchor : "best" (default): the coordinate ascent (weights relative to its
        starting member, whose weight stays 1) runs from repeat ("for you") or
        EASE ("discover") and from the member best alone on the origins; the
        higher mean NDCG@k wins (ties: repeat / EASE). "fixed": only from repeat /
        EASE.

    Returns
    -------
    TuneResult

    Raises
    ------
    NotEnoughData
        No origin has a customer with purchases before and inside its window.
    """
    base = dict(base or {})
    knn_k = int(base.get("knn_k", 100))
    ease_lambda = float(base.get("ease_regularization", 300.0))
    ridge_days = float(base.get("ridge_window_days", 90.0))
    n_windows = int(base.get("ranker_windows", 4))
    window_days = float(base.get("ranker_window_days", 90.0))
    step_days = float(base.get("ranker_step_days", 30.0))
    if anchor not in ("best", "fixed"):
        raise ValueError(f"anchor must be 'best' or 'fixed', got {anchor!r}")
    step = on_progress or (lambda frac, msg: None)
    dense_mb, ranker_mb = _member_mb(budgets)
    max_users, grid_note = _grid_users(max_users, shape[1], budgets)
    notes = [grid_note] if grid_note else []
    table: dict = {
        "ridge": {},
        "trees": {},
        "inputs": {},
        "alone": {},
        "alone_per_origin": {},
        "anchor": {},
    }
    data, ridge_scores, tree_scores = [], {}, {}
    blends, ridges, rankers = [], [], []
    for o, (start, end) in enumerate(origins):
        step(o / (len(origins) + 1), f"origin {start:%Y-%m-%d}: members")
        origin, past, counts = _origin_data(
            events, shape, start, end, new_only, max_users, seed=o
        )
        if origin.users.size == 0:
            continue
        data.append(origin)
        decayed = history_at(past, start, shape, 180.0)
        fits = {}
        for lam in ridge_grid:
            ridge = fit_next_period(
                past, start, shape, lam, ridge_days, new_only, dense_mb, cache=cache
            )[0]
            fits[lam] = ridge
            if ridge is not None:
                s = ridge.score(origin.users, decayed)
                ridge_scores.setdefault(lam, []).append(_ndcg(s, origin, new_only, k))
        ridges.append(fits)
        blends.append(
            RepeatBlend(
                knn_k=knn_k, ease_regularization=ease_lambda, memory_budget_mb=dense_mb
            ).fit(
                counts,
                recent=history_at(past, start, shape, 14.0),
                **matrix_members(counts, start, knn_k, ease_lambda, dense_mb, cache),
            )
        )
        windows = rolling_windows(
            start,
            past["date"].min(),
            window_days=window_days,
            step_days=step_days,
            n=n_windows,
        )
        rankers.append(
            _tree_scores(
                past,
                start,
                shape,
                origin,
                new_only,
                windows,
                tree_grid,
                (ranker_mb, dense_mb),
                cache,
            )
        )
        notes.extend(memory_notes(blends[-1], None))
        for t, scores in enumerate(rankers[-1]):
            if scores is not None:
                tree_scores.setdefault(t, []).append(_ndcg(scores, origin, new_only, k))
        origin.inputs = {"counts": counts, "decayed": decayed}
    if not data:
        raise NotEnoughData("not enough data: no customer bought in any origin window")
    lam = _best(ridge_scores, len(data), default=float(ridge_grid[0]))
    tree = _best(tree_scores, len(data), default=None)
    table["ridge"] = {str(g): _mean(v) for g, v in ridge_scores.items()}
    table["trees"] = {_label(tree_grid[t]): _mean(v) for t, v in tree_scores.items()}
    step(len(origins) / (len(origins) + 1), "blend weights")

    def objectives_for(lam, tree, name):
        out = []
        for o, origin in enumerate(data):
            blend = blends[o]
            blend.next_ = ridges[o].get(lam)
            parts = blend.component_scores(origin.users, origin.inputs[name])
            ranked = np.zeros(parts.shape[1:], np.float32)
            if tree is not None and rankers[o][tree] is not None:
                ranked = _row_max_scale(rankers[o][tree]).astype(np.float32)
            stacked = np.concatenate([parts.astype(np.float32), ranked[None]])
            out.append(
                lambda w, p=stacked, org=origin: _ndcg(
                    np.tensordot(np.asarray(w, np.float32), p, axes=1),
                    org,
                    new_only,
                    k,
                )
            )
        return out

    incumbent_score = None
    if incumbent is not None:
        incumbent_score = _score_incumbent(
            incumbent, objectives_for, ridge_grid, tree_grid
        )
    best = None
    allowed = [i for i, m in enumerate(MEMBERS) if m != "ranker" or tree is not None]
    for name in ("counts", "decayed"):
        objectives = objectives_for(lam, tree, name)

        def mean_ndcg(w, objectives=objectives):
            return float(np.mean([f(w) for f in objectives]))

        alone = {}
        for c in allowed:
            if new_only and MEMBERS[c] == "repeat":
                continue  # scores only bought products: nothing once they are out
            unit = np.zeros(len(MEMBERS))
            unit[c] = 1.0
            per = [f(unit) for f in objectives]
            alone[c] = float(np.mean(per))
            table["alone_per_origin"].setdefault(name, {})[MEMBERS[c]] = [
                round(v, 4) for v in per
            ]
        table["alone"][name] = {MEMBERS[c]: round(v, 4) for c, v in alone.items()}
        leads = [MEMBERS.index("ease" if new_only else "repeat")]
        if anchor == "best":
            leads.append(max(alone, key=lambda c: (alone[c], c == leads[0])))
        tried = []
        for lead in dict.fromkeys(leads):
            score, weights = RepeatBlend._ascend(
                mean_ndcg,
                lead,
                weight_grid,
                2,
                [c for c in allowed if c in alone],
                n_members=len(MEMBERS),
                free_first=True,
            )
            tried.append((score, -len(tried), weights, lead))
        score, _, weights, lead = max(tried, key=lambda t: t[:2])
        table["inputs"][name] = round(score, 4)
        table["anchor"][name] = {MEMBERS[t[3]]: round(t[0], 4) for t in tried} | {
            "chosen": MEMBERS[lead]
        }
        if best is None or score > best[0] + 1e-9:
            per = [f(weights) for f in objectives]
            best = (score, weights, name, per)
    score, weights, name, per = best
    params = {
        **base,
        "new_only": bool(new_only),
        "weights": {m: float(w) for m, w in zip(MEMBERS, weights, strict=True) if w},
        "input": name,
        "ridge_regularization": lam,
    }
    if tree is not None:
        params["ranker_max_leaf_nodes"] = int(tree_grid[tree]["max_leaf_nodes"])
        params["ranker_max_iter"] = int(tree_grid[tree]["max_iter"])
    per_origin = {
        f"{o.start:%Y-%m-%d}": round(s, 4) for o, s in zip(data, per, strict=True)
    }
    step(1.0, f"tuned: mean NDCG@{k} {score:.4f}")
    return TuneResult(
        params,
        float(score),
        per_origin,
        table,
        incumbent_score,
        list(dict.fromkeys(notes)),
    )


def _member_mb(budgets) -> tuple[float | None, float | None]:
    if budgets is None:
        return None, None
    return budgets.dense / memory.MIB, budgets.ranker / memory.MIB


def _score_incumbent(params, objectives_for, ridge_grid, tree_grid):
    """Mean NDCG of a previously tuned parameter set on these origins, or None
    when its λ or tree size is not among those fitted here."""
    lam = float(params.get("ridge_regularization", -1))
    if lam not in [float(g) for g in ridge_grid]:
        return None
    weights = params.get("weights") or {}
    tree = None
    if weights.get("ranker"):
        size = (params.get("ranker_max_leaf_nodes"), params.get("ranker_max_iter"))
        sizes = [(g["max_leaf_nodes"], g["max_iter"]) for g in tree_grid]
        if size not in sizes:
            return None
        tree = sizes.index(size)
    name = params.get("input", "counts")
    if name not in ("counts", "decayed"):
        return None
    w = [float(weights.get(m, 0.0)) for m in MEMBERS]
    return float(np.mean([f(w) for f in objectives_for(lam, tree, name)]))


def _tree_scores(
    past,
    start,
    shape,
    origin,
    new_only,
    windows,
    tree_grid,
    memory_mb=(None, None),
    cache=None,
):
    """Per tree setting: the ranker's P(bought) grid (b, n_items) at the origin, or
    None when it cannot be fitted (too little history before the origin).
    ``windows``: the ranker's training windows; ``memory_mb``: (ranker, dense
    member) budgets in MiB; ``cache``: a :class:`~.fitcache.FitCache`.

    Settings that differ only in ``max_iter`` share one fit: boosting is
    sequential and early stopping looks back, so the model of ``max_iter`` = m is
    the first m trees of the longer one (``staged_predict_proba``)."""
    if not windows:
        return [None] * len(tree_grid)
    ranker_mb, dense_mb = memory_mb
    probe = CandidateRanker(
        new_only=new_only, memory_budget_mb=ranker_mb, dense_memory_mb=dense_mb
    )
    try:
        features, labels = probe.training_set(past, windows, shape, cache=cache)
    except ValueError:
        return [None] * len(tree_grid)
    if not labels.any():
        return [None] * len(tree_grid)
    context = ranker_context(
        past,
        reference=start,
        shape=shape,
        new_only=new_only,
        dense_memory_mb=dense_mb,
        memory_budget_mb=ranker_mb,
        cache=cache,
    )
    candidates = context.features(origin.users, n_candidates=probe.n_candidates)
    groups: dict = {}
    for t, setting in enumerate(tree_grid):
        rest = tuple(sorted((k, v) for k, v in setting.items() if k != "max_iter"))
        groups.setdefault(rest, []).append(t)
    out = [None] * len(tree_grid)
    for members in groups.values():
        stages = {t: int(tree_grid[t].get("max_iter", 100)) for t in members}
        longest = max(members, key=stages.get)
        ranker = CandidateRanker(new_only=new_only, **tree_grid[longest])
        model = ranker._classifier().fit(features, labels)
        wanted, probas = set(stages.values()), {}
        for n, proba in enumerate(model.staged_predict_proba(candidates.features), 1):
            if n in wanted:
                probas[n] = proba[:, 1]
        last = proba[:, 1]  # early stopping may end before a wanted stage
        for t in members:
            out[t] = candidates.grid(probas.get(stages[t], last), shape[1], fill=0.0)
    return out


def _mean(values) -> float:
    return round(float(np.mean(values)), 4)


def _best(scores: dict, n_origins: int, default):
    """The key with the highest mean over origins, among those scored at all."""
    complete = {g: np.mean(v) for g, v in scores.items() if len(v) == n_origins}
    if not complete:
        return default
    return max(complete, key=complete.get)


def _label(setting: dict) -> str:
    return f"{setting['max_leaf_nodes']} leaves x {setting['max_iter']}"


@dataclass(frozen=True)
class Decision:
    """The promotion rule's answer: ``action`` is "promote", "reject" or "keep"
    (stay a candidate, the active model keeps serving); ``reason`` says why."""

    action: str
    reason: str


def promotion_decision(
    *,
    candidate: float | None,
    active: float | None,
    has_active: bool,
    metric: str = "ndcg@10",
    tolerance: float = 0.0,
    why_not_scored: str = "",
    active_label: str = "",
) -> Decision:
    """Promote, reject or keep a trained candidate (a pure function).

    * no active model: promote;
    * candidate not scored while the active one was: keep (the active serves);
    * neither scored: promote (the newer model serves);
    * active not comparable (no score on this validation): promote;
    * candidate < active - tolerance: reject; otherwise promote.

    Parameters
    ----------
    candidate, active : float or None, validation scores on the same data.
    has_active : bool, a model of the kind is serving.
    metric : str, named in the reason; tolerance : float >= 0.
    why_not_scored : str, why the candidate has no score (in the reason).
    active_label : str, the serving model's name (in the reason).
    """
    them = f"active {active_label}" if active_label else "the active model"
    if not has_active:
        ours = f"{metric} {candidate:.4f}" if candidate is not None else ""
        return Decision(
            "promote", f"promoted: no model was active; {ours or f'({why_not_scored})'}"
        )
    if candidate is None:
        if active is not None:
            return Decision(
                "keep",
                f"not promoted: could not be evaluated ({why_not_scored}); {them} "
                "was evaluated and keeps serving",
            )
        return Decision(
            "promote",
            f"promoted: could not be evaluated ({why_not_scored}); {them} had no "
            "validation score either, so the newer model serves",
        )
    ours = f"{metric} {candidate:.4f}"
    if active is None:
        return Decision(
            "promote",
            f"promoted: {ours}; {them} could not be scored on this validation",
        )
    if candidate < active - float(tolerance):
        return Decision(
            "reject",
            f"not promoted: {ours} < {them} {active:.4f} (tolerance {tolerance})",
        )
    return Decision("promote", f"promoted: {ours} vs {them} {active:.4f}")


# Settings of the served pipeline; recommender.conf's "pipeline" defaults are these.
PIPELINE_DEFAULTS = {
    "origins": 3,
    "origin_window_days": 90,
    "origin_step_days": 30,
    "min_history_days": 60,
    "max_users": 3000,
    "base": {
        "knn_k": 100,
        "ease_regularization": 300.0,
        "ranker_windows": 4,
        "ranker_window_days": 90.0,
        "ranker_step_days": 30.0,
    },
    "ridge_grid": list(RIDGE_GRID),
    "tree_grid": [dict(t) for t in TREE_GRID],
    "weight_grid": list(WEIGHT_GRID),
    # coordinate ascent of the weights from repeat / EASE and from the member
    # best alone ("best"), or from repeat / EASE only ("fixed")
    "anchor": "fixed",
    # train the ranker on the windows every origin has (common_ranker_windows)
    "same_ranker_windows": False,
}


def common_ranker_windows(origins, first_event, base: dict) -> int:
    """The ranker windows every origin has history for (at most
    ``base["ranker_windows"]``, at least 1): with it each origin validates a ranker
    trained on as many windows as the one fitted at the reference, not a weaker
    one at the earliest origins."""
    most = int(base.get("ranker_windows", 4))
    counts = [
        len(
            rolling_windows(
                start,
                first_event,
                window_days=float(base.get("ranker_window_days", 90.0)),
                step_days=float(base.get("ranker_step_days", 30.0)),
                n=most,
            )
        )
        for start, _ in origins
    ]
    return max(1, min([most, *counts]))


def pipeline_settings(overrides: dict | None = None) -> dict:
    """:data:`PIPELINE_DEFAULTS` updated by ``overrides`` (``base`` merged by key):
    the settings ``served_pipeline`` runs with (``RECOMMENDER["pipeline"]``)."""
    overrides = dict(overrides or {})
    merged = {**PIPELINE_DEFAULTS, **overrides}
    merged["base"] = {**PIPELINE_DEFAULTS["base"], **overrides.get("base", {})}
    return merged


def served_pipeline(
    events: pd.DataFrame,
    shape: tuple[int, int],
    *,
    new_only: bool,
    reference=None,
    settings: dict | None = None,
    incumbent: dict | None = None,
    on_progress: Callable[[float, str], None] | None = None,
    memory_budget_mb: float | None = None,
    cache: FitCache | None = None,
):
    """Tune on rolling origins before ``reference``, then fit at ``reference``.

    The one training path of the served purchase models: ``train_recommender``
    (through ``recommender.services.pipeline``) and ``benchmarks/recommender.py``
    both call it.

    Parameters
    ----------
    events : DataFrame (u, i, invoice, date); shape : (n_users, n_items).
    new_only : bool, "discover" (True) or "for you" (False).
    reference : date-like, optional; default the day after the last event.
    settings : dict over :data:`PIPELINE_DEFAULTS`.
    incumbent : dict, optional, the serving model's parameters (scored too).
    memory_budget_mb : float, MiB, optional, the whole pipeline's memory, split
        by :func:`.memory.member_budgets` (default half the available memory).
        Tuning and the final fit use the same member budgets, so validation
        scores the model that is served.
    cache : :class:`~.fitcache.FitCache`, optional; pass the same one to the calls
        of both surfaces on the same events to share their fits (EASE, k-NN);
        default a new one for this call. It is bound to ``events`` (emptied if it
        held another frame's fits) and holds at most a quarter of the budget.

    Returns
    -------
    (fitted TemporalBlend, TuneResult); ``TuneResult.memory_notes`` say what the
    memory guard changed.

    Raises
    ------
    NotEnoughData
        Empty events or too short a history for the origins.
    MemoryBudgetError
        A member cannot fit the budget even in its reduced form.
    """
    from .temporal_blend import TemporalBlend, default_reference

    conf = pipeline_settings(settings)
    if events is None or len(events) == 0:
        raise NotEnoughData("not enough data: no purchase to train on")
    events = check_events(events, tuple(shape))
    cache = (FitCache() if cache is None else cache).bind(events)
    reference = (
        default_reference(events) if reference is None else pd.Timestamp(reference)
    )
    origins = validation_origins(
        reference,
        events["date"].min(),
        n=int(conf["origins"]),
        window_days=int(conf["origin_window_days"]),
        step_days=int(conf["origin_step_days"]),
        min_history_days=int(conf["min_history_days"]),
    )
    if conf["same_ranker_windows"]:
        conf["base"] = {
            **conf["base"],
            "ranker_windows": common_ranker_windows(
                origins, events["date"].min(), conf["base"]
            ),
        }
    step = on_progress or (lambda frac, msg: None)
    budgets = memory.member_budgets(
        memory.budget_bytes(memory_budget_mb),
        dense_alive=len(origins) * (1 + len(conf["ridge_grid"])),
        n_items=int(shape[1]),
    )
    cache.max_bytes = min(cache.max_bytes, int(0.25 * budgets.total))
    tuned = tune_temporal_blend(
        events,
        shape,
        new_only=new_only,
        origins=origins,
        base=conf["base"],
        max_users=int(conf["max_users"]),
        ridge_grid=tuple(float(g) for g in conf["ridge_grid"]),
        tree_grid=tuple(dict(t) for t in conf["tree_grid"]),
        weight_grid=tuple(float(g) for g in conf["weight_grid"]),
        incumbent=incumbent,
        on_progress=lambda f, m: step(0.8 * f, m),
        budgets=budgets,
        cache=cache,
        anchor=str(conf["anchor"]),
    )
    step(0.8, "fitting the tuned blend at the reference")
    dense_mb, ranker_mb = _member_mb(budgets)
    model = TemporalBlend(
        **tuned.params, dense_memory_mb=dense_mb, ranker_memory_mb=ranker_mb
    ).fit(events, shape=shape, reference=reference, cache=cache)
    tuned.memory_notes = list(dict.fromkeys(tuned.memory_notes + model.memory_notes_))
    step(1.0, "fitted")
    return model, tuned
