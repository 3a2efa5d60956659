"""Popularity baselines: overall and per group (e.g. per country), and random.

No Django here; see :mod:`recommender.algorithms.base` for the contract.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .base import NotFittedError, Recommender, as_csr, top_n

_WEIGHTINGS = ("users", "sum")


class Popularity(Recommender):
    """Most popular items, overall or within each user's group (country, segment).

    The popularity of item ``i`` is the number of distinct users who interacted with
    it (``weighting="users"``) or the sum of the interaction values
    (``weighting="sum"``, e.g. units bought). With ``groups`` given to :meth:`fit`,
    a user in group ``g`` is served the group's ranking, shrunk towards the overall
    one so that small groups still get a sensible list (additive smoothing):

        score_g(i) = (c_g(i) + shrinkage * p(i)) / (n_g + shrinkage)

    where ``c_g(i)`` is the item's popularity in group ``g``, ``n_g`` the group's
    total and ``p(i)`` the overall share of item ``i``. Users without a group (or
    rows beyond the fitted ``groups``) get the overall share ``p(i)``.

    Parameters
    ----------
    weighting : {"users", "sum"}
        What popularity counts (distinct users, or summed interaction values).
    shrinkage : float, >= 0
        Pseudo-count pulling small groups towards the overall ranking.

    Attributes
    ----------
    item_scores_ : float64 array of shape (n_items,), the overall share p(i).
    group_labels_ : str array of shape (n_groups,)
    group_scores_ : float64 array of shape (n_groups, n_items), score_g(i).
    user_groups_ : int64 array of shape (n_users,), index into ``group_labels_``
        or -1 for no group.

    References
    ----------
    Cremonesi, Koren & Turrin, "Performance of recommender algorithms on top-N
    recommendation tasks", RecSys 2010 (the popularity baseline).
    """

    name = "popularity"

    def __init__(self, *, weighting: str = "users", shrinkage: float = 10.0):
        self.weighting = weighting
        self.shrinkage = shrinkage

    def fit(self, user_items, groups=None) -> Popularity:
        """Count item popularity overall and per group.

        Parameters
        ----------
        user_items : scipy.sparse.csr_matrix of shape (n_users, n_items)
        groups : array-like of shape (n_users,), optional
            A label per user (e.g. country). ``None``/empty labels mean no group.

        Raises
        ------
        ValueError
            Unknown ``weighting``, negative ``shrinkage``, or ``groups`` of the
            wrong length.
        """
        if self.weighting not in _WEIGHTINGS:
            raise ValueError(
                f"weighting must be one of {_WEIGHTINGS}, got {self.weighting!r}"
            )
        if float(self.shrinkage) < 0:
            raise ValueError(f"shrinkage must be >= 0, got {self.shrinkage}")
        matrix = as_csr(user_items)
        n_users, n_items = matrix.shape
        if self.weighting == "users":
            matrix = matrix.copy()
            matrix.data = (matrix.data != 0).astype(np.float32)
        counts = np.asarray(matrix.sum(axis=0), dtype=np.float64).ravel()
        total = counts.sum()
        self.item_scores_ = counts / total if total > 0 else counts
        if groups is None:
            self.group_labels_ = np.empty(0, dtype=str)
            self.group_scores_ = np.zeros((0, n_items))
            self.user_groups_ = np.full(n_users, -1, dtype=np.int64)
        else:
            self._fit_groups(matrix, groups)
        self.n_items_ = n_items
        return self

    def _fit_groups(self, matrix: sp.csr_matrix, groups) -> None:
        labels = np.asarray(
            ["" if g is None else str(g) for g in np.asarray(groups, dtype=object)]
        )
        if labels.shape != (matrix.shape[0],):
            raise ValueError(
                f"groups must have one label per user ({matrix.shape[0]}), "
                f"got shape {labels.shape}"
            )
        uniques, codes = np.unique(labels, return_inverse=True)
        keep = uniques != ""
        remap = np.full(len(uniques), -1, dtype=np.int64)
        remap[keep] = np.arange(keep.sum())
        codes = remap[codes]
        has = codes >= 0
        indicator = sp.csr_matrix(
            (np.ones(has.sum()), (codes[has], np.flatnonzero(has))),
            shape=(int(keep.sum()), matrix.shape[0]),
        )
        group_counts = np.asarray((indicator @ matrix).todense(), dtype=np.float64)
        alpha = float(self.shrinkage)
        totals = group_counts.sum(axis=1, keepdims=True)
        denom = np.maximum(totals + alpha, 1e-12)
        self.group_scores_ = (group_counts + alpha * self.item_scores_) / denom
        self.group_labels_ = uniques[keep].astype(str)
        self.user_groups_ = codes

    def score(self, user_ids: np.ndarray, user_items: sp.csr_matrix) -> np.ndarray:
        users = np.asarray(user_ids, dtype=np.int64)
        groups = np.full(users.shape, -1, dtype=np.int64)
        inside = users < len(self.user_groups_)
        groups[inside] = self.user_groups_[users[inside]]
        out = np.tile(self.item_scores_, (len(users), 1))
        has = groups >= 0
        if has.any():
            out[has] = self.group_scores_[groups[has]]
        return out

    def top_for_group(
        self, group: str | None = None, *, n: int = 10, exclude=None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``n`` items of one group (overall when ``group`` is None or unknown).

        Parameters
        ----------
        group : str, optional
            A label given to :meth:`fit` (e.g. "United Kingdom").
        n : int, >= 1
        exclude : array of int, optional
            Items never returned.

        Returns
        -------
        ids : int64 (n,), scores : float32 (n,); ``-1`` pads.

        Raises
        ------
        NotFittedError, ValueError (n < 1)
        """
        self._check_fitted()
        if int(n) < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        scores = self.item_scores_
        if group is not None:
            hit = np.flatnonzero(self.group_labels_ == str(group))
            if hit.size:
                scores = self.group_scores_[hit[0]]
        scores = scores.astype(np.float64).copy()
        if exclude is not None:
            scores[np.asarray(exclude, dtype=np.int64)] = -np.inf
        ids, vals = top_n(scores[None, :], int(n))
        return ids[0], vals[0]

    def _state(self) -> dict[str, np.ndarray]:
        return {
            **super()._state(),
            "item_scores_": self.item_scores_,
            "group_labels_": self.group_labels_.astype(str),
            "group_scores_": self.group_scores_,
            "user_groups_": self.user_groups_,
        }

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        super()._restore(arrays)
        self.item_scores_ = arrays["item_scores_"]
        self.group_labels_ = arrays["group_labels_"]
        self.group_scores_ = arrays["group_scores_"]
        self.user_groups_ = arrays["user_groups_"]


class RandomRecommender(Recommender):
    """Uniformly random scores: the floor every model must beat.

    Scores are drawn from a generator seeded by ``random_state`` and the user id,
    so one user always gets the same list from one fitted model.

    Parameters
    ----------
    random_state : int, optional
    """

    name = "random"

    def __init__(self, *, random_state: int | None = 0):
        self.random_state = random_state

    def fit(self, user_items) -> RandomRecommender:
        """Remember the catalogue size; ``user_items`` of shape (n_users, n_items)."""
        self.n_items_ = as_csr(user_items).shape[1]
        self.seed_ = int(np.random.SeedSequence(self.random_state).generate_state(1)[0])
        return self

    def score(self, user_ids: np.ndarray, user_items: sp.csr_matrix) -> np.ndarray:
        out = np.empty((len(user_ids), self.n_items_))
        for row, user in enumerate(np.asarray(user_ids, dtype=np.int64)):
            out[row] = np.random.default_rng([self.seed_, int(user)]).random(
                self.n_items_
            )
        return out

    def _state(self) -> dict[str, np.ndarray]:
        return {**super()._state(), "seed_": np.asarray(self.seed_)}

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        super()._restore(arrays)
        self.seed_ = int(arrays["seed_"])


__all__ = ["NotFittedError", "Popularity", "RandomRecommender"]
