"""Matrix factorisation with biases trained by stochastic gradient descent (torch).

No Django here; see :mod:`recommender.algorithms.predictors` for the contract.
"""

from __future__ import annotations

import numpy as np

from .knn_ratings import RatingMatrix
from .mf_als import torch_threads
from .predictors import BaselineFallback, RatingPredictor


class SGDMatrixFactorization(BaselineFallback, RatingPredictor):
    """Biased matrix factorisation ("SVD" of the Netflix prize) fit by SGD.

    Minimises  sum_(u,i) (r_ui - mu - b_u - b_i - p_u . q_i)^2
               + reg * (b_u^2 + b_i^2 + |p_u|^2 + |q_i|^2)
    with the updates of Funk/Koren (err = r - r̂):
    b_u += lr (err - reg b_u), b_i += lr (err - reg b_i),
    p_u += lr (err q_i - reg p_u), q_i += lr (err p_u - reg q_i).

    Same parameters, defaults and initialisation (N(init_mean, init_std)) as
    ``surprise.SVD``. Where it differs, on purpose: ratings are visited in a new
    random order each epoch and updated in small mini-batches (``batch_size``; the
    updates of one batch are applied together, vectorised in torch) instead of
    one by one in user order; ``batch_size=1`` is plain SGD. Accuracy at equal
    settings is checked against Surprise by the tests and the benchmark.

    Parameters
    ----------
    n_factors : int; n_epochs : int; lr_all : float; reg_all : float
    init_mean, init_std : float, initial factors ~ N(init_mean, init_std).
    biased : bool, learn mu, b_u, b_i (else r̂ = p_u . q_i).
    batch_size : int, ratings per vectorised update.
    random_state : int, optional, seeds the initialisation and the visiting order.

    Attributes
    ----------
    user_factors_ (n_users, n_factors), item_factors_ (n_items, n_factors),
    user_bias_ (n_users,), item_bias_ (n_items,), all float64.

    References
    ----------
    Koren, Bell & Volinsky, "Matrix factorization techniques for recommender
    systems", IEEE Computer 42(8), 2009; S. Funk, "Netflix Update: Try This at
    Home", 2006; Hug, "Surprise", JOSS 2020 (``SVD``).
    """

    name = "mf_sgd"
    baseline = "baseline"

    def __init__(
        self,
        *,
        n_factors: int = 100,
        n_epochs: int = 20,
        lr_all: float = 0.005,
        reg_all: float = 0.02,
        init_mean: float = 0.0,
        init_std: float = 0.1,
        biased: bool = True,
        batch_size: int = 64,
        random_state: int | None = None,
    ):
        self.n_factors = n_factors
        self.n_epochs = n_epochs
        self.lr_all = lr_all
        self.reg_all = reg_all
        self.init_mean = init_mean
        self.init_std = init_std
        self.biased = biased
        self.batch_size = batch_size
        self.random_state = random_state

    def _validate(self) -> None:
        for name in ("n_factors", "batch_size"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if int(self.n_epochs) < 0:
            raise ValueError(f"n_epochs must be >= 0, got {self.n_epochs}")
        for name in ("lr_all", "reg_all", "init_std"):
            if float(getattr(self, name)) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")

    def _fit(self, data: RatingMatrix) -> None:
        import torch

        self._validate()
        n_users, n_items = data.shape
        coo = data.ratings.tocoo()
        rng = np.random.default_rng(self.random_state)
        f = int(self.n_factors)
        p = torch.from_numpy(rng.normal(self.init_mean, self.init_std, (n_users, f)))
        q = torch.from_numpy(rng.normal(self.init_mean, self.init_std, (n_items, f)))
        bu = torch.zeros(n_users, dtype=torch.float64)
        bi = torch.zeros(n_items, dtype=torch.float64)
        mu = float(data.global_mean) if self.biased else 0.0
        users = torch.from_numpy(coo.row.astype(np.int64))
        items = torch.from_numpy(coo.col.astype(np.int64))
        ratings = torch.from_numpy(coo.data.astype(np.float64))
        lr, reg, bs = float(self.lr_all), float(self.reg_all), int(self.batch_size)
        with torch_threads(1), torch.no_grad():
            for _ in range(int(self.n_epochs)):
                order = torch.from_numpy(rng.permutation(len(ratings)))
                for start in range(0, len(order), bs):
                    idx = order[start : start + bs]
                    u, i, r = users[idx], items[idx], ratings[idx]
                    pu, qi = p[u], q[i]
                    err = r - (mu + bu[u] + bi[i] + (pu * qi).sum(1))
                    if self.biased:
                        bu.index_add_(0, u, lr * (err - reg * bu[u]))
                        bi.index_add_(0, i, lr * (err - reg * bi[i]))
                    e = err[:, None]
                    p.index_add_(0, u, lr * (e * qi - reg * pu))
                    q.index_add_(0, i, lr * (e * pu - reg * qi))
        self.user_factors_ = p.numpy()
        self.item_factors_ = q.numpy()
        self.user_bias_ = bu.numpy()
        self.item_bias_ = bi.numpy()
        self.mu_ = mu

    def _estimate(self, users, items):
        est = self.mu_ + self.user_bias_[users] + self.item_bias_[items]
        est = est + np.einsum(
            "ij,ij->i", self.user_factors_[users], self.item_factors_[items]
        )
        return est, np.zeros(len(users), bool), [""] * len(users)

    def _fallback(self, users, items, known_u, known_i) -> np.ndarray:
        if not self.biased:
            return np.full(len(users), float(self.global_mean_))
        return super()._fallback(users, items, known_u, known_i)

    def _state(self):
        return {
            **super()._state(),
            "user_factors_": self.user_factors_,
            "item_factors_": self.item_factors_,
            "user_bias_": self.user_bias_,
            "item_bias_": self.item_bias_,
            "mu_": np.asarray(self.mu_),
        }

    def _restore(self, arrays) -> None:
        super()._restore(arrays)
        for name in ("user_factors_", "item_factors_", "user_bias_", "item_bias_"):
            setattr(self, name, arrays[name])
        self.mu_ = float(arrays["mu_"])
