"""Rating predictors (explicit feedback): a shared base and the baseline model.

``fit_ratings(users, items, ratings)`` then ``predict(users, items) -> Prediction``.
A pair the model cannot score by its own logic gets a documented fallback and is
flagged in ``Prediction.impossible`` with a reason (Surprise's ``was_impossible``):
unknown user or item -> the global mean.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .base import Prediction, Recommender
from .knn_ratings import RatingMatrix, baseline_als, rating_matrix


class RatingPredictor(Recommender):
    """Base of explicit-rating models (persistence shared with ``Recommender``).

    Subclasses implement ``_fit(data: RatingMatrix)`` and
    ``_estimate(users, items) -> (estimate, impossible, reasons)`` for known pairs.
    Estimates are clipped to the training rating range (as Surprise's ``predict``).
    """

    def fit_ratings(
        self, users, items, ratings, *, n_users: int | None = None, n_items=None
    ):
        """Fit on (user, item, rating) triples.

        Parameters
        ----------
        users, items : int arrays (m,), inner ids ``0..n-1``.
        ratings : float array (m,), e.g. stars 0.5..5.
        n_users, n_items : int, optional, sizes (default: max id + 1).

        Raises
        ------
        ValueError
            Unequal lengths, no ratings, negative ids, non-finite or duplicate.
        """
        data = rating_matrix(users, items, ratings, n_users=n_users, n_items=n_items)
        self.n_users_, self.n_items_ = data.shape
        self.global_mean_ = data.global_mean
        self.rating_range_ = np.array([data.low, data.high])
        self.ratings_ = data.ratings
        self.order_ = data.order
        self._fit(data)
        return self

    def _data(self) -> RatingMatrix:
        return RatingMatrix(
            ratings=self.ratings_,
            order=self.order_,
            global_mean=float(self.global_mean_),
            low=float(self.rating_range_[0]),
            high=float(self.rating_range_[1]),
        )

    _fallback_name = "global mean"

    def _fallback(self, users, items, known_u, known_i) -> np.ndarray:
        """Estimate for pairs with an unknown user or item: the global mean."""
        return np.full(len(users), float(self.global_mean_))

    def _fit(self, data: RatingMatrix) -> None:  # pragma: no cover
        raise NotImplementedError

    def _estimate(self, users: np.ndarray, items: np.ndarray):  # pragma: no cover
        raise NotImplementedError

    def predict(self, users, items, *, clip: bool = True) -> Prediction:
        """Estimated ratings for (user, item) pairs.

        Parameters
        ----------
        users, items : int arrays (m,); ids outside the training data are allowed
            (answered with the global mean, flagged impossible).
        clip : bool, clip to the training rating range.

        Returns
        -------
        Prediction with ``estimate`` float64 (m,), ``impossible`` bool (m,),
        ``reason`` list of str (m,) ("" when possible).

        Raises
        ------
        NotFittedError; ValueError when the arrays differ in length.
        """
        self._check_fitted()
        users = np.asarray(users, dtype=np.int64).ravel()
        items = np.asarray(items, dtype=np.int64).ravel()
        if users.shape != items.shape:
            raise ValueError("users and items must be equally long")
        m = len(users)
        est = np.full(m, float(self.global_mean_))
        impossible = np.zeros(m, dtype=bool)
        reasons = [""] * m
        n_u = np.diff(self.ratings_.indptr)
        n_i = np.bincount(self.ratings_.indices, minlength=self.n_items_)
        known_u = (users >= 0) & (users < self.n_users_)
        known_u[known_u] = n_u[users[known_u]] > 0
        known_i = (items >= 0) & (items < self.n_items_)
        known_i[known_i] = n_i[items[known_i]] > 0
        unknown = ~(known_u & known_i)
        if unknown.any():
            est[unknown] = self._fallback(
                users[unknown], items[unknown], known_u[unknown], known_i[unknown]
            )
        for row in np.flatnonzero(unknown):
            impossible[row] = True
            what = (
                "user and item"
                if not (known_u[row] or known_i[row])
                else ("user" if not known_u[row] else "item")
            )
            reasons[row] = f"unknown {what}: {self._fallback_name}"
        known = np.flatnonzero(known_u & known_i)
        if known.size:
            e, imp, why = self._estimate(users[known], items[known])
            est[known] = e
            impossible[known] = imp
            for pos in np.flatnonzero(imp):
                reasons[known[pos]] = why[pos]
        if clip:
            est = np.clip(est, self.rating_range_[0], self.rating_range_[1])
        return Prediction(estimate=est, impossible=impossible, reason=reasons)

    def fit(self, user_items):
        """Fit on the stored entries of a (n_users, n_items) rating matrix."""
        coo = sp.coo_matrix(user_items)
        return self.fit_ratings(
            coo.row, coo.col, coo.data, n_users=coo.shape[0], n_items=coo.shape[1]
        )

    def score(self, user_ids: np.ndarray, user_items: sp.csr_matrix) -> np.ndarray:
        """Predicted rating of every item for each user (dense (b, n_items))."""
        users = np.repeat(np.asarray(user_ids, dtype=np.int64), self.n_items_)
        items = np.tile(np.arange(self.n_items_), len(user_ids))
        pred = self.predict(users, items, clip=False)
        return pred.estimate.reshape(len(user_ids), self.n_items_)

    def _state(self) -> dict[str, np.ndarray]:
        if not hasattr(self, "ratings_"):  # fitted on implicit data only
            return super()._state()
        r, o = self.ratings_, self.order_
        return {
            **super()._state(),
            "n_users_": np.asarray(self.n_users_),
            "global_mean_": np.asarray(self.global_mean_),
            "rating_range_": self.rating_range_,
            "r_data": r.data,
            "r_indices": r.indices,
            "r_indptr": r.indptr,
            "o_data": o.data,
        }

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        super()._restore(arrays)
        if "r_data" not in arrays:
            return
        self.n_users_ = int(arrays["n_users_"])
        self.global_mean_ = float(arrays["global_mean_"])
        self.rating_range_ = arrays["rating_range_"]
        shape = (self.n_users_, self.n_items_)
        parts = (arrays["r_indices"], arrays["r_indptr"])
        self.ratings_ = sp.csr_matrix((arrays["r_data"], *parts), shape=shape)
        self.order_ = sp.csr_matrix((arrays["o_data"], *parts), shape=shape)


class BaselineFallback:
    """Mixin: unknown user or item -> mu + the biases that are known (as Surprise)."""

    def _uses_baseline(self) -> bool:
        return (
            getattr(self, "baseline", "baseline") == "baseline"
            or getattr(self, "fallback", "mean") == "baseline"
        )

    @property
    def _fallback_name(self) -> str:
        return "partial baseline" if self._uses_baseline() else "global mean"

    def _fallback(self, users, items, known_u, known_i) -> np.ndarray:
        est = np.full(len(users), float(self.global_mean_))
        if self._uses_baseline():
            est[known_u] += self.user_bias_[users[known_u]]
            est[known_i] += self.item_bias_[items[known_i]]
        return est


class BiasedFactorization(BaselineFallback, RatingPredictor):
    """Base of the biased matrix-factorisation predictors (SGD and explicit ALS).

    Prediction ``r̂_ui = mu + b_u + b_i + p_u^T q_i`` (Koren, Bell & Volinsky,
    "Matrix factorization techniques for recommender systems", IEEE Computer 42(8),
    2009, eq. 4). Subclasses fit ``mu_`` (float), ``user_bias_`` (n_users,),
    ``item_bias_`` (n_items,), ``user_factors_`` (n_users, f) and
    ``item_factors_`` (n_items, f); this class predicts, saves and loads them.
    """

    _FACTOR_ARRAYS = ("user_factors_", "item_factors_", "user_bias_", "item_bias_")

    def _estimate(self, users, items):
        est = self.mu_ + self.user_bias_[users] + self.item_bias_[items]
        est = est + np.einsum(
            "ij,ij->i", self.user_factors_[users], self.item_factors_[items]
        )
        return est, np.zeros(len(users), bool), [""] * len(users)

    def _state(self):
        state = {name: getattr(self, name) for name in self._FACTOR_ARRAYS}
        return {**super()._state(), **state, "mu_": np.asarray(self.mu_)}

    def _restore(self, arrays) -> None:
        super()._restore(arrays)
        for name in self._FACTOR_ARRAYS:
            setattr(self, name, arrays[name])
        self.mu_ = float(arrays["mu_"])


class BaselineOnly(BaselineFallback, RatingPredictor):
    """Baseline predictor r̂_ui = mu + b_u + b_i, biases by ALS.

    Equal to ``surprise.BaselineOnly(bsl_options={"method": "als", ...})`` at equal
    settings.

    Parameters
    ----------
    n_epochs : int; reg_u, reg_i : float, ridge penalties of b_u and b_i.

    References
    ----------
    Koren, "Factor in the neighbors", ACM TKDD 4(1), 2010, section 2.1.
    """

    name = "baseline"

    def __init__(self, *, n_epochs: int = 10, reg_u: float = 15.0, reg_i: float = 10.0):
        self.n_epochs = n_epochs
        self.reg_u = reg_u
        self.reg_i = reg_i

    def _fit(self, data: RatingMatrix) -> None:
        self.user_bias_, self.item_bias_ = baseline_als(
            data, n_epochs=self.n_epochs, reg_u=self.reg_u, reg_i=self.reg_i
        )

    def _estimate(self, users, items):
        est = self.global_mean_ + self.user_bias_[users] + self.item_bias_[items]
        return est, np.zeros(len(users), bool), [""] * len(users)

    def _state(self):
        return {**super()._state(), "ub": self.user_bias_, "ib": self.item_bias_}

    def _restore(self, arrays) -> None:
        super()._restore(arrays)
        self.user_bias_, self.item_bias_ = arrays["ub"], arrays["ib"]
