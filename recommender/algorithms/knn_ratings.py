"""Neighbourhood CF for explicit ratings: similarities and the k-NN prediction rule.

Vectorised numpy/scipy (no Python loop per rating). Conventions follow Surprise
(Hug 2020, ``surprise.prediction_algorithms.knns``) so that at equal settings our
predictions equal ``KNNWithMeans`` / ``KNNBaseline``:

* similarities over the **common** support of two rows (co-rated items for users,
  co-raters for items), as in ``surprise.similarities``;
* the ``k`` neighbours are the ``k`` most similar among those who rated the target
  (ties broken by training order, as ``heapq.nlargest``); only positive
  similarities contribute; fewer than ``min_k`` contributors gives the mean/baseline.

References
----------
Herlocker, Konstan, Borchers & Riedl, "An algorithmic framework for performing
collaborative filtering", SIGIR 1999 (Pearson, mean-centred prediction, significance
weighting); Sarwar et al., WWW 2001 (adjusted cosine); Koren, "Factor in the
neighbors", ACM TKDD 4(1), 2010 (baseline predictors, shrunk pearson_baseline).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

SIMILARITIES = ("pearson", "cosine", "adjusted_cosine", "pearson_baseline")
_CELLS = 4_000_000  # dense cells per working block


@dataclass
class RatingMatrix:
    """Training ratings as CSR (n_users, n_items) plus the training order.

    ``order`` holds 1 + the training row of each rating (same sparsity as
    ``ratings``); it breaks ties between equally similar neighbours the way
    Surprise does.
    """

    ratings: sp.csr_matrix
    order: sp.csr_matrix
    global_mean: float
    low: float
    high: float

    @property
    def shape(self) -> tuple[int, int]:
        return self.ratings.shape


def rating_matrix(users, items, ratings, *, n_users=None, n_items=None) -> RatingMatrix:
    """Validate (user, item, rating) triples and build a :class:`RatingMatrix`.

    Raises
    ------
    ValueError
        Arrays of different lengths, empty input, negative ids, non-finite ratings,
        a duplicated (user, item) pair (named by its first row), or ratings that are
        all equal (no scale to learn: one-valued feedback such as purchases, clicks
        or likes belongs to the implicit top-N models, ``fit(user_items)``).
    """
    users = np.asarray(users, dtype=np.int64).ravel()
    items = np.asarray(items, dtype=np.int64).ravel()
    values = np.asarray(ratings, dtype=np.float64).ravel()
    if not (len(users) == len(items) == len(values)):
        raise ValueError("users, items and ratings must be equally long")
    if len(values) == 0:
        raise ValueError("no ratings to fit")
    if users.min() < 0 or items.min() < 0:
        raise ValueError("user and item ids must be >= 0")
    if not np.all(np.isfinite(values)):
        bad = int(np.flatnonzero(~np.isfinite(values))[0])
        raise ValueError(f"rating at row {bad} is not finite")
    if values.min() == values.max():
        raise ValueError(
            f"all {len(values):,} ratings equal {values[0]:g}: an explicit-rating "
            "model needs at least two distinct rating values to learn a scale (it "
            f"would predict {values[0]:g} for everything). For one-valued feedback "
            "(purchases, clicks, likes) use implicit mode: a top-N model fitted on "
            "the interaction matrix, fit(user_items) (e.g. ItemKNN, ImplicitALS, "
            "EASE)."
        )
    n_users = int(users.max()) + 1 if n_users is None else int(n_users)
    n_items = int(items.max()) + 1 if n_items is None else int(n_items)
    keys = users * n_items + items
    uniq, first = np.unique(keys, return_index=True)
    if len(uniq) != len(keys):
        dup = np.setdiff1d(np.arange(len(keys)), first)[0]
        raise ValueError(f"duplicate (user, item) pair at row {int(dup)}")
    shape = (n_users, n_items)
    matrix = sp.csr_matrix((values, (users, items)), shape=shape)
    order = sp.csr_matrix(
        (np.arange(1, len(values) + 1, dtype=np.float64), (users, items)), shape=shape
    )
    return RatingMatrix(
        ratings=matrix,
        order=order,
        global_mean=float(values.mean()),
        low=float(values.min()),
        high=float(values.max()),
    )


def row_means(matrix: sp.csr_matrix) -> np.ndarray:
    """Mean of the stored values of each row (0 for empty rows)."""
    counts = np.diff(matrix.indptr)
    sums = np.asarray(matrix.sum(axis=1)).ravel()
    return np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)


def baseline_als(
    data: RatingMatrix, *, n_epochs: int = 10, reg_u: float = 15.0, reg_i: float = 10.0
) -> tuple[np.ndarray, np.ndarray]:
    """User and item biases b_u, b_i by alternating least squares.

    b_i = sum_{u in U_i} (r_ui - mu - b_u) / (reg_i + |U_i|), then
    b_u = sum_{i in I_u} (r_ui - mu - b_i) / (reg_u + |I_u|), ``n_epochs`` times
    (Koren 2010, section 2.1; Surprise ``baseline_als``, same defaults).

    Returns
    -------
    b_u : float64 (n_users,), b_i : float64 (n_items,)
    """
    r = data.ratings
    mu = data.global_mean
    rows = np.repeat(np.arange(r.shape[0]), np.diff(r.indptr))
    cols = r.indices
    n_u = np.bincount(rows, minlength=r.shape[0])
    n_i = np.bincount(cols, minlength=r.shape[1])
    b_u = np.zeros(r.shape[0])
    b_i = np.zeros(r.shape[1])
    for _ in range(int(n_epochs)):
        b_i = np.bincount(cols, r.data - mu - b_u[rows], minlength=r.shape[1]) / (
            reg_i + n_i
        )
        b_u = np.bincount(rows, r.data - mu - b_i[cols], minlength=r.shape[0]) / (
            reg_u + n_u
        )
    return b_u, b_i


def _dense(product) -> np.ndarray:
    return product.toarray() if sp.issparse(product) else np.asarray(product)


def similarity_rows(
    values: sp.csr_matrix,
    start: int,
    stop: int,
    *,
    kind: str,
    min_support: int = 1,
    shrinkage: float = 0.0,
) -> np.ndarray:
    """Rows ``start:stop`` of the x-x similarity over common support, dense.

    Parameters
    ----------
    values : csr (n_x, n_y); stored entries are the observations (already centred
        for "adjusted_cosine"/"pearson_baseline"; explicit zeros count as observed).
    kind : one of ``SIMILARITIES``.
    min_support : pairs with fewer common observations get 0
        (at least 2 for "pearson_baseline", as Surprise).
    shrinkage : multiply by (n - 1) / (n - 1 + shrinkage) (Koren 2010) when > 0.

    Returns
    -------
    float64 array (stop - start, n_x); the diagonal block entries are 1.
    """
    binary = values.copy()
    binary.data = np.ones_like(binary.data)
    squared = values.copy()
    squared.data = squared.data**2
    block_v, block_b, block_sq = (
        values[start:stop],
        binary[start:stop],
        squared[start:stop],
    )
    freq = _dense(block_b @ binary.T)
    prods = _dense(block_v @ values.T)
    sq_i = _dense(block_sq @ binary.T)
    sq_j = _dense(block_b @ squared.T)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "pearson":
            s_i = _dense(block_v @ binary.T)
            s_j = _dense(block_b @ values.T)
            num = freq * prods - s_i * s_j
            den = np.sqrt((freq * sq_i - s_i**2) * (freq * sq_j - s_j**2))
        else:
            num = prods
            den = np.sqrt(sq_i * sq_j)
        sim = np.where(den > 0, num / den, 0.0)
    support = max(int(min_support), 2) if kind == "pearson_baseline" else min_support
    sim[freq < support] = 0.0
    if shrinkage > 0:
        sim *= np.maximum(freq - 1, 0) / (np.maximum(freq - 1, 0) + float(shrinkage))
    local = np.arange(stop - start)
    sim[local, start + local] = 1.0
    return sim


def centred_values(
    data: RatingMatrix, *, user_based: bool, kind: str, b_u=None, b_i=None
) -> sp.csr_matrix:
    """The x-major matrix whose rows are compared (x = users if ``user_based``).

    "pearson"/"cosine": raw ratings; "adjusted_cosine": ratings minus the mean of
    the *other* side (user means for item-item, Sarwar 2001); "pearson_baseline":
    r - (mu + b_u + b_i).
    """
    r = data.ratings.tocoo()
    vals = r.data.copy()
    if kind == "adjusted_cosine":
        means = (
            row_means(data.ratings)
            if not user_based
            else row_means(data.ratings.T.tocsr())
        )
        vals -= means[r.row] if not user_based else means[r.col]
    elif kind == "pearson_baseline":
        vals -= data.global_mean + b_u[r.row] + b_i[r.col]
    # explicit zeros are kept by scipy: a rating equal to the mean is an observation
    if user_based:
        return sp.csr_matrix((vals, (r.row, r.col)), shape=r.shape)
    return sp.csr_matrix((vals, (r.col, r.row)), shape=(r.shape[1], r.shape[0]))


_WORK_ARRAYS = 12  # float64 block arrays alive at once in similarity_rows
_SPARSE_ENTRY_BYTES = 48  # COO triplets while building, then the CSR copy


def similarity_memory_bytes(n_x: int, *, top_k: int | None = None) -> int:
    """Estimated peak memory of :func:`similarity_matrix` for ``n_x`` rows, bytes.

    Dense (``top_k=None``): the float64 (n_x, n_x) result, 8 * n_x**2, plus the
    working block (about 12 float64 arrays of ``min(n_x**2, max(_CELLS, n_x))``
    cells). Sparse top-k: about 48 bytes per stored entry (n_x * top_k entries)
    plus the same working block.
    """
    n = int(n_x)
    work = _WORK_ARRAYS * 8 * min(n * n, max(_CELLS, n))
    if top_k is None:
        return 8 * n * n + work
    return _SPARSE_ENTRY_BYTES * n * min(int(top_k), n) + work


def similarity_matrix(
    values: sp.csr_matrix,
    *,
    kind: str,
    min_support: int = 1,
    shrinkage: float = 0.0,
    top_k: int | None = None,
) -> np.ndarray | sp.csr_matrix:
    """Full dense x-x similarity (``top_k=None``) or the sparse top-``k`` per row.

    Memory: ``n_x**2`` floats dense, ``n_x * top_k`` sparse (plus one working block);
    :func:`similarity_memory_bytes` estimates it before anything is allocated.
    """
    n = values.shape[0]
    block = max(1, min(n, _CELLS // max(n, 1)))
    if top_k is None:
        out = np.empty((n, n))
        for start in range(0, n, block):
            stop = min(n, start + block)
            out[start:stop] = similarity_rows(
                values,
                start,
                stop,
                kind=kind,
                min_support=min_support,
                shrinkage=shrinkage,
            )
        return out
    k = int(min(top_k, n))
    rows, cols, vals = [], [], []
    for start in range(0, n, block):
        stop = min(n, start + block)
        sim = similarity_rows(
            values, start, stop, kind=kind, min_support=min_support, shrinkage=shrinkage
        )
        local = np.arange(stop - start)
        sim[local, start + local] = 0.0
        part = np.argpartition(-sim, k - 1, axis=1)[:, :k]
        pv = np.take_along_axis(sim, part, axis=1)
        keep = pv > 0
        rows.append(np.repeat(start + local, keep.sum(axis=1)))
        cols.append(part[keep])
        vals.append(pv[keep])
    out = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n, n),
    )
    out.sort_indices()
    return out


def _lookup(sim, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``sim[rows, cols]`` for a dense array or a CSR matrix (absent -> 0)."""
    if not sp.issparse(sim):
        return sim[rows, cols]
    n = sim.shape[1]
    row_of = np.repeat(np.arange(sim.shape[0], dtype=np.int64), np.diff(sim.indptr))
    keys = row_of * n + sim.indices  # sorted: rows ascending, indices sorted
    query = rows.astype(np.int64) * n + cols
    pos = np.minimum(np.searchsorted(keys, query), max(len(keys) - 1, 0))
    found = keys[pos] == query if len(keys) else np.zeros(len(query), bool)
    return np.where(found, sim.data[pos] if len(keys) else 0.0, 0.0)


def knn_estimate(
    *,
    sim,
    targets_x: np.ndarray,
    targets_y: np.ndarray,
    y_major: sp.csr_matrix,
    y_order: sp.csr_matrix,
    base: np.ndarray,
    neighbour_offset,
    k: int,
    min_k: int,
    damping: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """The k-NN rule: est = base + sum_k s (r - offset) / (damping + sum_k s), s > 0.

    For each target pair (x, y) the candidates are the x' that rated y; the ``k``
    most similar are chosen (ties: earlier in training order, as Surprise's
    ``heapq.nlargest``) and those with positive similarity contribute. Works on the
    candidate lists only (sparse, vectorised), never on dense rows.

    Parameters
    ----------
    sim : dense (n_x, n_x) or CSR; similarity of x to its neighbours x'.
    targets_x, targets_y : int (m,), known ids.
    y_major : csr (n_y, n_x) of ratings; y_order: same pattern, training order.
    base : float (m,), the estimate without neighbours (mean or baseline).
    neighbour_offset : callable (neighbours (c,), ys (c,)) -> (c,) what is
        subtracted from each neighbour's rating (its mean, or its baseline at y).
    k, min_k : neighbours used, contributors required.
    damping : float, >= 0, pseudo-weight of the base in the average (0: Surprise's
        rule; > 0 pulls estimates from few or weak neighbours towards the base,
        Funk 2006's damped mean).

    Returns
    -------
    estimate float64 (m,), actual_k int (m,)
    """
    m = len(targets_x)
    est = base.astype(np.float64).copy()
    actual = np.zeros(m, dtype=np.int64)
    per_target = np.diff(y_major.indptr)[targets_y]
    budget = 4 * _CELLS
    start = 0
    while start < m:
        stop = start + max(
            1, int(np.searchsorted(np.cumsum(per_target[start:]), budget))
        )
        stop = min(stop, m)
        rows = y_major[targets_y[start:stop]].tocoo()
        order = y_order[targets_y[start:stop]].tocoo()
        local, nb = rows.row, rows.col
        s = _lookup(sim, targets_x[start:stop][local], nb)
        keep = s > 0
        local, nb, s = local[keep], nb[keep], s[keep]
        rating, when = rows.data[keep], order.data[keep]
        rank_order = np.lexsort((when, -s, local))
        local, nb, s = local[rank_order], nb[rank_order], s[rank_order]
        rating = rating[rank_order]
        first = np.searchsorted(local, local, side="left")
        chosen = (np.arange(len(local)) - first) < int(k)
        local, nb, s, rating = local[chosen], nb[chosen], s[chosen], rating[chosen]
        ys = targets_y[start:stop][local]
        dev = rating - neighbour_offset(nb, ys)
        b = stop - start
        num = np.bincount(local, s * dev, minlength=b).astype(np.float64)
        den = np.bincount(local, s, minlength=b).astype(np.float64)
        cnt = np.bincount(local, minlength=b)
        ok = (cnt >= int(min_k)) & (den > 0)
        den = den + float(damping)
        est[start:stop] += np.where(
            ok, np.divide(num, den, out=np.zeros_like(num), where=den > 0), 0.0
        )
        actual[start:stop] = cnt
        start = stop
    return est, actual
