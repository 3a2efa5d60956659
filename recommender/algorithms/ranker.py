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
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .base import top_n
from .metrics import ranking_metrics
from .repeat import EASE, decayed_counts, repeat_rate
from .temporal import NextPeriodRidge, stacked_next_period_matrices

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
) -> CandidateSet:
    """Generate candidates for ``users`` and compute :data:`FEATURES` at ``reference``.

    Only events strictly before ``reference`` are read. When the history is too
    short for the ridge (no customer bought both before and inside its last
    window), its score is 0 for every product. Candidates: the top
    ``n_candidates`` of EASE (Steck 2019, λ = ``ease_regularization``), of
    :class:`NextPeriodRidge` (λ = ``ridge_regularization``, trained on the last
    window of min(90, history/2) days) and of 14-day trending popularity; plus,
    unless ``new_only``, every product the customer bought; with ``new_only``,
    never a product the customer bought.

    Parameters
    ----------
    events : DataFrame (u, i, invoice, date), see :func:`check_events`.
    reference : date-like, the origin.
    users : int array (b,), customers to score (need not have history).
    shape : (n_users, n_items).
    new_only : bool.
    n_candidates : int >= 1, per generator and customer.

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
    users = np.asarray(users, dtype=np.int64)
    if users.size == 0:
        raise ValueError("users is empty")
    reference = pd.Timestamp(reference)
    events = check_events(events, shape)
    past = events[events["date"] < reference]
    if past.empty:
        raise ValueError(f"no purchase event before {reference.date()}")
    n_items = shape[1]
    counts = _decayed(past, reference, shape, None)
    x = _dense(counts, users)
    decayed_30 = _dense(_decayed(past, reference, shape, 30.0), users)
    history_180 = _decayed(past, reference, shape, 180.0)
    decayed_180 = _dense(history_180, users)
    pair = past.groupby(["u", "i"])["date"].agg(["max", "min"])
    pu = pair.index.get_level_values(0).to_numpy()
    pi = pair.index.get_level_values(1).to_numpy()
    last = _dense(
        sp.csr_matrix(
            (((reference - pair["max"]).dt.days + 1.0).to_numpy(), (pu, pi)), shape
        ),
        users,
    )
    first = _dense(
        sp.csr_matrix(
            (((reference - pair["min"]).dt.days + 1.0).to_numpy(), (pu, pi)), shape
        ),
        users,
    )
    buyers = np.bincount(counts.indices, minlength=n_items).astype(np.float32)
    rate = repeat_rate(counts).astype(np.float32)
    trend_14 = np.asarray(_decayed(past, reference, shape, 14.0).sum(0)).ravel()
    trend_60 = np.asarray(_decayed(past, reference, shape, 60.0).sum(0)).ravel()
    trend_14, trend_60 = trend_14 / trend_14.sum(), trend_60 / trend_60.sum()
    sold = past.groupby("i")["date"].agg(["min", "max"]).reindex(range(n_items))
    item_age = (reference - sold["min"]).dt.days.fillna(CAP_DAYS).to_numpy()
    item_idle = (reference - sold["max"]).dt.days.fillna(CAP_DAYS).to_numpy()
    customer = (
        past.groupby("u")
        .agg(n=("invoice", "nunique"), first=("date", "min"), last=("date", "max"))
        .reindex(range(shape[0]))
    )
    invoices = customer["n"].fillna(0).to_numpy(np.float32)[users]
    idle = (reference - customer["last"]).dt.days.fillna(CAP_DAYS).to_numpy()[users]
    tenure = (reference - customer["first"]).dt.days.fillna(1.0).to_numpy()[users]
    tenure = np.maximum(tenure.astype(np.float32), 1.0)

    ease = EASE(regularization=float(ease_regularization)).fit(counts)
    ease_scores = ease.score(users, counts).astype(np.float32)
    span = (reference - past["date"].min()).days
    try:
        history, future, weight = stacked_next_period_matrices(
            past["u"],
            past["i"],
            past["date"],
            reference=reference,
            shape=shape,
            window_days=min(90.0, max(span / 2.0, 1.0)),
            step_days=90.0,
            n_windows=1,
            half_life_days=180.0,
        )
        ridge = NextPeriodRidge(
            regularization=float(ridge_regularization), new_only=new_only
        ).fit(history, future=future, sample_weight=weight)
        ridge_scores = ridge.score(users, history_180)
    except ValueError:
        # History too short to learn "next window" (no customer bought both before
        # and inside its last window): the member scores 0 and ranks nothing.
        ridge_scores = np.zeros(x.shape, np.float32)
    ridge_scores = ridge_scores.astype(np.float32)

    seen = x > 0
    chosen = np.zeros_like(seen)
    k = min(int(n_candidates), n_items)
    for scores in (ease_scores, ridge_scores, np.broadcast_to(trend_14, x.shape)):
        if k == n_items:  # every product is in each generator's top k
            chosen[:] = True
            break
        if new_only:
            scores = np.where(seen, -np.inf, scores)
        best = np.argpartition(-scores, k, axis=1)[:, :k]
        np.put_along_axis(chosen, best, True, axis=1)
    chosen = chosen & ~seen if new_only else chosen | seen
    r, c = np.nonzero(chosen)

    cap = np.float32(CAP_DAYS)
    bought_last, bought_first = last[r, c], first[r, c]
    t = tenure[r]
    columns = {
        "share": x[r, c] / np.maximum(invoices[r], 1.0),
        "rate_per_30d": 30.0 * x[r, c] / t,
        "decayed_30d": decayed_30[r, c],
        "decayed_180d_share": decayed_180[r, c]
        / np.maximum(decayed_180.sum(axis=1)[r], 1e-6),
        "last_age": np.where(bought_last > 0, np.minimum(bought_last, cap), 2 * cap),
        "last_rel": np.where(bought_last > 0, bought_last / t, 2.0),
        "first_rel": np.where(bought_first > 0, bought_first / t, 2.0),
        "ease": _row_max(ease_scores)[r, c],
        "ease_rank": _ranks(ease_scores)[r, c],
        "next_period": _row_max(ridge_scores)[r, c],
        "next_period_rank": _ranks(ridge_scores)[r, c],
        "buyers_share": buyers[c] / max(1.0, float((np.diff(counts.indptr) > 0).sum())),
        "repeat_rate": rate[c],
        "trend_14d_share": trend_14[c],
        "trend_60d_share": trend_60[c],
        "trend_ratio": trend_14[c] / np.maximum(trend_60[c], 1e-9),
        "item_age": np.minimum(item_age[c], cap),
        "item_idle": np.minimum(item_idle[c], cap),
        "customer_invoices_per_30d": 30.0 * invoices[r] / t,
        "customer_idle": np.minimum(idle[r], cap),
        "customer_products": seen.sum(axis=1)[r],
        "again_rate": x[r, c] * rate[c] / t,
    }
    features = np.column_stack(
        [np.asarray(columns[name], np.float32) for name in FEATURES]
    )
    return CandidateSet(users, r, c, features, reference)


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
    ):
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

    def training_set(self, events, windows, shape):
        """Features and labels of ``windows`` [(start, end), ...], stacked."""
        parts, labels = [], []
        for start, end in windows:
            users, bought, new = window_targets(
                events, start=start, end=end, shape=shape
            )
            relevant = new if self.new_only else bought
            users = users[np.diff(relevant[users].indptr) > 0]
            if users.size == 0:
                continue
            candidates = self.candidates(events, start, users, shape)
            parts.append(candidates.features)
            labels.append(candidates.labels(relevant))
        if not parts:
            raise ValueError(f"no customer bought in any training window {windows}")
        return np.vstack(parts), np.concatenate(labels)

    def candidates(self, events, reference, users, shape) -> CandidateSet:
        return candidate_features(
            events,
            reference=reference,
            users=users,
            shape=shape,
            new_only=self.new_only,
            n_candidates=self.n_candidates,
        )

    def fit(self, events: pd.DataFrame, windows, shape: tuple[int, int]):
        """Train on ``windows``, a list of (start, end) dates before serving time."""
        if not windows:
            raise ValueError("windows is empty: give at least one (start, end)")
        features, labels = self.training_set(events, windows, shape)
        if not labels.any():
            raise ValueError("no candidate was bought in the training windows")
        self.model_ = self._classifier().fit(features, labels)
        self.shape_ = tuple(shape)
        return self

    def score_candidates(self, candidates: CandidateSet) -> np.ndarray:
        """P(bought) per candidate pair, float (m,)."""
        if not hasattr(self, "model_"):
            raise ValueError("CandidateRanker is not fitted; call fit first")
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
        if not hasattr(self, "model_"):
            raise ValueError("CandidateRanker is not fitted; call fit first")
        candidates = self.candidates(events, reference, users, self.shape_)
        return candidates.top(self.score_candidates(candidates), int(n), self.shape_[1])


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
