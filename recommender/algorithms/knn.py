"""Neighbourhood collaborative filtering: item-item (implicit and explicit), user-user.

No Django here; see :mod:`recommender.algorithms.base` for the contract.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from . import knn_ratings as kr
from . import memory
from .base import as_csr, top_n
from .memory import MemoryBudgetError
from .predictors import BaselineFallback, RatingPredictor

_SIMILARITIES = ("cosine", "adjusted_cosine", "pearson", "pearson_baseline")
_BASELINES = ("mean", "baseline")


def _column_norms(matrix: sp.csr_matrix) -> np.ndarray:
    squared = matrix.multiply(matrix).sum(axis=0)
    return np.sqrt(np.asarray(squared, dtype=np.float64).ravel())


def topk_cosine(
    user_items: sp.csr_matrix,
    k: int,
    *,
    shrinkage: float = 0.0,
    include_self: bool = True,
    block_size: int = 1024,
) -> sp.csr_matrix:
    """Sparse top-``k`` item-item cosine similarity, computed in blocks of items.

    sim(i, j) = x_i . x_j / (||x_i|| ||x_j||) * n_ij / (n_ij + shrinkage)

    where ``x_i`` is column ``i`` of ``user_items`` and ``n_ij`` the number of users
    with both items (the shrinkage factor is 1 when ``shrinkage`` is 0). Only the
    ``k`` largest non-zero similarities of each row are kept, so memory grows as
    ``n_items * k`` (plus one dense ``block_size x n_items`` block while computing).

    Parameters
    ----------
    user_items : scipy.sparse.csr_matrix of shape (n_users, n_items)
    k : int, >= 1, neighbours kept per item.
    shrinkage : float, >= 0
    include_self : bool
        Keep ``sim(i, i)`` (= 1) among the neighbours, as ``implicit`` does.
    block_size : int, items per dense block.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n_items, n_items), float32; row ``i`` holds
    the neighbours of item ``i``.
    """
    matrix = as_csr(user_items)
    n_items = matrix.shape[1]
    norms = _column_norms(matrix)
    inverse = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    items_users = matrix.T.tocsr()
    if shrinkage:
        binary = matrix.copy()
        binary.data = (binary.data != 0).astype(np.float32)
        binary_t = binary.T.tocsr()
    k = int(min(k, n_items))
    rows, cols, vals = [], [], []
    for start in range(0, n_items, block_size):
        stop = min(start + block_size, n_items)
        dots = np.asarray((items_users[start:stop] @ matrix).todense(), np.float64)
        dots *= inverse[start:stop, None] * inverse[None, :]
        if shrinkage:
            common = np.asarray((binary_t[start:stop] @ binary).todense(), np.float64)
            dots *= common / (common + float(shrinkage))
        local = np.arange(stop - start)
        if not include_self:
            dots[local, start + local] = 0.0
        part = np.argpartition(-dots, k - 1, axis=1)[:, :k]
        part_vals = np.take_along_axis(dots, part, axis=1)
        keep = part_vals != 0
        rows.append(np.repeat(start + local, keep.sum(axis=1)))
        cols.append(part[keep])
        vals.append(part_vals[keep])
    similarity = sp.csr_matrix(
        (
            np.concatenate(vals).astype(np.float32) if vals else np.empty(0),
            (
                np.concatenate(rows) if rows else np.empty(0, np.int64),
                np.concatenate(cols) if cols else np.empty(0, np.int64),
            ),
        ),
        shape=(n_items, n_items),
        dtype=np.float32,
    )
    similarity.sort_indices()
    return similarity


def cosine_neighbours(
    user_items: sp.csr_matrix, item: int, *, n: int = 10, binary: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` items most similar to ``item`` by cosine over users, itself excluded.

    sim(i, j) = x_i . x_j / (||x_i|| ||x_j||), ``x_i`` the column of ``item`` in
    ``user_items`` (0/1 when ``binary``): items bought by the same users, at any
    time, not necessarily together. One row of :func:`topk_cosine`, computed on
    demand (cost O(nnz of the matrix)).

    Parameters
    ----------
    user_items : scipy.sparse.csr_matrix of shape (n_users, n_items)
    item : int, column index in 0..n_items-1.
    n : int, >= 1.
    binary : bool, use 0/1 instead of the stored weights.

    Returns
    -------
    ids : int64 (m,), scores : float32 (m,), best first (ties by id); m <= n, only
    items with a positive similarity.

    Raises
    ------
    ValueError
        ``item`` out of range or ``n < 1``.

    References
    ----------
    Sarwar et al., "Item-based collaborative filtering recommendation algorithms",
    WWW 2001.
    """
    matrix = as_csr(user_items)
    if int(n) < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if not 0 <= int(item) < matrix.shape[1]:
        raise ValueError(f"item must lie in 0..{matrix.shape[1] - 1}, got {item}")
    if binary:
        matrix = matrix.copy()
        matrix.data = (matrix.data != 0).astype(np.float32)
    column = matrix[:, [int(item)]]
    dots = np.asarray((matrix.T @ column).todense(), np.float64).ravel()
    norms = _column_norms(matrix)
    denom = norms * norms[int(item)]
    sims = np.divide(dots, denom, out=np.zeros_like(dots), where=denom > 0)
    sims[int(item)] = 0.0
    ids = np.flatnonzero(sims > 0)
    order = np.lexsort((ids, -sims[ids]))[: int(n)]
    return ids[order].astype(np.int64), sims[ids[order]].astype(np.float32)


def stored_neighbours(similarity: sp.csr_matrix, item_ids, n: int):
    """The stored neighbours of each item in a sparse item-item matrix, highest
    weight first (ties by id), the item itself excluded.

    Parameters
    ----------
    similarity : csr (n_items, n_items), row i = the neighbours kept for item i.
    item_ids : int or array of int (b,); n : int >= 1 (padded with -1 / -inf).

    Returns
    -------
    ids : int64 (b, n) (or (n,) for a scalar), scores : float32, same shape.

    Raises
    ------
    ValueError
        ``n`` < 1 or ids out of range.
    """
    if int(n) < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    single = np.isscalar(item_ids)
    items = np.atleast_1d(np.asarray(item_ids, dtype=np.int64))
    if items.size and (items.min() < 0 or items.max() >= similarity.shape[0]):
        raise ValueError("item_ids out of range")
    all_ids, all_scores = [], []
    for item in items:
        lo, hi = similarity.indptr[item], similarity.indptr[item + 1]
        ids, vals = similarity.indices[lo:hi], similarity.data[lo:hi]
        keep = ids != item
        ids, vals = ids[keep], vals[keep]
        order = np.lexsort((ids, -vals))
        all_ids.append(ids[order].astype(np.int64))
        all_scores.append(vals[order])
    ids, scores = _pad(all_ids, all_scores, int(n))
    return (ids[0], scores[0]) if single else (ids, scores)


def _pad(ids: list[np.ndarray], scores: list[np.ndarray], n: int):
    out_ids = np.full((len(ids), n), -1, dtype=np.int64)
    out_scores = np.full((len(ids), n), -np.inf, dtype=np.float32)
    for row, (i, s) in enumerate(zip(ids, scores, strict=True)):
        out_ids[row, : len(i)] = i[:n]
        out_scores[row, : len(s)] = s[:n]
    return out_ids, out_scores


class ItemKNN(BaselineFallback, RatingPredictor):
    """Item-based collaborative filtering, for purchases (top-N) and ratings.

    Item-item cosine similarity, keeping the ``k`` nearest neighbours of each item
    (sparse, memory ``n_items * k``); a user's score for item ``j`` is

        score(u, j) = sum_{i in I(u)} r_ui * sim(i, j)      (sim from row i's top-k)

    i.e. ``user_items @ similarity_``. With ``include_self=True`` and no shrinkage
    this equals ``implicit.nearest_neighbours.CosineRecommender(K=k)`` (same
    neighbour lists, same scores), which includes the item itself among its
    neighbours so already-bought items keep a score (useful when re-purchases are
    allowed; they are dropped by ``exclude_seen``).

    **Explicit ratings** (:meth:`fit_ratings`, :meth:`predict`): similarity over
    co-raters ("adjusted_cosine": ratings centred on each user's mean, Sarwar 2001;
    "pearson", "cosine", "pearson_baseline" as Surprise), the ``n_store`` most
    similar items kept per item (sparse), and the mean-centred rule

        r̂_ui = b_i + sum_{j in N^k_i(u)} s_ij (r_uj - b_j) / sum s_ij   (s_ij > 0)

    over the ``k`` most similar stored neighbours of ``i`` rated by ``u``; ``b_i``
    is the item mean (``baseline="mean"``, as ``KNNWithMeans``) or the baseline
    mu + b_u + b_i (``baseline="baseline"``, as ``KNNBaseline``). With ``n_store``
    at least the number of items (and ``fallback="mean"``, ``damping=0``) this
    equals Surprise's item-based model. Where it differs: with fewer stored, a
    neighbour outside the target's stored top ``n_store`` is never used (Surprise
    searches every item the user rated), so more predictions fall back; choosing
    the stored neighbours by the *shrunk* similarity (``shrinkage``) and the
    baseline ``fallback`` recover more than that loss (MovieLens small, 5-fold:
    see ``benchmarks/recommender.py``).

    Parameters
    ----------
    k : int, >= 1
        Neighbours kept per item (implicit) / used per prediction (ratings).
    shrinkage : float, >= 0
        Implicit: similarities multiplied by n_ij / (n_ij + shrinkage). Ratings:
        by (n_ij - 1) / (n_ij - 1 + shrinkage) (Koren 2010). n_ij = common users.
    similarity : {"cosine", "adjusted_cosine", "pearson", "pearson_baseline"}
        Only "cosine" for implicit :meth:`fit`.
    include_self : bool
        Keep sim(i, i) = 1 in the neighbour lists (implicit).
    binary : bool
        Use 1 for every non-zero interaction (ignore counts) when fitting (implicit).
    n_store : int, neighbours stored per item for rating prediction (the top
        ``n_store`` by the similarity after shrinkage; memory ``n_items * n_store``).
    min_k : int, contributors needed, else the fallback alone (flagged).
    min_support : int, fewer co-raters give similarity 0.
    baseline : {"mean", "baseline"}
    fallback : {"mean", "baseline"}
        Answer when fewer than ``min_k`` stored neighbours of ``i`` were rated by
        ``u`` (flagged impossible): the item mean (Surprise) or the baseline
        mu + b_u + b_i (Koren 2010; unknown users/items then get the partial
        baseline). Always the baseline when ``baseline="baseline"``.
    damping : float, >= 0
        Pseudo-weight of the base in the neighbour average:
        sum s (r - offset) / (damping + sum s). 0 is Surprise's rule; a small value
        pulls predictions resting on few or weakly similar neighbours towards the
        base (a damped mean, Funk 2006). Not in Surprise.
    memory_budget_mb : float, MiB, optional (implicit :meth:`fit`): the items
        per dense block of the similarity are chosen to fit it (same result;
        :func:`.memory.knn_block_size`); default half the available memory.

    Attributes
    ----------
    similarity_ : scipy.sparse.csr_matrix of shape (n_items, n_items), float32.

    References
    ----------
    Sarwar, Karypis, Konstan & Riedl, "Item-based collaborative filtering
    recommendation algorithms", WWW 2001; Deshpande & Karypis, "Item-based top-N
    recommendation algorithms", ACM TOIS 22(1), 2004.
    """

    name = "item_knn"

    def __init__(
        self,
        *,
        k: int = 50,
        shrinkage: float = 0.0,
        similarity: str = "cosine",
        include_self: bool = True,
        binary: bool = False,
        n_store: int = 300,
        min_k: int = 1,
        min_support: int = 1,
        baseline: str = "mean",
        fallback: str = "mean",
        damping: float = 0.0,
        memory_budget_mb: float | None = None,
    ):
        self.k = k
        self.shrinkage = shrinkage
        self.similarity = similarity
        self.include_self = include_self
        self.binary = binary
        self.n_store = n_store
        self.min_k = min_k
        self.min_support = min_support
        self.baseline = baseline
        self.fallback = fallback
        self.damping = damping
        self.memory_budget_mb = memory_budget_mb

    def _validate(self) -> None:
        if int(self.k) < 1:
            raise ValueError(f"k must be >= 1, got {self.k}")
        if float(self.shrinkage) < 0:
            raise ValueError(f"shrinkage must be >= 0, got {self.shrinkage}")
        if self.similarity not in _SIMILARITIES:
            raise ValueError(
                f"similarity must be one of {_SIMILARITIES}, got {self.similarity!r}"
            )
        for name in ("baseline", "fallback"):
            if getattr(self, name) not in _BASELINES:
                raise ValueError(
                    f"{name} must be one of {_BASELINES}, got {getattr(self, name)!r}"
                )
        if int(self.n_store) < 1:
            raise ValueError(f"n_store must be >= 1, got {self.n_store}")
        if float(self.damping) < 0:
            raise ValueError(f"damping must be >= 0, got {self.damping}")

    def fit(self, user_items) -> ItemKNN:
        """Compute the sparse top-k item-item similarity.

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
        MemoryBudgetError
            The neighbour lists and one item per block exceed ``memory_budget_mb``.
        """
        self._validate()
        if self.similarity != "cosine":
            raise ValueError("implicit fit supports similarity='cosine' only")
        matrix = as_csr(user_items)
        if matrix.nnz and matrix.data.min() < 0:
            raise ValueError("user_items must be non-negative for cosine ItemKNN")
        if self.binary:
            matrix = matrix.copy()
            matrix.data = (matrix.data != 0).astype(np.float32)
        block = memory.knn_block_size(
            matrix.shape[1],
            int(self.k),
            memory.budget_bytes(self.memory_budget_mb),
            shrinkage=bool(self.shrinkage),
        )
        self.similarity_ = topk_cosine(
            matrix,
            int(self.k),
            shrinkage=float(self.shrinkage),
            include_self=bool(self.include_self),
            block_size=block,
        )
        self.n_items_ = matrix.shape[1]
        return self

    def _fit(self, data: kr.RatingMatrix) -> None:
        self._validate()
        if self._uses_baseline() or self.similarity == "pearson_baseline":
            b_u, b_i = kr.baseline_als(data)
        else:
            b_u = b_i = None
        values = kr.centred_values(
            data, user_based=False, kind=self.similarity, b_u=b_u, b_i=b_i
        )
        self.similarity_ = kr.similarity_matrix(
            values,
            kind=self.similarity,
            min_support=int(self.min_support),
            shrinkage=float(self.shrinkage),
            top_k=int(self.n_store),
        ).astype(np.float64)
        self.item_means_ = kr.row_means(data.ratings.T.tocsr())
        self.user_bias_ = b_u if b_u is not None else np.zeros(data.shape[0])
        self.item_bias_ = b_i if b_i is not None else np.zeros(data.shape[1])

    def _estimate(self, users, items):
        if self.baseline == "baseline":
            mu, b_u, b_i = self.global_mean_, self.user_bias_, self.item_bias_
            base = mu + b_u[users] + b_i[items]

            def offset(nb, ys):
                return mu + b_i[nb] + b_u[ys]
        else:
            base = self.item_means_[items]

            def offset(nb, ys):
                return self.item_means_[nb]

        est, actual = kr.knn_estimate(
            sim=self.similarity_,
            targets_x=items,
            targets_y=users,
            y_major=self.ratings_,
            y_order=self.order_,
            base=base,
            neighbour_offset=offset,
            k=int(self.k),
            min_k=int(self.min_k),
            damping=float(self.damping),
        )
        impossible = actual < int(self.min_k)
        if self.fallback == "baseline" and self.baseline == "mean":
            est[impossible] = (
                self.global_mean_
                + self.user_bias_[users[impossible]]
                + self.item_bias_[items[impossible]]
            )
        why = "no similar item rated by the user: item " + (
            "baseline" if self._uses_baseline() else "mean"
        )
        return est, impossible, [why if f else "" for f in impossible]

    def score(self, user_ids: np.ndarray, user_items: sp.csr_matrix) -> np.ndarray:
        rows = user_items[np.asarray(user_ids, dtype=np.int64)]
        if rows.shape[1] != self.n_items_:
            raise ValueError(
                f"user_items has {rows.shape[1]} items, model has {self.n_items_}"
            )
        if self.binary:
            rows = rows.copy()
            rows.data = (rows.data != 0).astype(np.float32)
        return np.asarray((rows @ self.similarity_).todense(), dtype=np.float64)

    def score_items(self, item_ids, weights=None) -> np.ndarray:
        """Scores of every item for an anonymous basket.

        Parameters
        ----------
        item_ids : array of int, shape (m,), the basket (inner ids).
        weights : array of float, shape (m,), optional (default 1 each).

        Returns
        -------
        float64 array of shape (n_items,).

        Raises
        ------
        NotFittedError, ValueError (ids out of range)
        """
        self._check_fitted()
        items = np.asarray(item_ids, dtype=np.int64).ravel()
        if items.size and (items.min() < 0 or items.max() >= self.n_items_):
            raise ValueError("item_ids out of range")
        w = np.ones(items.size) if weights is None else np.asarray(weights, float)
        row = sp.csr_matrix(
            (w, (np.zeros(items.size, np.int64), items)), shape=(1, self.n_items_)
        )
        return np.asarray((row @ self.similarity_).todense(), np.float64).ravel()

    def similar_items(self, item_ids, *, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The stored nearest neighbours of each item, best first, itself excluded.

        Parameters
        ----------
        item_ids : int or array of int, shape (b,)
        n : int, >= 1. At most ``k`` neighbours exist; the rest is padded with -1.

        Returns
        -------
        ids : int64 (b, n) (or (n,) for a scalar), scores : float32, same shape.

        Raises
        ------
        NotFittedError, ValueError (n < 1, ids out of range)
        """
        self._check_fitted()
        return stored_neighbours(self.similarity_, item_ids, n)

    def _sim_state(self) -> dict[str, np.ndarray]:
        sim = self.similarity_
        return {
            "sim_data": sim.data,
            "sim_indices": sim.indices,
            "sim_indptr": sim.indptr,
        }

    def _state(self) -> dict[str, np.ndarray]:
        state = {**super()._state(), **self._sim_state()}
        if hasattr(self, "item_means_"):
            state.update(
                item_means_=self.item_means_,
                user_bias_=self.user_bias_,
                item_bias_=self.item_bias_,
            )
        return state

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        super()._restore(arrays)
        n = self.n_items_
        self.similarity_ = sp.csr_matrix(
            (arrays["sim_data"], arrays["sim_indices"], arrays["sim_indptr"]),
            shape=(n, n),
        )
        for name in ("item_means_", "user_bias_", "item_bias_"):
            if name in arrays:
                setattr(self, name, arrays[name])


class UserKNN(BaselineFallback, RatingPredictor):
    """User-based collaborative filtering for explicit ratings.

    Pearson correlation over co-rated items (or "cosine", "pearson_baseline"),
    optionally shrunk by (n_uv - 1) / (n_uv - 1 + shrinkage) (significance
    weighting), then the mean-centred rule

        r̂_ui = mu_u + sum_{v in N^k_i(u)} s_uv (r_vi - mu_v) / sum s_uv   (s_uv > 0)

    over the ``k`` most similar users who rated ``i``. At equal settings
    (``shrinkage=0``) this is ``surprise.KNNWithMeans(k, min_k,
    sim_options={"name": "pearson", "user_based": True})``, ties included; with
    ``baseline="baseline"`` it is ``KNNBaseline``.

    A user with a single rating, or whose ratings are all equal, has no Pearson
    neighbour: the answer is the user's mean, flagged impossible with that reason
    (never a silent global mean); unknown users/items get the global mean, flagged.

    Parameters
    ----------
    k : int, neighbours per prediction. min_k : int, contributors needed.
    similarity : {"pearson", "cosine", "pearson_baseline"}
    min_support : int, fewer co-rated items give similarity 0.
    shrinkage : float, >= 0.
    baseline : {"mean", "baseline"}
    fallback : {"mean", "baseline"}
        Answer when fewer than ``min_k`` neighbours rated ``i`` (flagged
        impossible, with the reason): the user's mean (Surprise) or the baseline
        mu + b_u + b_i (Koren 2010). Always the baseline when ``baseline="baseline"``.
    damping : float, >= 0
        Pseudo-weight of the base in the neighbour average:
        sum s (r - offset) / (damping + sum s). 0 is Surprise's rule; a small value
        pulls predictions resting on few or weakly similar neighbours towards the
        base (a damped mean, Funk 2006). Not in Surprise.
    memory_budget_mb : float, > 0, MiB
        Most memory the similarity may take while fitting (estimated before
        anything is allocated, :func:`knn_ratings.similarity_memory_bytes`). Within
        it the full dense users x users matrix is kept (exact, as Surprise);
        beyond it only the ``n_store`` most similar users of each user are kept
        (sparse top-k; a neighbour outside a user's stored top ``n_store`` is never
        used, so a few more predictions fall back). If even that exceeds the
        budget, :meth:`fit_ratings` refuses with :class:`MemoryBudgetError`.
    n_store : int, >= 1, neighbours stored per user on the sparse path.

    Attributes
    ----------
    similarity_ : float64 (n_users, n_users), dense (memory 8 * n_users ** 2 bytes)
        within the budget, else a CSR matrix of the top ``n_store`` per row.

    References
    ----------
    Herlocker et al., SIGIR 1999; Resnick et al., "GroupLens", CSCW 1994.
    """

    name = "user_knn"

    def __init__(
        self,
        *,
        k: int = 40,
        min_k: int = 1,
        similarity: str = "pearson",
        min_support: int = 1,
        shrinkage: float = 0.0,
        baseline: str = "mean",
        fallback: str = "mean",
        damping: float = 0.0,
        memory_budget_mb: float = 2048.0,
        n_store: int = 300,
    ):
        self.k = k
        self.min_k = min_k
        self.similarity = similarity
        self.min_support = min_support
        self.shrinkage = shrinkage
        self.baseline = baseline
        self.fallback = fallback
        self.damping = damping
        self.memory_budget_mb = memory_budget_mb
        self.n_store = n_store

    def _similarity_top_k(self, n_users: int) -> int | None:
        """None (dense) when the full matrix fits the budget, else ``n_store``.

        Raises
        ------
        MemoryBudgetError
            Even the sparse top-``n_store`` similarity exceeds ``memory_budget_mb``.
        """
        if float(self.memory_budget_mb) <= 0:
            raise ValueError(
                f"memory_budget_mb must be > 0, got {self.memory_budget_mb}"
            )
        if int(self.n_store) < 1:
            raise ValueError(f"n_store must be >= 1, got {self.n_store}")
        budget = float(self.memory_budget_mb) * 2**20
        if kr.similarity_memory_bytes(n_users) <= budget:
            return None
        need = kr.similarity_memory_bytes(n_users, top_k=int(self.n_store))
        if need > budget:
            raise MemoryBudgetError(
                f"UserKNN on {n_users:,} users needs about {need / 2**20:,.0f} MiB "
                f"even keeping only n_store={self.n_store} neighbours per user "
                f"(the full users x users matrix would take "
                f"{kr.similarity_memory_bytes(n_users) / 2**20:,.0f} MiB); the limit "
                f"is memory_budget_mb={float(self.memory_budget_mb):,.0f}. Lower "
                "n_store, raise memory_budget_mb, or use an item-based model "
                "(item_knn)."
            )
        return int(self.n_store)

    def _fit(self, data: kr.RatingMatrix) -> None:
        if int(self.k) < 1:
            raise ValueError(f"k must be >= 1, got {self.k}")
        if self.similarity not in ("pearson", "cosine", "pearson_baseline"):
            raise ValueError(f"unknown similarity {self.similarity!r}")
        if self.baseline not in _BASELINES:
            raise ValueError(f"unknown baseline {self.baseline!r}")
        if self.fallback not in _BASELINES:
            raise ValueError(f"unknown fallback {self.fallback!r}")
        if float(self.damping) < 0:
            raise ValueError(f"damping must be >= 0, got {self.damping}")
        top_k = self._similarity_top_k(data.shape[0])
        if self._uses_baseline() or self.similarity == "pearson_baseline":
            b_u, b_i = kr.baseline_als(data)
        else:
            b_u, b_i = np.zeros(data.shape[0]), np.zeros(data.shape[1])
        values = kr.centred_values(
            data, user_based=True, kind=self.similarity, b_u=b_u, b_i=b_i
        )
        self.similarity_ = kr.similarity_matrix(
            values,
            kind=self.similarity,
            min_support=int(self.min_support),
            shrinkage=float(self.shrinkage),
            top_k=top_k,
        )
        self.user_means_ = kr.row_means(data.ratings)
        self.user_bias_, self.item_bias_ = b_u, b_i

    def _estimate(self, users, items):
        if self.baseline == "baseline":
            mu, b_u, b_i = self.global_mean_, self.user_bias_, self.item_bias_
            base = mu + b_u[users] + b_i[items]

            def offset(nb, ys):
                return mu + b_u[nb] + b_i[ys]
        else:
            base = self.user_means_[users]

            def offset(nb, ys):
                return self.user_means_[nb]

        est, actual = kr.knn_estimate(
            sim=self.similarity_,
            targets_x=users,
            targets_y=items,
            y_major=self.ratings_.T.tocsr(),
            y_order=self.order_.T.tocsr(),
            base=base,
            neighbour_offset=offset,
            k=int(self.k),
            min_k=int(self.min_k),
            damping=float(self.damping),
        )
        impossible = actual < int(self.min_k)
        fallback = "baseline" if self._uses_baseline() else "user mean"
        if self.fallback == "baseline" and self.baseline == "mean":
            est[impossible] = (
                self.global_mean_
                + self.user_bias_[users[impossible]]
                + self.item_bias_[items[impossible]]
            )
        r = self.ratings_
        counts = np.diff(r.indptr)
        spread = np.zeros(len(counts))
        rows = np.flatnonzero(counts > 0)
        starts = r.indptr[rows]
        spread[rows] = np.maximum.reduceat(r.data, starts) - np.minimum.reduceat(
            r.data, starts
        )
        reasons = []
        for user, flag in zip(users, impossible, strict=True):
            if not flag:
                reasons.append("")
            elif counts[user] == 1:
                reasons.append(f"user has a single rating: {fallback}")
            elif spread[user] == 0:
                reasons.append(f"user ratings have zero variance: {fallback}")
            else:
                reasons.append(f"no similar user rated the item: {fallback}")
        return est, impossible, reasons

    def _state(self):
        sim = self.similarity_
        stored = (
            {"sim_data": sim.data, "sim_indices": sim.indices, "sim_indptr": sim.indptr}
            if sp.issparse(sim)
            else {"similarity_": sim}
        )
        return {
            **super()._state(),
            **stored,
            "user_means_": self.user_means_,
            "user_bias_": self.user_bias_,
            "item_bias_": self.item_bias_,
        }

    def _restore(self, arrays) -> None:
        super()._restore(arrays)
        for name in ("user_means_", "user_bias_", "item_bias_"):
            setattr(self, name, arrays[name])
        if "sim_data" in arrays:
            n = self.n_users_
            self.similarity_ = sp.csr_matrix(
                (arrays["sim_data"], arrays["sim_indices"], arrays["sim_indptr"]),
                shape=(n, n),
            )
        else:
            self.similarity_ = arrays["similarity_"]


__all__ = ["ItemKNN", "MemoryBudgetError", "UserKNN", "topk_cosine", "top_n"]
