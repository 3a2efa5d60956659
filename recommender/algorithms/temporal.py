"""Next-period models: learn from history what is bought in the following weeks.

EASE and item-item CF learn which items go together in one customer's history;
:class:`NextPeriodRidge` learns which history predicts the purchases of the *next*
window (the most recent ``window_days`` before the reference date), the target the
shop is actually evaluated on. :func:`next_period_matrices` builds its inputs from
purchase events. numpy/scipy only, no Django.

Measured on the issue-3 Online Retail split (benchmarks/recommender.py, weights,
λ and input tuned on the 2011-06-01 validation window): as a RepeatBlend member,
test NDCG@10 "all" 0.3971 -> 0.3994 and "new" 0.1235 (EASE alone) -> 0.1304;
EASE + next-period alone 0.1346. Stacked or shorter windows
(:func:`stacked_next_period_matrices`: six 21-day windows, half-life 42 days, for
"all"; one 21-day window for "new") won on validation (blend NDCG@10 0.4266 ->
0.4335, 0.1626 -> 0.1784) but lost on test (0.3957, 0.1215): the windows just
before 2011-09-01 are the August lull, not the Sep-Dec season. A second input block
("bought in the last 30 days" beside the decayed counts) did not move validation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse as sp

from . import memory
from .base import Recommender, as_csr
from .repeat import decayed_counts


def next_period_matrices(
    users,
    items,
    dates,
    *,
    reference,
    shape: tuple[int, int],
    window_days: float = 90.0,
    half_life_days: float | None = 180.0,
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """The (history, future) pair :class:`NextPeriodRidge` is fit on.

    The window is ``[reference - window_days, reference)``; ``history`` holds the
    events before it, decayed to the window start (``decayed_counts`` with
    ``half_life_days``; None = plain counts), ``future`` a 1 for every user-item
    bought inside it. Events on or after ``reference`` are ignored.

    Parameters
    ----------
    users, items : int arrays (m,), one entry per purchase event (e.g. invoice line).
    dates : datetime64 array-like (m,).
    reference : timestamp, the end of the window (e.g. the training cut-off).
    shape : (n_users, n_items)
    window_days : float, days, > 0.
    half_life_days : float, days, or None.

    Returns
    -------
    history : csr (n_users, n_items) float32; future : csr (n_users, n_items) 0/1.

    Raises
    ------
    ValueError
        ``window_days`` <= 0, arrays of different lengths, or no event before or
        inside the window.
    """
    if float(window_days) <= 0:
        raise ValueError(f"window_days must be > 0, got {window_days}")
    users = np.asarray(users, dtype=np.int64)
    items = np.asarray(items, dtype=np.int64)
    dates = pd.to_datetime(pd.Series(np.asarray(dates)))
    if not len(users) == len(items) == len(dates):
        raise ValueError("users, items and dates must have the same length")
    end = pd.Timestamp(reference)
    start = end - pd.Timedelta(days=float(window_days))
    before = (dates < start).to_numpy()
    inside = ((dates >= start) & (dates < end)).to_numpy()
    if not before.any() or not inside.any():
        raise ValueError(
            f"no purchase before or inside the window {start:%Y-%m-%d}..{end:%Y-%m-%d}"
        )
    age = (start - dates[before]).dt.total_seconds().to_numpy() / 86400.0
    history = decayed_counts(
        users[before],
        items[before],
        age,
        shape=shape,
        half_life_days=half_life_days,
    )
    future = sp.csr_matrix(
        (np.ones(int(inside.sum()), np.float32), (users[inside], items[inside])),
        shape=shape,
    )
    future.data[:] = 1.0
    return history, future


def stacked_next_period_matrices(
    users,
    items,
    dates,
    *,
    reference,
    shape: tuple[int, int],
    window_days: float = 90.0,
    step_days: float = 30.0,
    n_windows: int = 6,
    half_life_days: float | None = 180.0,
    pair_half_life_days: float | None = None,
) -> tuple[sp.csr_matrix, sp.csr_matrix, np.ndarray]:
    """Several :func:`next_period_matrices` pairs stacked row-wise, with weights.

    Pair ``k`` (k = 0 .. ``n_windows`` - 1) is the pair of the window ending at
    ``reference - k * step_days``; pairs with no event before or inside their
    window (the calendar starts too late) are skipped. Each row of pair ``k`` gets
    the weight 0.5 ** (k * step_days / pair_half_life_days) (1 when None), so the
    ridge can favour recent pairs. Summing XᵀX and XᵀY over the pairs gives more
    signal than one window (``NextPeriodRidge.fit`` with ``sample_weight``).

    Parameters
    ----------
    users, items, dates, reference, shape, window_days, half_life_days :
        as in :func:`next_period_matrices`.
    step_days : float, days between window ends, > 0.
    n_windows : int, >= 1, pairs tried.
    pair_half_life_days : float, days, or None.

    Returns
    -------
    history : csr (p * n_users, n_items) float32; future : csr (p * n_users,
    n_items) 0/1; weight : float64 (p * n_users,); p = the pairs kept.

    Raises
    ------
    ValueError
        ``step_days`` <= 0, ``n_windows`` < 1, ``pair_half_life_days`` <= 0, or
        no window with events before and inside it.
    """
    if float(step_days) <= 0:
        raise ValueError(f"step_days must be > 0, got {step_days}")
    if int(n_windows) < 1:
        raise ValueError(f"n_windows must be >= 1, got {n_windows}")
    if pair_half_life_days is not None and float(pair_half_life_days) <= 0:
        raise ValueError(f"pair_half_life_days must be > 0, got {pair_half_life_days}")
    histories, futures, weights = [], [], []
    for k in range(int(n_windows)):
        lag = k * float(step_days)
        try:
            history, future = next_period_matrices(
                users,
                items,
                dates,
                reference=pd.Timestamp(reference) - pd.Timedelta(days=lag),
                shape=shape,
                window_days=window_days,
                half_life_days=half_life_days,
            )
        except ValueError as error:
            if "no purchase" in str(error):
                continue
            raise
        histories.append(history)
        futures.append(future)
        decay = (
            1.0 if pair_half_life_days is None else 0.5 ** (lag / pair_half_life_days)
        )
        weights.append(np.full(shape[0], decay))
    if not histories:
        raise ValueError(
            f"no window of {window_days} days with purchases before and inside it"
        )
    return (
        sp.vstack(histories, format="csr"),
        sp.vstack(futures, format="csr"),
        np.concatenate(weights),
    )


class NextPeriodRidge(Recommender):
    """Ridge regression from a customer's history to the next window's purchases.

    B = argmin_B ||Y - X B||² + λ ||B||²  =  (XᵀX + λI)⁻¹ XᵀY,   score_u = x_u B,

    over the customers with purchases both before and inside the window: row
    ``x_u`` of ``X`` is the history before the window (e.g. recency-decayed counts,
    :func:`next_period_matrices`), row ``y_u`` of ``Y`` the items bought inside it
    (with ``new_only``, minus the items already in ``x_u``: it then learns what
    customers buy *next that they never bought*). At serving time the history up
    to the reference date, weighted the same way, is the input. EASE's closed form
    with the target moved one window ahead and no zero-diagonal constraint; time and
    memory grow as n_items³ and n_items². ``fit`` without ``future`` regresses the
    history on itself (a ridge autoencoder).

    Memory guard (:mod:`.memory`): the fit needs about 44 n_items² bytes; over
    ``memory_budget_mb`` it regresses the N most popular items (most distinct
    customers in the history) on themselves and scores 0 for the others.

    Parameters
    ----------
    regularization : float, λ > 0.
    new_only : bool, drop already-bought items from the target.
    memory_budget_mb : float, MiB, optional; default half the memory available
        when ``fit`` starts.

    Attributes
    ----------
    weights_ : float32 (N, N); items_ : int64 (N,) or None (every item);
    memory_note_ : str, "" or why only N items.

    References
    ----------
    Steck, "Embarrassingly shallow autoencoders for sparse data", WWW 2019 (the
    closed form); Ning & Karypis, "SLIM: sparse linear methods for top-N
    recommender systems", ICDM 2011 (item-item regression).
    """

    name = "next_period_ridge"

    def __init__(
        self,
        *,
        regularization: float = 1000.0,
        new_only: bool = True,
        memory_budget_mb: float | None = None,
    ):
        self.regularization = regularization
        self.new_only = new_only
        self.memory_budget_mb = memory_budget_mb

    def fit(self, user_items, *, future=None, sample_weight=None) -> NextPeriodRidge:
        """Solve for the item-item weights.

        With ``sample_weight`` w: B = (Xᵀ W X + λI)⁻¹ Xᵀ W Y, W = diag(w).

        Parameters
        ----------
        user_items : csr (n_rows, n_items), non-negative history before the window
            (one row per customer, or per customer and window when stacked,
            :func:`stacked_next_period_matrices`).
        future : csr of the same shape, optional, purchases inside the window
            (non-zero = bought). Default: ``user_items`` itself.
        sample_weight : float array (n_rows,), optional, >= 0, weight per row.

        Raises
        ------
        ValueError
            λ <= 0, negative values, ``future`` of another shape, a
            ``sample_weight`` of another length or negative, or no customer with
            both history and future purchases.
        """
        if float(self.regularization) <= 0:
            raise ValueError(f"regularization must be > 0, got {self.regularization}")
        history = as_csr(user_items)
        if history.nnz and history.data.min() < 0:
            raise ValueError("user_items must be non-negative")
        target = history if future is None else as_csr(future, name="future")
        if target.shape != history.shape:
            raise ValueError(
                f"future has shape {target.shape}, user_items {history.shape}"
            )
        target = target.copy()
        target.data = (target.data != 0).astype(np.float32)
        if self.new_only and future is not None:
            target = target - target.multiply(history != 0)
            target.eliminate_zeros()
        rows = np.flatnonzero(
            (np.diff(history.indptr) > 0) & (np.diff(target.indptr) > 0)
        )
        if rows.size == 0:
            raise ValueError("no customer has purchases both before and in the window")
        self.n_items_ = history.shape[1]
        keep, self.memory_note_ = memory.dense_item_plan(
            "the next-period ridge",
            history.shape[1],
            memory.budget_bytes(self.memory_budget_mb),
            memory.RIDGE_CELL_BYTES,
        )
        self.items_ = None
        if keep < history.shape[1]:
            self.items_ = memory.popular_items(history, keep)
            history, target = history[:, self.items_], target[:, self.items_]
        x = history[rows].astype(np.float64)
        weighted = x.T
        if sample_weight is not None:
            w = np.asarray(sample_weight, dtype=np.float64)
            if w.shape != (history.shape[0],) or (w < 0).any():
                raise ValueError(
                    f"sample_weight must be {history.shape[0]} values >= 0, "
                    f"got shape {w.shape}"
                )
            weighted = (x.multiply(w[rows][:, None])).T.tocsr()
        gram = np.asarray((weighted @ x).todense())
        gram[np.diag_indices_from(gram)] += float(self.regularization)
        cross = np.asarray((weighted @ target[rows].astype(np.float64)).todense())
        # gram is symmetric positive definite (λ > 0): a Cholesky solve
        self.weights_ = scipy.linalg.solve(gram, cross, assume_a="pos").astype(
            np.float32
        )
        return self

    def score(self, user_ids, user_items) -> np.ndarray:
        rows = user_items[np.asarray(user_ids, dtype=np.int64)]
        if rows.shape[1] != self.n_items_:
            raise ValueError(
                f"user_items has {rows.shape[1]} items, model has {self.n_items_}"
            )
        items = getattr(self, "items_", None)
        if items is not None:
            rows = rows[:, items]
        scores = np.asarray(rows @ self.weights_, dtype=np.float64)
        return memory.expand_columns(scores, items, self.n_items_)

    def _state(self):
        state = {**super()._state(), "weights_": self.weights_}
        if getattr(self, "items_", None) is not None:
            state["items_"] = self.items_
        return state

    def _restore(self, arrays) -> None:
        super()._restore(arrays)
        self.weights_ = arrays["weights_"]
        self.items_ = np.asarray(arrays["items_"]) if "items_" in arrays else None


def fit_next_period(
    past,
    reference,
    shape,
    regularization,
    window_days,
    new_only,
    memory_budget_mb: float | None = None,
    *,
    cache=None,
):
    """(NextPeriodRidge fitted on the last ``window_days`` before ``reference``,
    "") or (None, why not) when no customer bought both before and inside it.

    ``past`` : events (u, i, date), only those before ``reference`` are read; the
    history is decayed with a 180-day half-life. ``memory_budget_mb``: the
    ridge's memory guard (:mod:`.memory`). ``cache`` : optional
    :class:`~.fitcache.FitCache` bound to the events ``past`` comes from.
    """
    from .fitcache import cached, dense_key

    def fit():
        try:
            history, future, weight = stacked_next_period_matrices(
                past["u"],
                past["i"],
                past["date"],
                reference=reference,
                shape=shape,
                window_days=float(window_days),
                step_days=float(window_days),
                n_windows=1,
                half_life_days=180.0,
            )
            ridge = NextPeriodRidge(
                regularization=float(regularization),
                new_only=bool(new_only),
                memory_budget_mb=memory_budget_mb,
            ).fit(history, future=future, sample_weight=weight)
        except ValueError as exc:
            return None, f"next-period member off: {exc}"
        return ridge, ""

    key = (
        "ridge",
        pd.Timestamp(reference),
        float(regularization),
        float(window_days),
        bool(new_only),
        tuple(shape),
        dense_key(shape[1], memory_budget_mb, memory.RIDGE_CELL_BYTES)
        if cache is not None
        else None,
    )
    return cached(cache, key, fit)
