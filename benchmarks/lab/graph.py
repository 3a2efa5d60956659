"""Random-walk item-item models on the user-item graph (numpy/scipy only).

No Django here; see :mod:`recommender.algorithms.base` for the contract.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommender.algorithms.base import Recommender, as_csr
from recommender.algorithms.knn import stored_neighbours


def _row_normalised(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Each row divided by its sum (rows summing to 0 stay 0)."""
    sums = np.asarray(matrix.sum(axis=1), dtype=np.float64).ravel()
    inverse = np.divide(1.0, sums, out=np.zeros_like(sums), where=sums > 0)
    return sp.csr_matrix(sp.diags(inverse) @ matrix)


def rp3beta_similarity(
    user_items: sp.csr_matrix,
    *,
    alpha: float,
    beta: float,
    k: int,
    include_self: bool = True,
    block_size: int = 1024,
) -> sp.csr_matrix:
    """Sparse top-``k`` RP3beta item-item weights, computed in blocks of items.

    W_ij = sum_u P_iu^α P_uj^α / pop_j^β, where P_uj = x_uj / sum_l x_ul is the
    user -> item step of a random walk (rows of ``user_items`` normalised),
    P_iu = x_ui / sum_v x_vi the item -> user step (columns normalised, then
    transposed) and pop_j the number of users of item j. Only the ``k`` largest
    non-zero weights of each row are kept (memory ``n_items * k`` plus one dense
    ``block_size x n_items`` block).

    Parameters
    ----------
    user_items : scipy.sparse.csr_matrix of shape (n_users, n_items), non-negative.
    alpha : float, > 0, power of every one-step transition probability.
    beta : float, >= 0, popularity penalty exponent.
    k : int, >= 1, neighbours kept per item.
    include_self : bool, keep W_ii (the walk returning to its start item).
    block_size : int, items per dense block.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n_items, n_items), float32; row ``i`` holds
    the neighbours of item ``i``.
    """
    matrix = as_csr(user_items)
    n_items = matrix.shape[1]
    user_to_item = _row_normalised(matrix)
    item_to_user = _row_normalised(matrix.T.tocsr())
    user_to_item.data **= float(alpha)
    item_to_user.data **= float(alpha)
    popularity = np.bincount(matrix.indices[matrix.data != 0], minlength=n_items)
    penalty = np.maximum(popularity, 1).astype(np.float64) ** -float(beta)
    k = int(min(k, n_items))
    rows, cols, vals = [], [], []
    for start in range(0, n_items, block_size):
        stop = min(start + block_size, n_items)
        block = (item_to_user[start:stop] @ user_to_item).toarray()
        block = block.astype(np.float64) * penalty[None, :]
        local = np.arange(stop - start)
        if not include_self:
            block[local, start + local] = 0.0
        part = np.argpartition(-block, k - 1, axis=1)[:, :k]
        part_vals = np.take_along_axis(block, part, axis=1)
        keep = part_vals > 0
        rows.append(np.repeat(start + local, keep.sum(axis=1)))
        cols.append(part[keep])
        vals.append(part_vals[keep])
    weights = sp.csr_matrix(
        (
            np.concatenate(vals).astype(np.float32),
            (np.concatenate(rows), np.concatenate(cols)),
        ),
        shape=(n_items, n_items),
        dtype=np.float32,
    )
    weights.sort_indices()
    return weights


class RP3beta(Recommender):
    """RP3beta: three-step random walk user -> item -> user -> item, popularity
    discounted.

    The weight of item j for item i is the probability of a walk from i through a
    user to j, each one-step transition probability raised to α (P³α, Christoffel
    et al. 2015), divided by j's popularity to the power β (Paudel et al. 2017):

        W_ij = sum_u P_iu^α P_uj^α / pop_j^β,    score(u, j) = sum_i x_ui W_ij,

    with P_uj = x_uj / sum_l x_ul, P_iu = x_ui / sum_v x_vi and pop_j the number of
    users of j; each row of W keeps its ``k`` largest entries (sparse). α = 1,
    β = 0 is the plain P³ walk. (α applies to each step, as in the papers and
    the reference implementation of Dacrema et al. 2019, not to the product;
    the two agree at α = 1.)

    Parameters
    ----------
    alpha : float, > 0.
    beta : float, >= 0.
    k : int, >= 1, neighbours kept per item (memory ``n_items * k``).
    binary : bool, fit and score on 0/1 (else on the given counts or weights).
    include_self : bool, keep W_ii, so already-bought items keep a score
        (dropped anyway by ``exclude_seen``).

    Attributes
    ----------
    similarity_ : scipy.sparse.csr_matrix of shape (n_items, n_items), float32.

    Raises
    ------
    ValueError
        Bad hyperparameters or negative values in ``user_items`` (from ``fit``).

    References
    ----------
    Paudel, Christoffel, Newell & Bernstein, "Updatable, accurate, diverse, and
    scalable recommendations for interactive applications", ACM TiiS 7(1), 2017;
    Christoffel, Paudel, Newell & Bernstein, "Blockbusters and wallflowers:
    accurate, diverse, and scalable recommendations with random walks",
    RecSys 2015.
    """

    name = "rp3beta"

    def __init__(
        self,
        *,
        alpha: float = 1.0,
        beta: float = 0.6,
        k: int = 100,
        binary: bool = True,
        include_self: bool = True,
    ):
        self.alpha = alpha
        self.beta = beta
        self.k = k
        self.binary = binary
        self.include_self = include_self

    def _validate(self) -> None:
        if not float(self.alpha) > 0:
            raise ValueError(f"alpha must be > 0, got {self.alpha}")
        if not float(self.beta) >= 0:
            raise ValueError(f"beta must be >= 0, got {self.beta}")
        if int(self.k) < 1 or int(self.k) != self.k:
            raise ValueError(f"k must be an integer >= 1, got {self.k}")

    def fit(self, user_items) -> RP3beta:
        """Compute the sparse top-k walk weights from ``user_items``.

        Parameters
        ----------
        user_items : scipy.sparse.csr_matrix of shape (n_users, n_items)
            Non-negative interaction strengths (purchase counts, 1s, ...).

        Raises
        ------
        ValueError
            Bad hyperparameters or negative values in ``user_items``.
        TypeError
            ``user_items`` is not a matrix.
        """
        self._validate()
        matrix = as_csr(user_items)
        if matrix.nnz and matrix.data.min() < 0:
            raise ValueError("user_items must be non-negative for RP3beta")
        if self.binary:
            matrix = matrix.copy()
            matrix.data = (matrix.data != 0).astype(np.float32)
        self.similarity_ = rp3beta_similarity(
            matrix,
            alpha=float(self.alpha),
            beta=float(self.beta),
            k=int(self.k),
            include_self=bool(self.include_self),
        )
        self.n_items_ = matrix.shape[1]
        return self

    def score(self, user_ids, user_items) -> np.ndarray:
        rows = user_items[np.asarray(user_ids, dtype=np.int64)]
        if rows.shape[1] != self.n_items_:
            raise ValueError(
                f"user_items has {rows.shape[1]} items, model has {self.n_items_}"
            )
        if self.binary:
            rows = rows.copy()
            rows.data = (rows.data != 0).astype(np.float32)
        return np.asarray((rows @ self.similarity_).todense(), dtype=np.float64)

    def similar_items(self, item_ids, *, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The stored neighbours of each item by walk weight, best first, itself
        excluded; ids int64 (b, n) padded with -1, scores float32 (b, n).

        Raises
        ------
        NotFittedError, ValueError (n < 1, ids out of range)
        """
        self._check_fitted()
        return stored_neighbours(self.similarity_, item_ids, n)

    def _state(self):
        sim = self.similarity_
        return {
            **super()._state(),
            "sim_data": sim.data,
            "sim_indices": sim.indices,
            "sim_indptr": sim.indptr,
        }

    def _restore(self, arrays) -> None:
        super()._restore(arrays)
        self.similarity_ = sp.csr_matrix(
            (arrays["sim_data"], arrays["sim_indices"], arrays["sim_indptr"]),
            shape=(self.n_items_, self.n_items_),
        )
