"""Two-stage purchase recommendation: candidate generators, then a GBDT re-ranker.

Stage 1 takes, per customer, the top candidates of EASE, of the next-period ridge
and of the trending list (plus, unless ``new_only``, every product the customer
already bought). Stage 2 scores each (customer, product) candidate with a gradient
boosted tree classifier (scikit-learn ``HistGradientBoostingClassifier``) trained on
what customers bought in windows before the reference date: P(bought in the next
window | features at its origin).

The features are chosen to mean the same at any origin, whatever the length of the
history (shares, rates per 30 days, ages capped at 120 days, ranks): a model trained
at one origin must transfer to a later one. Its size is chosen the same way
(:func:`select_by_transfer`): train at an earlier origin, score at a later one, keep
the setting that transfers best. On Online Retail, larger trees scored higher on
held-out customers of the training window but lower one window later.

Measured by ``benchmarks/recommender.py`` (train < 2011-09-01, test the Sep-Dec
purchases, NDCG@10): alone "all" 0.3971 (buy-again x repeat rate 0.3926), "new"
0.1353 (EASE 0.1235); as a member of the validation-weighted blend 0.4006 / 0.1381.

References
----------
Covington, Adams & Sargin, "Deep neural networks for YouTube recommendations",
RecSys 2016 (candidate generation, then ranking); Friedman, "Greedy function
approximation: a gradient boosting machine", Ann. Stat. 2001; Ke et al.,
"LightGBM", NeurIPS 2017 (histogram-based boosting, as scikit-learn implements it).
"""

from __future__ import annotations

import itertools
import json
import zipfile
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import memory
from .base import top_n
from .fitcache import cached, dense_key, dense_keys
from .metrics import ranking_metrics
from .repeat import EASE, decayed_counts, repeat_rate
from .temporal import fit_next_period
from .trees import TreeEnsemble, export_hist_gbdt

EVENT_COLUMNS = ("u", "i", "invoice", "date")
EVENT_WINDOW_MONTHS = 3  # training windows of event_windows
EVENT_WINDOWS = 4
CAP_DAYS = 120.0  # ages and gaps are capped so that origins compare
FEATURES = (
    "share",  # invoices with the product / the customer's invoices
    "rate_per_30d",  # invoices with the product per 30 days of tenure
    "decayed_30d",  # Σ 0.5 ** (age / 30 days) over those invoices
    "decayed_180d_share",  # the 180-day decayed count / the customer's total
    "last_age",  # days since the customer last bought it (capped)
    "last_rel",  # that, / the customer's tenure (2 when never bought)
    "first_rel",  # days since first bought / tenure (2 when never)
    "ease",  # EASE score / the customer's max
    "ease_rank",  # 0 = EASE's first choice for the customer
    "next_period",  # next-period ridge score / the customer's max
    "next_period_rank",
    "buyers_share",  # distinct buyers / customers with history
    "repeat_rate",  # smoothed share of buyers who re-bought
    "trend_14d_share",  # 14-day decayed purchases / all such purchases
    "trend_60d_share",
    "trend_ratio",  # trend_14d_share / trend_60d_share
    "item_age",  # days since first sold (capped)
    "item_idle",  # days since last sold (capped)
    "customer_invoices_per_30d",
    "customer_idle",  # days since the customer's last invoice (capped)
    "customer_products",  # distinct products bought
    "again_rate",  # invoices with it x repeat rate / tenure
)


def check_events(events: pd.DataFrame, shape: tuple[int, int]) -> pd.DataFrame:
    """Validate purchase events: one row per customer, product and invoice.

    Parameters
    ----------
    events : DataFrame with int columns ``u`` (customer row), ``i`` (product
        column), ``invoice`` and datetime64 ``date``.
    shape : (n_users, n_items)

    Returns
    -------
    The events with duplicates of (u, i, invoice) dropped.

    Raises
    ------
    ValueError
        A missing column, a non-datetime ``date``, or ids outside ``shape``.
    """
    missing = [c for c in EVENT_COLUMNS if c not in events.columns]
    if missing:
        raise ValueError(f"events lack the columns {missing}")
    if not pd.api.types.is_datetime64_any_dtype(events["date"]):
        raise ValueError("events column 'date' must be datetime64")
    for column, size in (("u", shape[0]), ("i", shape[1])):
        values = events[column].to_numpy()
        if values.size and (values.min() < 0 or values.max() >= size):
            raise ValueError(f"events column {column!r} has ids outside 0..{size - 1}")
    return events.drop_duplicates(["u", "i", "invoice"])


def _decayed(events, reference, shape, half_life):
    age = (reference - events["date"]).dt.total_seconds().to_numpy() / 86400.0
    return decayed_counts(
        events["u"], events["i"], age, shape=shape, half_life_days=half_life
    )


def _dense(matrix, users) -> np.ndarray:
    return np.asarray(matrix[users].todense(), np.float32)


def _dense_member(rows: np.ndarray, weights: np.ndarray, items) -> np.ndarray:
    """rows (b, n_items) @ item-item ``weights`` over ``items`` (None: all), as
    float32 (b, n_items) with 0 for items the member does not cover."""
    if items is None:
        return (rows @ weights).astype(np.float32)
    return memory.expand_columns(
        (rows[:, items] @ weights).astype(np.float32), items, rows.shape[1]
    )


def _row_max(x: np.ndarray) -> np.ndarray:
    top = x.max(axis=1, keepdims=True)
    return x / np.where(top > 0, top, 1.0)


def _ranks(scores: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(-scores, axis=1), axis=1).astype(np.float32)


@dataclass
class CandidateSet:
    """Candidate (customer, product) pairs and their features at one origin.

    Attributes
    ----------
    users : int array (b,), the customers (rows of the user-item shape).
    rows : int array (m,), index into ``users`` of each pair.
    items : int array (m,), product column of each pair.
    features : float32 array (m, len(FEATURES)), NaN-free.
    reference : pandas.Timestamp, the origin (features use events before it).
    """

    users: np.ndarray
    rows: np.ndarray
    items: np.ndarray
    features: np.ndarray
    reference: pd.Timestamp

    def labels(self, relevant: sp.csr_matrix) -> np.ndarray:
        """Bool (m,): pair bought, from ``relevant`` (n_users, >= n_items)."""
        if self.rows.size == 0:
            return np.zeros(0, dtype=bool)
        rel = sp.csr_matrix(relevant)[self.users]
        return np.asarray(rel[self.rows, self.items]).ravel() > 0

    def grid(self, scores: np.ndarray, n_items: int, fill: float = -np.inf):
        """Pair ``scores`` (m,) as a float32 (b, n_items) matrix, ``fill`` elsewhere."""
        out = np.full((len(self.users), n_items), fill, np.float32)
        out[self.rows, self.items] = scores
        return out

    def top(self, scores: np.ndarray, n: int, n_items: int) -> np.ndarray:
        """Top-``n`` product ids per user from pair ``scores`` (m,); -1 pads."""
        return top_n(self.grid(scores, n_items), n)[0]


CONTEXT_MATRICES = ("counts", "decayed_30", "decayed_180", "last_days", "first_days")
CONTEXT_VECTORS = (
    "buyers",
    "rate",
    "trend_14",
    "trend_60",
    "item_age",
    "item_idle",
    "invoices",
    "idle",
    "tenure",
)


@dataclass
class RankerContext:
    """Everything the features need at one origin, computed once for all customers.

    Built by :func:`ranker_context` from the events before ``reference``; then
    :meth:`features` gives any customers' candidates and features without reading
    the events again (serving scores one customer from it in milliseconds).

    Attributes
    ----------
    reference : pandas.Timestamp, the origin.
    new_only : bool, candidates exclude what the customer bought.
    counts, decayed_30, decayed_180 : csr (n_users, n_items) float32, invoice
        counts (plain, 30-day and 180-day half-life decay).
    last_days, first_days : csr (n_users, n_items), days since the pair was last /
        first bought, + 1 (0 = never).
    buyers, rate, trend_14, trend_60, item_age, item_idle : float (n_items,).
    invoices, idle, tenure : float (n_users,), the customer's invoices, days since
        the last one (capped), days since the first (>= 1).
    ease_weights : float32 (N, N), EASE B over ``ease_items`` (all items: None).
    ridge_weights : float32 (N', N') or None (history too short), over
        ``ridge_items``.
    ease_items, ridge_items : int64 (N,) or None, the items the dense members
        cover when the memory guard (:mod:`.memory`) kept only the most popular.
    memory_budget_mb : float, MiB, or None (half the available memory): the
        customers of :meth:`features` are taken in chunks that fit it (the
        same result up to float32 rounding; not saved).
    """

    reference: pd.Timestamp
    new_only: bool
    counts: sp.csr_matrix
    decayed_30: sp.csr_matrix
    decayed_180: sp.csr_matrix
    last_days: sp.csr_matrix
    first_days: sp.csr_matrix
    buyers: np.ndarray
    rate: np.ndarray
    trend_14: np.ndarray
    trend_60: np.ndarray
    item_age: np.ndarray
    item_idle: np.ndarray
    invoices: np.ndarray
    idle: np.ndarray
    tenure: np.ndarray
    ease_weights: np.ndarray
    ridge_weights: np.ndarray | None
    ease_items: np.ndarray | None = None
    ridge_items: np.ndarray | None = None
    memory_budget_mb: float | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.counts.shape

    def features(self, users, *, n_candidates: int = 50) -> CandidateSet:
        """Candidates and :data:`FEATURES` of ``users`` (int (b,), rows of
        ``shape``), see :func:`candidate_features`.

        Raises
        ------
        ValueError
            No users, users outside ``shape``, or ``n_candidates`` < 1.
        """
        if int(n_candidates) < 1:
            raise ValueError(f"n_candidates must be >= 1, got {n_candidates}")
        users = np.asarray(users, dtype=np.int64)
        if users.size == 0:
            raise ValueError("users is empty")
        n_users, n_items = self.shape
        if users.min() < 0 or users.max() >= n_users:
            raise ValueError(f"users outside 0..{n_users - 1}")
        chunk = memory.rows_within(
            memory.budget_bytes(self.memory_budget_mb), n_items, memory.CELL_BYTES
        )
        if users.size <= chunk:
            return self._features(users, n_candidates)
        parts = [
            self._features(users[s : s + chunk], n_candidates)
            for s in range(0, users.size, chunk)
        ]
        offsets = np.cumsum([0] + [len(p.users) for p in parts[:-1]])
        return CandidateSet(
            users,
            np.concatenate([p.rows + o for p, o in zip(parts, offsets, strict=True)]),
            np.concatenate([p.items for p in parts]),
            np.vstack([p.features for p in parts]),
            self.reference,
        )

    def _features(self, users, n_candidates: int) -> CandidateSet:
        n_items = self.shape[1]
        x = _dense(self.counts, users)
        decayed_30 = _dense(self.decayed_30, users)
        decayed_180 = _dense(self.decayed_180, users)
        last, first = _dense(self.last_days, users), _dense(self.first_days, users)
        invoices, idle = self.invoices[users], self.idle[users]
        tenure = self.tenure[users]
        binary = (x != 0).astype(np.float32)
        ease_scores = _dense_member(binary, self.ease_weights, self.ease_items)
        if self.ridge_weights is None:
            ridge_scores = np.zeros(x.shape, np.float32)
        else:
            ridge_scores = _dense_member(
                decayed_180, self.ridge_weights, self.ridge_items
            )
        trend_14 = self.trend_14

        seen = x > 0
        chosen = np.zeros_like(seen)
        k = min(int(n_candidates), n_items)
        for scores in (ease_scores, ridge_scores, np.broadcast_to(trend_14, x.shape)):
            if k == n_items:  # every product is in each generator's top k
                chosen[:] = True
                break
            if self.new_only:
                scores = np.where(seen, -np.inf, scores)
            best = np.argpartition(-scores, k, axis=1)[:, :k]
            np.put_along_axis(chosen, best, True, axis=1)
        chosen = chosen & ~seen if self.new_only else chosen | seen
        r, c = np.nonzero(chosen)

        cap = np.float32(CAP_DAYS)
        bought_last, bought_first = last[r, c], first[r, c]
        t = tenure[r]
        rate, n_hist = (
            self.rate,
            max(1.0, float((np.diff(self.counts.indptr) > 0).sum())),
        )
        columns = {
            "share": x[r, c] / np.maximum(invoices[r], 1.0),
            "rate_per_30d": 30.0 * x[r, c] / t,
            "decayed_30d": decayed_30[r, c],
            "decayed_180d_share": decayed_180[r, c]
            / np.maximum(decayed_180.sum(axis=1)[r], 1e-6),
            "last_age": np.where(
                bought_last > 0, np.minimum(bought_last, cap), 2 * cap
            ),
            "last_rel": np.where(bought_last > 0, bought_last / t, 2.0),
            "first_rel": np.where(bought_first > 0, bought_first / t, 2.0),
            "ease": _row_max(ease_scores)[r, c],
            "ease_rank": _ranks(ease_scores)[r, c],
            "next_period": _row_max(ridge_scores)[r, c],
            "next_period_rank": _ranks(ridge_scores)[r, c],
            "buyers_share": self.buyers[c] / n_hist,
            "repeat_rate": rate[c],
            "trend_14d_share": trend_14[c],
            "trend_60d_share": self.trend_60[c],
            "trend_ratio": trend_14[c] / np.maximum(self.trend_60[c], 1e-9),
            "item_age": np.minimum(self.item_age[c], cap),
            "item_idle": np.minimum(self.item_idle[c], cap),
            "customer_invoices_per_30d": 30.0 * invoices[r] / t,
            "customer_idle": np.minimum(idle[r], cap),
            "customer_products": seen.sum(axis=1)[r],
            "again_rate": x[r, c] * rate[c] / t,
        }
        features = np.column_stack(
            [np.asarray(columns[name], np.float32) for name in FEATURES]
        )
        return CandidateSet(users, r, c, features, self.reference)

    # --- npz form ------------------------------------------------------------
    def to_arrays(self, prefix: str = "context.") -> dict[str, np.ndarray]:
        out = {}
        for name in CONTEXT_MATRICES:
            m = getattr(self, name)
            out[f"{prefix}{name}.data"] = m.data.astype(np.float32)
            out[f"{prefix}{name}.indices"] = m.indices
            out[f"{prefix}{name}.indptr"] = m.indptr
        for name in CONTEXT_VECTORS:
            out[prefix + name] = np.asarray(getattr(self, name), np.float32)
        out[prefix + "ease_weights"] = self.ease_weights
        if self.ridge_weights is not None:
            out[prefix + "ridge_weights"] = self.ridge_weights
        for name in ("ease_items", "ridge_items"):
            if getattr(self, name) is not None:
                out[prefix + name] = np.asarray(getattr(self, name), np.int64)
        out[prefix + "meta"] = np.array(
            [self.reference.value, int(self.new_only), *self.shape], np.int64
        )
        return out

    @classmethod
    def from_arrays(cls, arrays, prefix: str = "context.") -> RankerContext:
        """Rebuild from :meth:`to_arrays`.

        Raises
        ------
        ValueError
            A missing array or arrays whose shapes disagree (a damaged file).
        """
        try:
            ref, new_only, n_users, n_items = (int(v) for v in arrays[prefix + "meta"])
            shape = (n_users, n_items)
            parts = {
                name: sp.csr_matrix(
                    (
                        arrays[f"{prefix}{name}.data"],
                        arrays[f"{prefix}{name}.indices"],
                        arrays[f"{prefix}{name}.indptr"],
                    ),
                    shape=shape,
                )
                for name in CONTEXT_MATRICES
            }
            vectors = {
                name: np.asarray(arrays[prefix + name]) for name in CONTEXT_VECTORS
            }
            ease = np.asarray(arrays[prefix + "ease_weights"], np.float32)
        except (KeyError, ValueError, TypeError) as exc:
            raise ValueError(f"ranker context arrays are damaged: {exc}") from exc
        ridge = arrays.get(prefix + "ridge_weights") if hasattr(arrays, "get") else None
        covered = {}
        for name in ("ease_items", "ridge_items"):
            items = arrays.get(prefix + name) if hasattr(arrays, "get") else None
            covered[name] = None if items is None else np.asarray(items, np.int64)
        sizes = {
            n: (n_items if i < 6 else n_users) for i, n in enumerate(CONTEXT_VECTORS)
        }
        bad = [n for n, v in vectors.items() if v.shape != (sizes[n],)]

        def side(name):
            items = covered[name]
            if items is not None and (items.min() < 0 or items.max() >= n_items):
                bad.append(name)
            return n_items if items is None else len(items)

        n_ease, n_ridge = side("ease_items"), side("ridge_items")
        if (
            ease.shape != (n_ease, n_ease)
            or bad
            or (ridge is not None and np.shape(ridge) != (n_ridge, n_ridge))
        ):
            raise ValueError(f"ranker context arrays have wrong shapes {bad}")
        return cls(
            reference=pd.Timestamp(ref),
            new_only=bool(new_only),
            **parts,
            **vectors,
            ease_weights=ease,
            ridge_weights=None if ridge is None else np.asarray(ridge, np.float32),
            **covered,
        )


def ranker_context(
    events: pd.DataFrame,
    *,
    reference,
    shape: tuple[int, int],
    new_only: bool,
    ease_regularization: float = 300.0,
    ridge_regularization: float = 1000.0,
    dense_memory_mb: float | None = None,
    memory_budget_mb: float | None = None,
    cache=None,
) -> RankerContext:
    """The :class:`RankerContext` at ``reference`` (events strictly before it).

    EASE (Steck 2019, λ = ``ease_regularization``) on the invoice counts;
    :class:`NextPeriodRidge` (λ = ``ridge_regularization``) trained on the last
    window of min(90, history/2) days; when the history is too short for the ridge
    (no customer bought both before and inside its last window), no ridge.
    ``dense_memory_mb``: the budget of each of the two (:mod:`.memory`: over it,
    the most popular items only); ``memory_budget_mb``: the context's feature
    chunks (see :class:`RankerContext`). ``cache``: optional
    :class:`~.fitcache.FitCache` bound to ``events`` (the context, its EASE and
    its ridge are memoised by reference and parameters).

    Raises
    ------
    ValueError
        Bad events (:func:`check_events`) or no event before ``reference``.
    """
    reference = pd.Timestamp(reference)
    key = (
        "context",
        reference,
        bool(new_only),
        float(ease_regularization),
        float(ridge_regularization),
        tuple(shape),
        None if cache is None else dense_keys(shape[1], dense_memory_mb),
        memory_budget_mb,
    )
    return cached(
        cache,
        key,
        lambda: _ranker_context(
            events,
            reference,
            shape,
            new_only,
            ease_regularization,
            ridge_regularization,
            dense_memory_mb,
            memory_budget_mb,
            cache,
        ),
    )


def ease_at(
    counts, reference, regularization: float, dense_memory_mb=None, cache=None
) -> EASE:
    """EASE (binary, memory guard ``dense_memory_mb``) fitted on ``counts``, the
    invoice counts before ``reference``; memoised in ``cache`` by (reference, λ,
    the items the guard keeps)."""
    key = (
        "ease",
        pd.Timestamp(reference),
        float(regularization),
        counts.shape,
        None
        if cache is None
        else dense_key(counts.shape[1], dense_memory_mb, memory.DENSE_CELL_BYTES),
    )
    return cached(
        cache,
        key,
        lambda: EASE(
            regularization=float(regularization), memory_budget_mb=dense_memory_mb
        ).fit(counts),
    )


def _ranker_context(
    events,
    reference,
    shape,
    new_only,
    ease_regularization,
    ridge_regularization,
    dense_memory_mb,
    memory_budget_mb,
    cache,
) -> RankerContext:
    events = check_events(events, shape)
    past = events[events["date"] < reference]
    if past.empty:
        raise ValueError(f"no purchase event before {reference.date()}")
    n_items = shape[1]
    counts = _decayed(past, reference, shape, None)
    history_180 = _decayed(past, reference, shape, 180.0)
    pair = past.groupby(["u", "i"])["date"].agg(["max", "min"])
    pu = pair.index.get_level_values(0).to_numpy()
    pi = pair.index.get_level_values(1).to_numpy()

    def days(column):
        values = ((reference - pair[column]).dt.days + 1.0).to_numpy()
        return sp.csr_matrix((values.astype(np.float32), (pu, pi)), shape)

    trend_14 = np.asarray(_decayed(past, reference, shape, 14.0).sum(0)).ravel()
    trend_60 = np.asarray(_decayed(past, reference, shape, 60.0).sum(0)).ravel()
    sold = past.groupby("i")["date"].agg(["min", "max"]).reindex(range(n_items))
    customer = (
        past.groupby("u")
        .agg(n=("invoice", "nunique"), first=("date", "min"), last=("date", "max"))
        .reindex(range(shape[0]))
    )
    tenure = (reference - customer["first"]).dt.days.fillna(1.0).to_numpy()
    ease = ease_at(counts, reference, ease_regularization, dense_memory_mb, cache)
    span = (reference - past["date"].min()).days
    # History too short to learn "next window" (no customer bought both before
    # and inside its last window): no ridge, the member scores 0 and ranks nothing.
    ridge = fit_next_period(
        past,
        reference,
        shape,
        ridge_regularization,
        min(90.0, max(span / 2.0, 1.0)),
        bool(new_only),
        dense_memory_mb,
        cache=cache,
    )[0]
    ridge_weights, ridge_items = (
        (None, None) if ridge is None else (ridge.weights_, ridge.items_)
    )
    return RankerContext(
        reference=reference,
        new_only=bool(new_only),
        counts=counts,
        decayed_30=_decayed(past, reference, shape, 30.0),
        decayed_180=history_180,
        last_days=days("max"),
        first_days=days("min"),
        buyers=np.bincount(counts.indices, minlength=n_items).astype(np.float32),
        rate=repeat_rate(counts).astype(np.float32),
        trend_14=trend_14 / trend_14.sum(),
        trend_60=trend_60 / trend_60.sum(),
        item_age=(reference - sold["min"]).dt.days.fillna(CAP_DAYS).to_numpy(),
        item_idle=(reference - sold["max"]).dt.days.fillna(CAP_DAYS).to_numpy(),
        invoices=customer["n"].fillna(0).to_numpy(np.float32),
        idle=(reference - customer["last"]).dt.days.fillna(CAP_DAYS).to_numpy(),
        tenure=np.maximum(tenure.astype(np.float32), 1.0),
        ease_weights=ease.weights_,
        ridge_weights=ridge_weights,
        ease_items=ease.items_,
        ridge_items=ridge_items,
        memory_budget_mb=memory_budget_mb,
    )


def candidate_features(
    events: pd.DataFrame,
    *,
    reference,
    users,
    shape: tuple[int, int],
    new_only: bool,
    n_candidates: int = 50,
    ease_regularization: float = 300.0,
    ridge_regularization: float = 1000.0,
    dense_memory_mb: float | None = None,
    memory_budget_mb: float | None = None,
) -> CandidateSet:
    """Generate candidates for ``users`` and compute :data:`FEATURES` at ``reference``.

    Only events strictly before ``reference`` are read (:func:`ranker_context`).
    Candidates: the top ``n_candidates`` of EASE, of the next-period ridge and of
    14-day trending popularity; plus, unless ``new_only``, every product the
    customer bought; with ``new_only``, never a product the customer bought.

    Parameters
    ----------
    events : DataFrame (u, i, invoice, date), see :func:`check_events`.
    reference : date-like, the origin.
    users : int array (b,), customers to score (need not have history).
    shape : (n_users, n_items).
    new_only : bool.
    n_candidates : int >= 1, per generator and customer.
    dense_memory_mb, memory_budget_mb : float, MiB, optional, see
        :func:`ranker_context`.

    Returns
    -------
    CandidateSet

    Raises
    ------
    ValueError
        Bad events (:func:`check_events`), no event before ``reference``, no
        users, or ``n_candidates`` < 1.
    """
    if int(n_candidates) < 1:
        raise ValueError(f"n_candidates must be >= 1, got {n_candidates}")
    if np.asarray(users).size == 0:
        raise ValueError("users is empty")
    context = ranker_context(
        events,
        reference=reference,
        shape=shape,
        new_only=new_only,
        ease_regularization=ease_regularization,
        ridge_regularization=ridge_regularization,
        dense_memory_mb=dense_memory_mb,
        memory_budget_mb=memory_budget_mb,
    )
    return context.features(users, n_candidates=n_candidates)


def event_windows(
    cutoff, first_event, *, months: int = EVENT_WINDOW_MONTHS, n: int = EVENT_WINDOWS
) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Training windows [start, end) of an "events" algorithm, oldest first.

    ``n`` windows of ``months`` months ending at the cut-off, one month apart: for
    n=4, months=3: (cut-6m, cut-3m), (cut-5m, cut-2m), (cut-4m, cut-1m),
    (cut-3m, cut) (calendar months, ``pd.DateOffset``). A window that starts
    before ``first_event`` (no history to compute features from) is skipped, so
    the list may be empty.

    Parameters
    ----------
    cutoff, first_event : date-like (naive, shop local time like the lines).
    months : int, window length; n : int, windows before skipping.
    """
    cut, first = pd.Timestamp(cutoff), pd.Timestamp(first_event)
    out = []
    for back in range(n - 1, -1, -1):
        end = cut - pd.DateOffset(months=back)
        start = end - pd.DateOffset(months=months)
        if start >= first:
            out.append((start, end))
    return out


def rolling_windows(
    cutoff, first_event, *, window_days: float = 90.0, step_days: float = 30.0, n=4
) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Training windows [start, end) in days, oldest first: window k (k = 0 ..
    n-1) ends ``k * step_days`` before ``cutoff`` and lasts ``window_days``; a
    window starting before ``first_event`` is skipped (the list may be empty).

    The served pipeline's ranker windows: with ``window_days`` a multiple of
    ``step_days`` and rolling origins ``step_days`` apart, the windows of one
    origin are windows of the others (their candidates are computed once).

    Raises
    ------
    ValueError
        Non-positive days or ``n`` < 1.
    """
    if float(window_days) <= 0 or float(step_days) <= 0 or int(n) < 1:
        raise ValueError("window_days, step_days and n must be positive")
    cut, first = pd.Timestamp(cutoff), pd.Timestamp(first_event)
    out = []
    for back in range(int(n) - 1, -1, -1):
        end = cut - pd.Timedelta(days=back * float(step_days))
        start = end - pd.Timedelta(days=float(window_days))
        if start >= first:
            out.append((start, end))
    return out


def window_targets(events: pd.DataFrame, *, start, end, shape: tuple[int, int]):
    """What customers bought in [start, end), for training and scoring.

    Returns
    -------
    users : int array, customers with events both before ``start`` and inside.
    bought : csr (n_users, n_items) 0/1, products bought in the window.
    new : csr like ``bought``, minus products bought before ``start``.

    Raises
    ------
    ValueError
        ``end`` <= ``start`` or bad events (:func:`check_events`).
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if end <= start:
        raise ValueError(f"window end {end.date()} is not after its start")
    events = check_events(events, shape)
    past = events[events["date"] < start]
    window = events[(events["date"] >= start) & (events["date"] < end)]
    bought = sp.csr_matrix(
        (np.ones(len(window), np.float32), (window["u"], window["i"])), shape=shape
    )
    bought.data[:] = 1.0
    before = sp.csr_matrix(
        (np.ones(len(past), np.float32), (past["u"], past["i"])), shape=shape
    )
    new = bought - bought.multiply(before > 0)
    new.eliminate_zeros()
    users = np.intersect1d(past["u"].unique(), window["u"].unique())
    return users.astype(np.int64), bought.tocsr(), new.tocsr()


class CandidateRanker:
    """GBDT re-ranker of candidate products (the two-stage model of this module).

    Not a :class:`~recommender.algorithms.base.Recommender`: it reads dated purchase
    events, not a user-item matrix. ``fit`` builds, for each training window
    (start, end), the candidates of the customers who bought in it at origin
    ``start`` (:func:`candidate_features`), labels them with what each bought in the
    window (new products only with ``new_only``) and fits one classifier on all
    windows stacked. ``recommend`` ranks the candidates at a later origin by
    P(bought).

    Parameters
    ----------
    new_only : bool, recommend (and learn) only products the customer never bought.
    n_candidates : int, per generator and customer.
    max_leaf_nodes, max_iter, learning_rate, min_samples_leaf : the trees'
        settings (``sklearn.ensemble.HistGradientBoostingClassifier``); early
        stopping on 10 % of the pairs.
    random_state : int, seed.
    memory_budget_mb : float, MiB, optional: the training set and the feature
        chunks (:meth:`training_set`, :class:`RankerContext`); default half the
        available memory.
    dense_memory_mb : float, MiB, optional: each of the contexts' EASE and ridge
        (:func:`ranker_context`).

    Raises
    ------
    ValueError (in ``fit``)
        No training window, or no candidate bought in any window.
    """

    def __init__(
        self,
        *,
        new_only: bool = False,
        n_candidates: int = 50,
        max_leaf_nodes: int = 8,
        max_iter: int = 100,
        learning_rate: float = 0.05,
        min_samples_leaf: int = 100,
        random_state: int = 0,
        memory_budget_mb: float | None = None,
        dense_memory_mb: float | None = None,
    ):
        self.memory_budget_mb = memory_budget_mb
        self.dense_memory_mb = dense_memory_mb
        self.new_only = new_only
        self.n_candidates = n_candidates
        self.max_leaf_nodes = max_leaf_nodes
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.min_samples_leaf = min_samples_leaf
        self.random_state = random_state

    def _classifier(self):
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(
            learning_rate=float(self.learning_rate),
            max_iter=int(self.max_iter),
            max_leaf_nodes=int(self.max_leaf_nodes),
            min_samples_leaf=int(self.min_samples_leaf),
            l2_regularization=1.0,
            early_stopping=True,
            validation_fraction=0.1,
            n_iter_no_change=30,
            random_state=self.random_state,
        )

    def training_set(self, events, windows, shape, *, cache=None):
        """Features and labels of ``windows`` [(start, end), ...], stacked.

        ``cache``: optional :class:`~.fitcache.FitCache` bound to ``events``; each
        window's pairs are memoised by (start, end, new_only, n_candidates, its
        customers).

        Memory guard: the rows are bounded before any is built (per customer,
        3 ``n_candidates`` + the products bought before the window; ROW_BYTES
        each, :mod:`.memory`); over ``memory_budget_mb`` the trees learn from a
        random share of each window's customers that fits (seed
        ``random_state``), and ``memory_note_`` says so.

        Raises
        ------
        ValueError
            No customer bought in any window.
        MemoryBudgetError
            Fewer than ``memory.MIN_RANKER_CUSTOMERS`` customers would fit the
            budget.
        """
        chosen, ends = [], []
        for start, end in windows:
            users, bought, new = window_targets(
                events, start=start, end=end, shape=shape
            )
            relevant = new if self.new_only else bought
            users = users[np.diff(relevant[users].indptr) > 0]
            if users.size:
                chosen.append((start, users, relevant))
                ends.append(end)
        if not chosen:
            raise ValueError(f"no customer bought in any training window {windows}")
        chosen = self._within_budget(events, chosen, shape)
        parts, labels = [], []
        for (start, users, relevant), end in zip(chosen, ends, strict=True):
            key = (
                "window",
                pd.Timestamp(start),
                pd.Timestamp(end),
                bool(self.new_only),
                int(self.n_candidates),
                tuple(shape),
                None if cache is None else dense_keys(shape[1], self.dense_memory_mb),
                hash(np.asarray(users, np.int64).tobytes()),
            )

            def pairs(start=start, users=users, relevant=relevant):
                candidates = self.candidates(events, start, users, shape, cache=cache)
                return candidates.features, candidates.labels(relevant)

            features, bought = cached(cache, key, pairs)
            parts.append(features)
            labels.append(bought)
        return np.vstack(parts), np.concatenate(labels)

    def _within_budget(self, events, chosen, shape):
        """``chosen`` [(start, users, relevant)], its customers sampled down when
        the training rows' upper bound exceeds the budget."""
        rows, total = [], 0
        cap = 3 * int(self.n_candidates)
        for start, users, _ in chosen:
            before = events[events["date"] < start].drop_duplicates(["u", "i"])
            seen = np.bincount(before["u"].to_numpy(np.int64), minlength=shape[0])
            n = np.minimum(cap + (0 if self.new_only else seen[users]), shape[1])
            rows.append(int(n.sum()))
            total += len(users)
        need = sum(rows) * memory.ROW_BYTES
        budget = memory.budget_bytes(self.memory_budget_mb)
        self.memory_note_ = ""
        if need <= budget:
            return chosen
        share = budget / need
        if share * total < memory.MIN_RANKER_CUSTOMERS:
            raise memory.MemoryBudgetError(
                f"the ranker's training set needs up to {need / memory.MIB:,.0f} MiB "
                f"for {total:,} customers; the budget "
                f"({budget / memory.MIB:,.1f} MiB) fits fewer than "
                f"{memory.MIN_RANKER_CUSTOMERS}: raise "
                "RECOMMENDER['memory_budget_mb'] or memory_budget_mb"
            )
        rng = np.random.default_rng(int(self.random_state))
        out = []
        for start, users, relevant in chosen:
            keep = max(1, int(share * len(users)))
            out.append((start, np.sort(rng.choice(users, keep, False)), relevant))
        self.memory_note_ = (
            f"ranker trained on {share:.0%} of each window's customers (the full "
            f"training set needs up to {need / memory.MIB:,.0f} MiB > budget "
            f"{budget / memory.MIB:,.0f} MiB)"
        )
        return out

    def candidates(self, events, reference, users, shape, *, cache=None):
        """:class:`CandidateSet` of ``users`` at ``reference``
        (:func:`candidate_features`; the context memoised in ``cache``)."""
        if cache is None:
            return candidate_features(
                events,
                reference=reference,
                users=users,
                shape=shape,
                new_only=self.new_only,
                n_candidates=self.n_candidates,
                dense_memory_mb=self.dense_memory_mb,
                memory_budget_mb=self.memory_budget_mb,
            )
        if np.asarray(users).size == 0:
            raise ValueError("users is empty")
        context = ranker_context(
            events,
            reference=reference,
            shape=shape,
            new_only=self.new_only,
            dense_memory_mb=self.dense_memory_mb,
            memory_budget_mb=self.memory_budget_mb,
            cache=cache,
        )
        return context.features(users, n_candidates=self.n_candidates)

    def fit(
        self,
        events: pd.DataFrame,
        windows,
        shape: tuple[int, int],
        *,
        reference=None,
        cache=None,
    ):
        """Train on ``windows``, a list of (start, end) dates before serving time.

        The trees are exported to numpy arrays (:mod:`.trees`), so the model saves
        without pickle. With ``reference`` (date-like, usually the day after the
        last event) the serving context at that origin is built too
        (:func:`ranker_context`), for :meth:`score_users` and :meth:`save`.
        ``cache``: optional :class:`~.fitcache.FitCache` bound to ``events``.
        """
        if not windows:
            raise ValueError("windows is empty: give at least one (start, end)")
        features, labels = self.training_set(events, windows, shape, cache=cache)
        if not labels.any():
            raise ValueError("no candidate was bought in the training windows")
        self.model_ = self._classifier().fit(features, labels)
        self.trees_ = export_hist_gbdt(self.model_)
        self.shape_ = tuple(shape)
        if reference is not None:
            self.context_ = ranker_context(
                events,
                reference=reference,
                shape=shape,
                new_only=self.new_only,
                dense_memory_mb=self.dense_memory_mb,
                memory_budget_mb=self.memory_budget_mb,
                cache=cache,
            )
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "trees_") and not hasattr(self, "model_"):
            raise ValueError("CandidateRanker is not fitted; call fit first")

    def score_candidates(self, candidates: CandidateSet) -> np.ndarray:
        """P(bought) per candidate pair, float (m,)."""
        self._check_fitted()
        if hasattr(self, "trees_"):
            return self.trees_.predict_proba(candidates.features)[:, 1]
        return self.model_.predict_proba(candidates.features)[:, 1]

    def recommend(self, events, reference, users, *, n: int = 10) -> np.ndarray:
        """Top-``n`` product ids (b, n) per customer at ``reference``; -1 pads.

        Raises
        ------
        ValueError
            Not fitted, ``n`` < 1, or bad events.
        """
        if int(n) < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        self._check_fitted()
        candidates = self.candidates(events, reference, users, self.shape_)
        return candidates.top(self.score_candidates(candidates), int(n), self.shape_[1])

    def score_users(self, users) -> np.ndarray:
        """P(bought) of every product for ``users`` (int (b,)) at the serving
        origin, float32 (b, n_items); 0 for products that are not candidates.

        Raises
        ------
        ValueError
            Not fitted with a ``reference`` (no serving context).
        """
        self._check_fitted()
        if not hasattr(self, "context_"):
            raise ValueError(
                "CandidateRanker has no serving context: fit with reference"
            )
        candidates = self.context_.features(users, n_candidates=self.n_candidates)
        return candidates.grid(
            self.score_candidates(candidates), self.shape_[1], fill=0.0
        )

    # --- persistence (npz, no pickle) ----------------------------------------
    def get_params(self) -> dict:
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}

    def to_arrays(self, prefix: str = "") -> dict[str, np.ndarray]:
        """The fitted trees, shape and (if any) serving context as named arrays."""
        self._check_fitted()
        out = self.trees_.to_arrays(prefix + "trees.")
        out[prefix + "shape_"] = np.asarray(self.shape_, np.int64)
        if hasattr(self, "context_"):
            out.update(self.context_.to_arrays(prefix + "context."))
        return out

    def restore_arrays(self, arrays, prefix: str = "") -> CandidateRanker:
        """Inverse of :meth:`to_arrays` (validated, see :class:`TreeEnsemble`)."""
        self.trees_ = TreeEnsemble.from_arrays(arrays, prefix + "trees.")
        if self.trees_.n_features != len(FEATURES):
            raise ValueError(
                f"the trees read {self.trees_.n_features} features, "
                f"the ranker computes {len(FEATURES)}"
            )
        self.shape_ = tuple(int(x) for x in arrays[prefix + "shape_"])
        if prefix + "context.meta" in arrays:
            self.context_ = RankerContext.from_arrays(arrays, prefix + "context.")
        return self

    def save(self, path) -> None:
        """Save params, trees and context to ``path`` (.npz, no pickles)."""
        arrays = self.to_arrays()
        arrays["__params__"] = np.frombuffer(
            json.dumps(self.get_params()).encode(), dtype=np.uint8
        )
        with open(path, "wb") as fh:
            np.savez(fh, **arrays)

    @classmethod
    def load(cls, path) -> CandidateRanker:
        """Load a model written by :meth:`save` (``allow_pickle=False``).

        Raises
        ------
        ValueError
            A truncated, tampered or foreign file, naming what is wrong.
        """
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
            params = json.loads(bytes(arrays.pop("__params__")).decode())
            return cls(**params).restore_arrays(arrays)
        except (OSError, KeyError, TypeError, ValueError, zipfile.BadZipFile) as exc:
            raise ValueError(
                f"cannot load a CandidateRanker from {path}: {exc}"
            ) from exc


def select_by_transfer(
    events: pd.DataFrame,
    shape: tuple[int, int],
    *,
    train_window,
    eval_window,
    grid: dict,
    new_only: bool,
    k: int = 10,
    **fixed,
) -> tuple[dict, list[tuple[dict, float]]]:
    """Choose ranker settings by temporal transfer: fit on one window, score a later.

    Each setting of ``grid`` (a dict of parameter -> values, every combination
    tried) is fitted on ``train_window`` and scored by NDCG@``k`` on the
    customers of ``eval_window`` at its start. ``train_window`` must end no later
    than ``eval_window`` starts, so no label of the evaluation leaks in.

    Returns
    -------
    best : dict of the winning setting; table : [(setting, ndcg), ...].

    Raises
    ------
    ValueError
        Overlapping windows or an empty grid.
    """
    if pd.Timestamp(train_window[1]) > pd.Timestamp(eval_window[0]):
        raise ValueError(
            f"train_window ends {train_window[1]} after eval_window starts "
            f"{eval_window[0]}: its labels would leak into the evaluation"
        )
    if not grid:
        raise ValueError("grid is empty")
    empty = [key for key, values in grid.items() if len(values) == 0]
    if empty:
        raise ValueError(f"grid has no value for {empty}")
    users, bought, new = window_targets(
        events, start=eval_window[0], end=eval_window[1], shape=shape
    )
    relevant = new if new_only else bought
    users = users[np.diff(relevant[users].indptr) > 0]
    probe = CandidateRanker(new_only=new_only, **fixed)
    features, labels = probe.training_set(events, [train_window], shape)
    candidates = probe.candidates(events, eval_window[0], users, shape)
    keys = sorted(grid)
    table = []
    for values in itertools.product(*(grid[key] for key in keys)):
        setting = dict(zip(keys, values, strict=True))
        ranker = CandidateRanker(new_only=new_only, **fixed, **setting)
        ranker.model_ = ranker._classifier().fit(features, labels)
        ids = candidates.top(ranker.score_candidates(candidates), k, shape[1])
        ndcg = ranking_metrics(ids, relevant[users], k=k)[f"ndcg@{k}"]
        table.append((setting, float(ndcg)))
    best = max(table, key=lambda row: row[1])[0]
    return best, table
