"""The contract every recommender follows (no Django here).

Two families share one shape:

* **Top-N recommenders** on a user-item interaction matrix (purchases, events, or
  ratings): ``fit(user_items) -> self``, ``recommend(...) -> (ids, scores)``,
  ``similar_items(...)``. Inner ids are ``0..n-1``; ``recommender/data.py`` owns the
  map to database keys.
* **Rating predictors** (explicit feedback): ``fit_ratings(users, items, ratings)``
  and ``predict(users, items) -> Prediction`` with an ``impossible`` mask and a reason
  instead of a silent global mean (Surprise's ``was_impossible``).

Models save to ``.npz`` (``allow_pickle=False``) so that a file can never run code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import scipy.sparse as sp


class NotFittedError(RuntimeError):
    """Raised when a model is used before ``fit``."""


def as_csr(user_items, *, name: str = "user_items") -> sp.csr_matrix:
    """Validate and return ``user_items`` as float32 CSR.

    Raises
    ------
    TypeError
        Not a 2-D scipy sparse matrix or numpy array.
    ValueError
        Contains NaN or infinite values.
    """
    if isinstance(user_items, np.ndarray):
        if user_items.ndim != 2:
            raise TypeError(f"{name} must be 2-D, got shape {user_items.shape}")
        user_items = sp.csr_matrix(user_items)
    if not sp.issparse(user_items):
        raise TypeError(f"{name} must be a scipy.sparse matrix, got {type(user_items)}")
    matrix = sp.csr_matrix(user_items, dtype=np.float32)
    if matrix.nnz and not np.all(np.isfinite(matrix.data)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return matrix


def top_n(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the ``n`` largest scores per row, best first.

    ``scores`` has shape (b, n_items); ``-inf`` marks excluded items, which are
    returned as id ``-1`` with score ``-inf`` if fewer than ``n`` remain.
    """
    b, n_items = scores.shape
    n = min(n, n_items)
    if n <= 0:
        return np.empty((b, 0), np.int64), np.empty((b, 0), np.float32)
    part = np.argpartition(-scores, n - 1, axis=1)[:, :n]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    ids = np.take_along_axis(part, order, axis=1).astype(np.int64)
    vals = np.take_along_axis(part_scores, order, axis=1).astype(np.float32)
    ids[~np.isfinite(vals)] = -1
    return ids, vals


class Recommender:
    """Base class of top-N recommenders.

    Subclasses implement ``fit`` and ``score(user_ids, user_items) -> (b, n_items)``;
    the base class does exclusion, candidate restriction and top-n.
    Fitted attributes end in ``_``; ``n_items_`` is always set by ``fit``.
    """

    name: ClassVar[str] = "base"

    def fit(self, user_items: sp.csr_matrix) -> Recommender:  # pragma: no cover
        raise NotImplementedError

    def score(self, user_ids: np.ndarray, user_items: sp.csr_matrix) -> np.ndarray:
        """Scores of every item for each user; shape (len(user_ids), n_items)."""
        raise NotImplementedError  # pragma: no cover

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_items_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit first")

    def recommend(
        self,
        user_ids,
        user_items: sp.csr_matrix,
        *,
        n: int = 10,
        exclude_seen: bool = True,
        candidate_items: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``n`` items for one user or a batch.

        Parameters
        ----------
        user_ids : int or array of int, shape (b,)
            Rows of ``user_items`` (inner ids).
        user_items : scipy.sparse.csr_matrix of shape (n_users, n_items)
            The interactions to score from (may differ from the training matrix).
        n : int
            Number of items per user; must be >= 1.
        exclude_seen : bool
            Drop items the user already has in ``user_items``.
        candidate_items : array of int, optional
            Only these items may be returned.

        Returns
        -------
        ids : int64 array of shape (b, n)   (``-1`` pads when fewer items qualify)
        scores : float32 array of shape (b, n)

        Raises
        ------
        NotFittedError, ValueError (n < 1, ids out of range)
        """
        self._check_fitted()
        if int(n) < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        single = np.isscalar(user_ids)
        users = np.atleast_1d(np.asarray(user_ids, dtype=np.int64))
        user_items = as_csr(user_items)
        if users.size and (users.min() < 0 or users.max() >= user_items.shape[0]):
            raise ValueError("user_ids out of range of user_items")
        scores = np.asarray(self.score(users, user_items), dtype=np.float64)
        if exclude_seen:
            rows = user_items[users]
            r, c = rows.nonzero()
            scores[r, c] = -np.inf
        if candidate_items is not None:
            mask = np.ones(scores.shape[1], dtype=bool)
            mask[np.asarray(candidate_items, dtype=np.int64)] = False
            scores[:, mask] = -np.inf
        ids, vals = top_n(scores, int(n))
        return (ids[0], vals[0]) if single else (ids, vals)

    def similar_items(self, item_ids, *, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Items most similar to each of ``item_ids``; same shapes as ``recommend``."""
        raise NotImplementedError(f"{type(self).__name__} has no item similarity")

    # --- persistence ------------------------------------------------------------
    def get_params(self) -> dict:
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}

    def _state(self) -> dict[str, np.ndarray]:
        """Fitted arrays to save; subclasses extend."""
        return {"n_items_": np.asarray(self.n_items_)}

    def save(self, path: str | Path) -> None:
        """Save params and fitted arrays to ``path`` (.npz, no pickles)."""
        self._check_fitted()
        arrays = dict(self._state())
        arrays["__params__"] = np.frombuffer(
            json.dumps(self.get_params(), default=str).encode(), dtype=np.uint8
        )
        with open(path, "wb") as fh:
            np.savez(fh, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> Recommender:
        """Load a model saved by :meth:`save` (``allow_pickle=False``)."""
        with np.load(path, allow_pickle=False) as data:
            params = json.loads(bytes(data["__params__"]).decode())
            model = cls(**params)
            model._restore({k: data[k] for k in data.files if k != "__params__"})
        return model

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self.n_items_ = int(arrays["n_items_"])


@dataclass
class Prediction:
    """Rating estimates for (user, item) pairs.

    ``estimate`` float64 (m,); ``impossible`` bool (m,) where the model could not use
    its own logic and fell back (``reason`` says why, per pair).
    """

    estimate: np.ndarray
    impossible: np.ndarray
    reason: list[str] = field(default_factory=list)
