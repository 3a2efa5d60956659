"""A tiny ridge regression fitted by batch gradient descent (the operations demo model).

It exists so that the worker, scheduling and kill-safety machinery can be exercised end
to end without depending on the apps' models. No Django import here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np


class NotFittedError(ValueError):
    """``predict``/``save`` called before ``fit``."""


class GradientDescentRegressor:
    """Ridge regression ``y ~ X w + b`` fitted by full-batch gradient descent.

    Minimises ``(1 / 2n) ||X w + b - y||^2 + (alpha / 2) ||w||^2``.

    Parameters
    ----------
    learning_rate : float
        Step size of each epoch.
    epochs : int
        Number of full-batch gradient steps.
    alpha : float
        L2 penalty on the weights (not the intercept).

    References
    ----------
    Hoerl & Kennard, "Ridge regression", Technometrics 12(1), 1970; Cauchy's gradient
    descent (1847).
    """

    def __init__(
        self, *, learning_rate: float = 0.1, epochs: int = 200, alpha: float = 0.0
    ) -> None:
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.alpha = alpha

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        on_epoch: Callable[[int, float], None] | None = None,
    ) -> GradientDescentRegressor:
        """Fit on ``X`` (n_samples, n_features) and ``y`` (n_samples,).

        ``on_epoch(epoch, loss)`` is called after every step (progress reporting).

        Raises
        ------
        ValueError
            Shapes disagree, there are no rows, or the inputs are not finite.
        """
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0] or X.shape[0] == 0:
            raise ValueError(
                f"X must be (n, d) and y (n,) with n > 0; got {X.shape} and {y.shape}"
            )
        if not (np.isfinite(X).all() and np.isfinite(y).all()):
            raise ValueError("X and y must be finite")
        n, d = X.shape
        w, b = np.zeros(d), 0.0
        self.loss_history_ = np.empty(self.epochs)
        for epoch in range(self.epochs):
            residual = X @ w + b - y
            w -= self.learning_rate * (X.T @ residual / n + self.alpha * w)
            b -= self.learning_rate * residual.mean()
            self.loss_history_[epoch] = 0.5 * float(residual @ residual) / n
            if on_epoch is not None:
                on_epoch(epoch, float(self.loss_history_[epoch]))
        self.coef_, self.intercept_ = w, b
        return self

    def _check(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError("GradientDescentRegressor is not fitted; call fit")

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predictions of shape (n_samples,)."""
        self._check()
        return np.asarray(X, dtype=np.float64) @ self.coef_ + self.intercept_

    def save(self, path: Path) -> None:
        """Write coefficients to an ``.npz`` (no pickles)."""
        self._check()
        with open(path, "wb") as fh:
            np.savez(fh, coef=self.coef_, intercept=np.array([self.intercept_]))

    @classmethod
    def load(cls, path: Path) -> GradientDescentRegressor:
        with np.load(path, allow_pickle=False) as data:
            model = cls()
            model.coef_ = data["coef"]
            model.intercept_ = float(data["intercept"][0])
        return model
