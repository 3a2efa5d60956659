"""Repeat-purchase models: buy-again, EASE, and their blend (numpy/scipy only).

In the Online Retail shop customers re-buy a lot; a model that ignores repeat
purchases loses to the trivial buy-again list. ``RepeatBlend`` adds item-item CF and
EASE scores to a recency-weighted repeat score, with weights fit on a validation
window before the cut-off (model fusion).
"""

from __future__ import annotations

import itertools

import numpy as np
import scipy.sparse as sp

from . import memory
from .base import Recommender, as_csr, top_n
from .knn import ItemKNN
from .metrics import ranking_metrics


def decayed_counts(
    users, items, age_days, *, shape: tuple[int, int], half_life_days: float | None
) -> sp.csr_matrix:
    """Sum over purchase events of 0.5 ** (age / half_life), per user-item.

    Parameters
    ----------
    users, items : int arrays (m,), one entry per purchase event (e.g. invoice).
    age_days : float array (m,), days between the event and the reference date.
    shape : (n_users, n_items)
    half_life_days : float or None (None: plain counts).

    Returns
    -------
    csr (n_users, n_items) float32.

    Raises
    ------
    ValueError
        Negative ages or a non-positive half-life.
    """
    age = np.asarray(age_days, dtype=np.float64)
    if age.size and age.min() < 0:
        raise ValueError("age_days must be >= 0 (events after the reference date?)")
    if half_life_days is None:
        weight = np.ones_like(age)
    else:
        if float(half_life_days) <= 0:
            raise ValueError(f"half_life_days must be > 0, got {half_life_days}")
        weight = 0.5 ** (age / float(half_life_days))
    return sp.csr_matrix(
        (weight.astype(np.float32), (np.asarray(users), np.asarray(items))),
        shape=shape,
    )


def repeat_rate(user_items: sp.csr_matrix, *, prior: tuple = (1.0, 5.0)) -> np.ndarray:
    """Smoothed share of each item's buyers who bought it again (value >= 2).

    rate_i = (rebuyers_i + a) / (buyers_i + b) with ``prior = (a, b)``; shape
    (n_items,). Items people re-buy (consumables) get a high rate.
    """
    matrix = as_csr(user_items)
    n = matrix.shape[1]
    buyers = np.bincount(matrix.indices[matrix.data > 0], minlength=n)
    rebuyers = np.bincount(matrix.indices[matrix.data >= 2], minlength=n)
    return (rebuyers + float(prior[0])) / (buyers + float(prior[1]))


class BuyAgain(Recommender):
    """Each customer's own products, most frequent first.

    score(u, i) = x_ui * rate_i ** repeat_power + epsilon * popularity(i), where
    ``x`` is the matrix given to ``recommend`` (purchase counts, or
    :func:`decayed_counts` for recency weighting) and ``rate_i`` the item's smoothed
    repeat rate (:func:`repeat_rate`; ``repeat_power=0`` gives the plain
    frequency list). Products never bought only get the popularity tie-break, so
    with ``exclude_seen=True`` it is a popularity list.

    Parameters
    ----------
    epsilon : float, weight of the popularity tie-break.
    repeat_power : float, >= 0.

    References
    ----------
    Bhagat et al., "Buy it again: modeling repeat purchase recommendations",
    KDD 2018 (the repeat-purchase baseline).
    """

    name = "buy_again"

    def __init__(self, *, epsilon: float = 1e-6, repeat_power: float = 1.0):
        self.epsilon = epsilon
        self.repeat_power = repeat_power

    def fit(self, user_items) -> BuyAgain:
        """Learn item popularity (distinct users) and repeat rates from counts."""
        if float(self.repeat_power) < 0:
            raise ValueError(f"repeat_power must be >= 0, got {self.repeat_power}")
        matrix = as_csr(user_items)
        users_per_item = np.bincount(matrix.indices, minlength=matrix.shape[1])
        self.popularity_ = users_per_item / max(1, users_per_item.max())
        self.item_weight_ = repeat_rate(matrix) ** float(self.repeat_power)
        self.n_items_ = matrix.shape[1]
        return self

    def score(self, user_ids, user_items) -> np.ndarray:
        rows = np.asarray(user_items[np.asarray(user_ids)].todense(), np.float64)
        return rows * self.item_weight_ + float(self.epsilon) * self.popularity_

    def _state(self):
        return {
            **super()._state(),
            "popularity_": self.popularity_,
            "item_weight_": self.item_weight_,
        }

    def _restore(self, arrays) -> None:
        super()._restore(arrays)
        self.popularity_ = arrays["popularity_"]
        self.item_weight_ = arrays["item_weight_"]


def _spd_inverse(gram: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive definite matrix by Cholesky (LAPACK
    potrf/potri: half the flops of a general inverse); a general inverse when the
    factorisation fails (not positive definite in floating point)."""
    from scipy.linalg import lapack

    factor, info = lapack.dpotrf(gram, lower=False)
    if info == 0:
        upper, info = lapack.dpotri(factor, lower=False)
        if info == 0:
            return np.triu(upper) + np.triu(upper, 1).T
    return np.linalg.inv(gram)


class EASE(Recommender):
    """Embarrassingly Shallow Autoencoder: a closed-form item-item model.

    B = argmin ||X - XB||² + λ||B||²  s.t. diag(B) = 0, solved in closed form:
    P = (XᵀX + λI)⁻¹, B_ij = -P_ij / P_jj (B_jj = 0); score = x_u B.
    Memory and time grow as n_items² and n_items³.

    With ``dropout`` p > 0 it is EDLAE, the emphasized denoising linear
    autoencoder (full rank, zero diagonal): training as if each input item were
    dropped with probability p and only the dropped ones reconstructed is, in
    expectation, an extra L2 penalty per item proportional to its popularity,

        G = XᵀX,  Λ = λI + p / (1 - p) · diagMat(diag(G)),
        P = (G + Λ)⁻¹,  B = I - P · diagMat(1 / diag(P))   (so diag(B) = 0),

    i.e. B_ij = -P_ij / P_jj as above with the heavier diagonal; p = 0 is plain
    EASE (the same weights).

    Memory guard (:mod:`.memory`): the fit needs about 28 n_items² bytes; when
    that exceeds ``memory_budget_mb`` the model is fitted on the N most popular
    items (most distinct customers) that fit, and scores 0 for the others
    (``items_``, ``memory_note_`` say so).

    Parameters
    ----------
    regularization : float, λ > 0.
    binary : bool, fit on 0/1 (else on the given weights).
    dropout : float, p in [0, 1), the emphasized-denoising dropout probability.
    memory_budget_mb : float, MiB, optional; default half the memory available
        when ``fit`` starts.

    Attributes
    ----------
    weights_ : float32 (N, N); items_ : int64 (N,) columns it covers, or None
        (every item); memory_note_ : str, "" or why only N items.

    Raises
    ------
    ValueError
        ``regularization`` <= 0 or ``dropout`` outside [0, 1) (from ``fit``).
    MemoryBudgetError
        Not even 100 items fit the budget (from ``fit``).

    References
    ----------
    Steck, "Embarrassingly shallow autoencoders for sparse data", WWW 2019;
    Steck, "Autoencoders that don't overfit towards the identity", NeurIPS 2020
    (EDLAE, the closed form above).
    """

    name = "ease"

    def __init__(
        self,
        *,
        regularization: float = 300.0,
        binary: bool = True,
        dropout: float = 0.0,
        memory_budget_mb: float | None = None,
    ):
        self.regularization = regularization
        self.binary = binary
        self.dropout = dropout
        self.memory_budget_mb = memory_budget_mb

    def fit(self, user_items) -> EASE:
        """Solve for the item-item weights; ``user_items`` (n_users, n_items)."""
        if float(self.regularization) <= 0:
            raise ValueError(f"regularization must be > 0, got {self.regularization}")
        p = float(self.dropout)
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        matrix = as_csr(user_items).astype(np.float64)
        if self.binary:
            matrix.data = (matrix.data != 0).astype(np.float64)
        self.n_items_ = matrix.shape[1]
        keep, self.memory_note_ = memory.dense_item_plan(
            "EASE", matrix.shape[1], memory.budget_bytes(self.memory_budget_mb)
        )
        self.items_ = None
        if keep < matrix.shape[1]:
            self.items_ = memory.popular_items(matrix, keep)
            matrix = matrix[:, self.items_]
        gram = np.asarray((matrix.T @ matrix).todense())
        emphasis = p / (1.0 - p) * np.diag(gram) if p > 0 else 0.0
        gram[np.diag_indices_from(gram)] += float(self.regularization) + emphasis
        inverse = _spd_inverse(gram)
        weights = -inverse / np.diag(inverse)[None, :]
        np.fill_diagonal(weights, 0.0)
        self.weights_ = weights.astype(np.float32)
        return self

    def score(self, user_ids, user_items) -> np.ndarray:
        rows = user_items[np.asarray(user_ids)]
        items = getattr(self, "items_", None)
        if items is not None:
            rows = rows[:, items]
        if self.binary:
            rows = rows.copy()
            rows.data = (rows.data != 0).astype(np.float32)
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


COMPONENTS = ("repeat", "item_knn", "ease", "popularity", "next_period")


def _row_max_scale(scores: np.ndarray) -> np.ndarray:
    top = np.abs(scores).max(axis=1, keepdims=True)
    return scores / np.where(top > 0, top, 1.0)


class RepeatBlend(Recommender):
    """Weighted sum of per-user max-normalised component scores (model fusion).

    score(u, i) = w_repeat a_ui/max_j a_uj + w_knn s_knn/max + w_ease s_ease/max
                  + w_pop pop_i/max,   a_ui = x_ui * rate_i (the buy-again score),

    with ``x`` the history given to ``recommend``, ``rate_i`` the item's repeat rate
    (:func:`repeat_rate`), item-item
    cosine CF (:class:`ItemKNN`) and :class:`EASE` scored from the same history.
    ``pop_i`` is the number of distinct buyers, or, when ``fit`` is given
    ``recent`` (e.g. :func:`decayed_counts` with a half-life of 14 days), the
    recency-weighted purchase count Σ_u Σ_events 0.5 ** (age / half_life): a
    "trending" prior. On Online Retail (with the weight grid 0/.1/.3/.5/1 tuned
    on the 2011-06-01 window)
    it moved test NDCG@10 "all" from 0.3956 to 0.3971 but "new" from 0.1223 to
    0.1195 (benchmarks/recommender.py).
    Weights come from :meth:`tune_weights` on a validation window (grid search on
    NDCG@k), or are given.

    An optional fifth member, ``next_period`` (a fitted
    :class:`recommender.algorithms.temporal.NextPeriodRidge` given to ``fit``),
    adds w_next s_next/max, scored from the same history; with it the weights are
    tuned by coordinate ascent (see :meth:`tune_weights`).

    Parameters
    ----------
    weights : dict component -> float, optional (default repeat 1, others 0.2).
    knn_k : int; ease_regularization : float
    ease_dropout : float, p in [0, 1) of the EASE member (> 0: EDLAE, see
        :class:`EASE`).
    memory_budget_mb : float, MiB, optional, the budget of each of the EASE and
        k-NN members (:mod:`.memory`; default half the available memory).

    References
    ----------
    Bell, Koren & Volinsky, "The BellKor solution to the Netflix Prize", 2007
    (blending); Steck 2019 (EASE); Sarwar et al. 2001 (item-item CF).
    """

    name = "repeat_blend"

    def __init__(
        self,
        *,
        weights: dict | None = None,
        knn_k: int = 100,
        ease_regularization: float = 300.0,
        ease_dropout: float = 0.0,
        memory_budget_mb: float | None = None,
    ):
        self.weights = weights
        self.knn_k = knn_k
        self.ease_regularization = ease_regularization
        self.ease_dropout = ease_dropout
        self.memory_budget_mb = memory_budget_mb

    def fit(
        self, user_items, *, recent=None, next_period=None, ease=None, knn=None
    ) -> RepeatBlend:
        """Fit the CF components on ``user_items`` (n_users, n_items).

        Parameters
        ----------
        user_items : csr (n_users, n_items) purchase counts.
        recent : csr of the same shape, optional, recency-weighted counts
            (:func:`decayed_counts`); its column sums become the popularity
            component (trending items). Default: distinct buyers per item.
        next_period : fitted ``NextPeriodRidge``, optional, the fifth member
            (its score is 0 when not given).
        ease, knn : fitted :class:`EASE` / :class:`ItemKNN` of ``user_items``
            with this blend's settings, optional (reused instead of refitted).

        Raises
        ------
        ValueError
            Unknown blend components, ``recent`` of another shape, or a
            ``next_period`` model fitted on another number of items.
        """
        matrix = as_csr(user_items)
        budget = self.memory_budget_mb
        self.knn_ = knn or ItemKNN(
            k=int(self.knn_k), binary=True, memory_budget_mb=budget
        ).fit(matrix)
        self.ease_ = ease or EASE(
            regularization=float(self.ease_regularization),
            dropout=float(self.ease_dropout),
            memory_budget_mb=budget,
        ).fit(matrix)
        if recent is None:
            pop = np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(float)
        else:
            recent = as_csr(recent, name="recent")
            if recent.shape != matrix.shape:
                raise ValueError(
                    f"recent has shape {recent.shape}, user_items {matrix.shape}"
                )
            pop = np.asarray(recent.sum(axis=0), dtype=np.float64).ravel()
        self.popularity_ = pop / max(1.0, pop.max())
        self.item_weight_ = repeat_rate(matrix)
        if next_period is not None and next_period.n_items_ != matrix.shape[1]:
            raise ValueError(
                f"next_period has {next_period.n_items_} items, "
                f"user_items {matrix.shape[1]}"
            )
        self.next_ = next_period
        given = dict(self.weights or {"repeat": 1.0, "item_knn": 0.2, "ease": 0.2})
        unknown = set(given) - set(COMPONENTS)
        if unknown:
            raise ValueError(f"unknown blend components {sorted(unknown)}")
        self.weights_ = np.array([float(given.get(c, 0.0)) for c in COMPONENTS])
        self.n_items_ = matrix.shape[1]
        return self

    def component_scores(self, user_ids, user_items) -> np.ndarray:
        """Normalised scores per component, shape (5, b, n_items)."""
        users = np.asarray(user_ids, dtype=np.int64)
        rows = np.asarray(user_items[users].todense(), np.float64)
        following = (
            np.zeros_like(rows)
            if self.next_ is None
            else _row_max_scale(self.next_.score(users, user_items))
        )
        return np.stack(
            [
                _row_max_scale(rows * self.item_weight_),
                _row_max_scale(self.knn_.score(users, user_items)),
                _row_max_scale(self.ease_.score(users, user_items)),
                np.broadcast_to(self.popularity_, rows.shape),
                following,
            ]
        )

    def score(self, user_ids, user_items) -> np.ndarray:
        parts = self.component_scores(user_ids, user_items)
        return np.tensordot(self.weights_, parts, axes=1)

    def tune_weights(
        self,
        user_ids,
        user_items,
        relevant: sp.csr_matrix,
        *,
        k: int = 10,
        exclude_seen: bool = False,
        grid=(0.0, 0.05, 0.1, 0.2, 0.4, 0.7, 1.0),
        passes: int = 2,
        members: tuple[str, ...] | None = None,
    ) -> dict:
        """Choose the weights maximising NDCG@k on a validation window.

        The anchor member keeps weight 1 (``repeat``; ``ease`` when
        ``exclude_seen``, where the repeat score is 0). Without a ``next_period``
        member every combination of the other weights in ``grid`` is tried (the
        repeat weight is 0 and the rest free when ``exclude_seen``); with it,
        ``passes`` rounds of coordinate ascent over ``grid`` from the anchor alone
        (each weight in turn set to its best grid value, the others fixed).

        Parameters
        ----------
        user_ids : int (b,); user_items : csr history before the window;
        relevant : csr (b, >= n_items) held-out items in the window;
        exclude_seen : the variant being tuned ("new" = True).
        grid : weights tried per member; passes : int, coordinate-ascent rounds.
        members : names, optional, the only members the ascent may weight
            (with ``next_period``; default all).

        Returns
        -------
        dict component -> weight (also stored in ``weights_``), plus "ndcg".
        """
        self._check_fitted()
        parts = self.component_scores(user_ids, user_items)
        seen = user_items[np.asarray(user_ids)]

        def ndcg_of(weights) -> float:
            scores = np.tensordot(weights, parts, axes=1)
            if exclude_seen:
                r, c = seen.nonzero()
                scores[r, c] = -np.inf
            ids, _ = top_n(scores, k)
            return ranking_metrics(ids, relevant, k=k)[f"ndcg@{k}"]

        if self.next_ is None:
            best = (-1.0, None)
            for w in itertools.product(grid, repeat=3):
                weights = np.array([0.0 if exclude_seen else 1.0, *w, 0.0])
                if weights.any():
                    ndcg = ndcg_of(weights)
                    if ndcg > best[0]:
                        best = (ndcg, weights)
        else:
            allowed = [COMPONENTS.index(m) for m in (members or COMPONENTS)]
            anchor = 2 if exclude_seen else 0
            best = self._ascend(ndcg_of, anchor, grid, passes, allowed)
        self.weights_ = best[1]
        return {**dict(zip(COMPONENTS, best[1].tolist(), strict=True)), "ndcg": best[0]}

    @staticmethod
    def _ascend(
        ndcg_of,
        anchor: int,
        grid,
        passes: int,
        allowed,
        n_members=None,
        free_first: bool = False,
    ):
        """Coordinate ascent of ``ndcg_of(weights)`` over ``grid`` per member.

        ``n_members`` (default ``len(COMPONENTS)``) lets a caller append members
        of its own after the five components; returns (ndcg, weights). The
        member 0 (repeat) is tuned only with ``free_first`` (else it is the
        anchor, or 0 when already-bought products are excluded).
        """
        n_members = len(COMPONENTS) if n_members is None else int(n_members)
        weights = np.zeros(n_members)
        weights[anchor] = 1.0
        best = (ndcg_of(weights), weights)
        low = 0 if free_first else 1
        free = [c for c in range(low, n_members) if c != anchor and c in allowed]
        for _ in range(int(passes)):
            improved = False
            for c in free:
                for g in grid:
                    trial = best[1].copy()
                    trial[c] = float(g)
                    if trial[c] == best[1][c]:
                        continue
                    ndcg = ndcg_of(trial)
                    if ndcg > best[0] + 1e-9:
                        best, improved = (ndcg, trial), True
            if not improved:
                break
        return best

    def _state(self):
        return {
            **super()._state(),
            "weights_": self.weights_,
            "popularity_": self.popularity_,
            "item_weight_": self.item_weight_,
            **{f"knn.{k}": v for k, v in self.knn_._state().items()},
            "ease.weights_": self.ease_.weights_,
            **(
                {}
                if getattr(self.ease_, "items_", None) is None
                else {"ease.items_": self.ease_.items_}
            ),
            **({} if self.next_ is None else {"next.weights_": self.next_.weights_}),
            **(
                {}
                if getattr(self.next_, "items_", None) is None
                else {"next.items_": self.next_.items_}
            ),
        }

    def _restore(self, arrays) -> None:
        super()._restore(arrays)
        self.weights_ = arrays["weights_"]
        self.popularity_ = arrays["popularity_"]
        self.item_weight_ = arrays["item_weight_"]
        self.knn_ = ItemKNN(k=int(self.knn_k), binary=True)
        self.knn_._restore(
            {k[4:]: v for k, v in arrays.items() if k.startswith("knn.")}
        )
        self.ease_ = EASE(
            regularization=float(self.ease_regularization),
            dropout=float(self.ease_dropout),
        )
        self.ease_.weights_ = arrays["ease.weights_"]
        self.ease_.items_ = (
            np.asarray(arrays["ease.items_"]) if "ease.items_" in arrays else None
        )
        self.ease_.n_items_ = self.n_items_
        self.next_ = None
        if "next.weights_" in arrays:
            from .temporal import NextPeriodRidge

            self.next_ = NextPeriodRidge()
            self.next_.weights_ = arrays["next.weights_"]
            self.next_.items_ = (
                np.asarray(arrays["next.items_"]) if "next.items_" in arrays else None
            )
            self.next_.n_items_ = self.n_items_
