"""Linear blend of rating predictors, weights fit on a validation split (fusion).

No Django here; see :mod:`recommender.algorithms.predictors` for the contract.
"""

from __future__ import annotations

import numpy as np

from recommender.algorithms.knn import ItemKNN, UserKNN
from recommender.algorithms.knn_ratings import RatingMatrix
from recommender.algorithms.mf_als import ExplicitALS
from recommender.algorithms.mf_sgd import SGDMatrixFactorization
from recommender.algorithms.predictors import BaselineOnly, RatingPredictor

# Settings of the tuned members were chosen with ``tuning.tune_ratings`` on a 10 %
# validation split of the *training* ratings of MovieLens fold 1 (never a test fold).
COMPONENTS = {
    "baseline": BaselineOnly,
    "item_knn_baseline": lambda: ItemKNN(
        k=40,
        similarity="pearson_baseline",
        baseline="baseline",
        shrinkage=100,
        min_support=2,
        n_store=1000,
        damping=0.25,  # validation RMSE 0.8420 (0: 0.8484)
    ),
    "item_knn_adjusted_cosine": lambda: ItemKNN(
        k=40, similarity="adjusted_cosine", shrinkage=100, n_store=300
    ),
    "user_knn_baseline": lambda: UserKNN(
        k=40,
        similarity="pearson_baseline",
        baseline="baseline",
        shrinkage=100,
        min_support=2,
        damping=0.25,  # validation RMSE 0.8473 (0: 0.8756)
    ),
    "mf_sgd": lambda: SGDMatrixFactorization(random_state=0),  # surprise's defaults
    # tuned: validation RMSE 0.8467 (surprise's defaults: 0.8688)
    "mf_sgd_tuned": lambda: SGDMatrixFactorization(
        n_factors=100, n_epochs=60, lr_all=0.01, reg_all=0.1, random_state=0
    ),
    "explicit_als": lambda: ExplicitALS(random_state=0),
    # tuned: validation RMSE 0.8496 (20 factors, 0.1: 0.8596)
    "explicit_als_tuned": lambda: ExplicitALS(
        n_factors=50, regularization=0.13, random_state=0
    ),
}


class RatingBlend(RatingPredictor):
    """r̂_ui = w_0 + Σ_c w_c r̂^c_ui, a least-squares blend of rating predictors.

    ``fit_ratings`` holds out a random ``valid_fraction`` of the ratings (seeded),
    fits every component on the rest, fits the weights by ridge-regularised least
    squares on the held-out predictions, then refits every component on all
    ratings. A pair with an unknown user or item gets the same blend of each
    component's own fallback (e.g. partial baselines), flagged impossible.

    Parameters
    ----------
    components : tuple of names from ``COMPONENTS``.
    valid_fraction : float in (0, 1); ridge : float, penalty on the weights.
    random_state : int, optional, seeds the hold-out split.

    References
    ----------
    Töscher, Jahrer & Bell, "The BigChaos solution to the Netflix Grand Prize",
    2009 (linear blending on a probe set); Koren 2009.
    """

    name = "rating_blend"

    def __init__(
        self,
        *,
        components: tuple = (
            "item_knn_baseline",
            "user_knn_baseline",
            "mf_sgd",
            "explicit_als",
        ),
        valid_fraction: float = 0.1,
        ridge: float = 1e-3,
        random_state: int | None = 0,
    ):
        self.components = components
        self.valid_fraction = valid_fraction
        self.ridge = ridge
        self.random_state = random_state

    def _fit(self, data: RatingMatrix) -> None:
        unknown = set(self.components) - set(COMPONENTS)
        if unknown or not self.components:
            raise ValueError(f"unknown or no components: {sorted(unknown)}")
        if not 0.0 < float(self.valid_fraction) < 1.0:
            raise ValueError(
                f"valid_fraction must be in (0, 1), got {self.valid_fraction}"
            )
        coo = data.ratings.tocoo()
        order = np.argsort(data.order.tocoo().data, kind="stable")
        users, items, ratings = coo.row[order], coo.col[order], coo.data[order]
        rng = np.random.default_rng(self.random_state)
        valid = rng.random(len(ratings)) < float(self.valid_fraction)
        n_users, n_items = data.shape
        preds = []
        for name in self.components:
            model = COMPONENTS[name]().fit_ratings(
                users[~valid],
                items[~valid],
                ratings[~valid],
                n_users=n_users,
                n_items=n_items,
            )
            preds.append(model.predict(users[valid], items[valid], clip=False).estimate)
        design = np.column_stack([np.ones(valid.sum()), *preds])
        penalty = float(self.ridge) * np.eye(design.shape[1])
        penalty[0, 0] = 0.0
        self.weights_ = np.linalg.solve(
            design.T @ design + penalty, design.T @ ratings[valid]
        )
        self.models_ = [
            COMPONENTS[name]().fit_ratings(
                users, items, ratings, n_users=n_users, n_items=n_items
            )
            for name in self.components
        ]

    def _combine(self, users, items) -> np.ndarray:
        parts = [m.predict(users, items, clip=False).estimate for m in self.models_]
        return self.weights_[0] + np.column_stack(parts) @ self.weights_[1:]

    _fallback_name = "blend of the members' fallbacks"

    def _fallback(self, users, items, known_u, known_i) -> np.ndarray:
        """Unknown user or item: the same blend of each member's own fallback."""
        return self._combine(users, items)

    def _estimate(self, users, items):
        est = self._combine(users, items)
        return est, np.zeros(len(users), bool), [""] * len(users)

    def _state(self):
        state = {**super()._state(), "weights_": self.weights_}
        for pos, model in enumerate(self.models_):
            state.update({f"c{pos}.{k}": v for k, v in model._state().items()})
        return state

    def _restore(self, arrays) -> None:
        super()._restore(arrays)
        self.weights_ = arrays["weights_"]
        self.models_ = []
        for pos, name in enumerate(self.components):
            model = COMPONENTS[name]()
            prefix = f"c{pos}."
            model._restore(
                {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
            )
            self.models_.append(model)
