"""TIFU-KNN: personal item frequency plus nearest-neighbour customers (numpy/scipy).

Next-basket recommendation from each customer's *personal item frequency* (PIF):
a time-decayed average of the customer's basket vectors, blended with the mean PIF
of the most similar customers. No Django here.

For a customer with baskets b_1 .. b_n (0/1 item vectors, oldest first), cut the
sequence into k = ceil(n / m) groups of ``m`` consecutive baskets, aligned on the
most recent basket (the oldest group may hold fewer). Within a group g of |g|
baskets (position j = 1 .. |g|, oldest first)

    v_g = (1 / |g|) Σ_j r_b ** (|g| - j) b_j                    (within-group decay)

and across the groups (i = 1 .. k, oldest first)

    u = (1 / k) Σ_i r_g ** (k - i) v_i                          (across-group decay)

Prediction, with N(u) the ``n_neighbors`` customers nearest to u by cosine of
their PIF vectors (only those with similarity > 0 count):

    p_u = alpha * u + (1 - alpha) * mean_{v in N(u)} v.

Measured on the issue-3 Online Retail split (benchmarks/recommender.py; r_b, r_g,
m, k, alpha from ``TIFU_GRID`` chosen per variant on the 2011-06-01 validation
window; one test run): alone, NDCG@10 "all" 0.4196 validation / 0.3915 test
(r_b .9, r_g .6, m 15, k 100, alpha .5; buy-again x repeat rate 0.393), "new"
0.1321 / 0.1066 (EASE 0.124). As a sixth blend member (weight tuned with the
others): "all" 0.4266 -> 0.4293 validation but 0.3994 -> 0.3988 test; "new"
0.1626 -> 0.1628, 0.1304 -> 0.1299; EASE + next-period 0.1604 -> 0.1607, 0.1346 ->
0.1348. Close to buy-again and the blend, but it adds nothing they do not have.

References
----------
Hu, He, Li, Wang, Pan & Zhang, "Modeling personalized item frequency information
for next-basket recommendation", SIGIR 2020 (TIFU-KNN).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recommender.algorithms.base import Recommender, as_csr


def pif_vectors(
    users,
    baskets,
    items,
    dates,
    *,
    shape: tuple[int, int],
    within_decay: float = 0.9,
    group_decay: float = 0.7,
    group_size: int = 7,
) -> sp.csr_matrix:
    """Personal item frequency vectors of TIFU-KNN (formulas in the module doc).

    Parameters
    ----------
    users, baskets, items : int or str arrays (m,), one entry per basket line
        (customer inner id, basket key such as the invoice number, item inner id);
        duplicate lines of one item in one basket count once.
    dates : datetime64 array-like (m,), the basket's time (orders the baskets;
        ties broken by basket key).
    shape : (n_users, n_items)
    within_decay : float in (0, 1], r_b.
    group_decay : float in (0, 1], r_g.
    group_size : int >= 1, m, baskets per group.

    Returns
    -------
    csr (n_users, n_items) float32; customers without baskets get an empty row.

    Raises
    ------
    ValueError
        Decays outside (0, 1], ``group_size`` < 1, arrays of different lengths,
        or ids outside ``shape``.
    """
    for name, value in (("within_decay", within_decay), ("group_decay", group_decay)):
        if not 0.0 < float(value) <= 1.0:
            raise ValueError(f"{name} must be in (0, 1], got {value}")
    if int(group_size) < 1:
        raise ValueError(f"group_size must be >= 1, got {group_size}")
    columns = {
        "u": np.asarray(users),
        "b": np.asarray(baskets),
        "i": np.asarray(items),
        "t": pd.to_datetime(np.asarray(dates)),
    }
    if len({len(v) for v in columns.values()}) > 1:
        raise ValueError("users, baskets, items and dates must have the same length")
    frame = pd.DataFrame(columns)
    if len(frame) == 0:
        return sp.csr_matrix(shape, dtype=np.float32)
    u, i = frame["u"].to_numpy(np.int64), frame["i"].to_numpy(np.int64)
    if u.min() < 0 or u.max() >= shape[0] or i.min() < 0 or i.max() >= shape[1]:
        raise ValueError(f"user or item ids outside shape {shape}")
    frame = frame.drop_duplicates(["u", "b", "i"])
    order = frame.groupby(["u", "b"], sort=False)["t"].min().reset_index()
    order = order.sort_values(["u", "t", "b"], kind="stable")
    n_u = order.groupby("u")["b"].transform("size").to_numpy()
    back = n_u - 1 - order.groupby("u").cumcount().to_numpy()  # 0 = most recent
    m = int(group_size)
    group, pos = back // m, back % m  # group 0 = most recent; pos 0 = its newest
    n_groups = -(-n_u // m)
    size = np.where(group == n_groups - 1, n_u - (n_groups - 1) * m, m)
    order["w"] = (
        float(within_decay) ** pos / size * float(group_decay) ** group / n_groups
    )
    frame = frame.merge(order[["u", "b", "w"]], on=["u", "b"])
    return sp.csr_matrix(
        (
            frame["w"].to_numpy(np.float32),
            (frame["u"].to_numpy(np.int64), frame["i"].to_numpy(np.int64)),
        ),
        shape=shape,
    )


def _row_normalised(matrix: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return sp.csr_matrix(sp.diags(scale) @ matrix)


class TIFUKNN(Recommender):
    """TIFU-KNN on PIF vectors (:func:`pif_vectors`; formulas in the module doc).

    ``fit`` stores the PIF vectors of the neighbour pool (every customer);
    ``score(user_ids, user_items)`` takes the PIF vectors of the customers to score
    (``user_items``, same inner ids as the pool): alpha times the customer's own
    PIF plus (1 - alpha) times the mean PIF of its ``n_neighbors`` nearest pool
    customers by cosine (itself excluded, similarities <= 0 ignored). A customer
    with an empty PIF gets zeros. The PIF parameters are kept here so that
    :meth:`pif` builds the input the model was tuned with.

    Parameters
    ----------
    alpha : float in [0, 1], weight of the customer's own PIF.
    n_neighbors : int >= 1, k.
    within_decay, group_decay : float in (0, 1]; group_size : int >= 1
        (see :func:`pif_vectors`).
    batch_size : int, customers per similarity block (memory batch_size x n_pool).

    Attributes
    ----------
    pool_ : csr (n_pool, n_items) float32, the fitted PIF vectors.

    References
    ----------
    Hu et al., SIGIR 2020 (TIFU-KNN).
    """

    name = "tifu_knn"

    def __init__(
        self,
        *,
        alpha: float = 0.9,
        n_neighbors: int = 300,
        within_decay: float = 0.9,
        group_decay: float = 0.7,
        group_size: int = 7,
        batch_size: int = 1024,
    ):
        self.alpha = alpha
        self.n_neighbors = n_neighbors
        self.within_decay = within_decay
        self.group_decay = group_decay
        self.group_size = group_size
        self.batch_size = batch_size

    def pif(self, users, baskets, items, dates, *, shape) -> sp.csr_matrix:
        """:func:`pif_vectors` with this model's decays and group size."""
        return pif_vectors(
            users,
            baskets,
            items,
            dates,
            shape=shape,
            within_decay=self.within_decay,
            group_decay=self.group_decay,
            group_size=self.group_size,
        )

    def fit(self, user_items) -> TIFUKNN:
        """Keep ``user_items`` (PIF vectors, csr (n_pool, n_items)) as the pool.

        Raises
        ------
        ValueError
            alpha outside [0, 1], ``n_neighbors`` < 1 or negative values.
        """
        if not 0.0 <= float(self.alpha) <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {self.alpha}")
        if int(self.n_neighbors) < 1:
            raise ValueError(f"n_neighbors must be >= 1, got {self.n_neighbors}")
        pool = as_csr(user_items)
        if pool.nnz and pool.data.min() < 0:
            raise ValueError("user_items (PIF vectors) must be non-negative")
        self.pool_ = pool
        self.n_items_ = pool.shape[1]
        return self

    def neighbour_mean(self, user_ids, user_items) -> np.ndarray:
        """Mean PIF of each customer's nearest pool customers; (b, n_items)."""
        users = np.asarray(user_ids, dtype=np.int64)
        rows = as_csr(user_items)[users]
        if rows.shape[1] != self.n_items_:
            raise ValueError(
                f"user_items has {rows.shape[1]} items, model has {self.n_items_}"
            )
        pool_unit = _row_normalised(self.pool_).T.tocsr()
        query = _row_normalised(rows)
        k = min(int(self.n_neighbors), self.pool_.shape[0])
        out = np.zeros((len(users), self.n_items_))
        for start in range(0, len(users), int(self.batch_size)):
            stop = min(start + int(self.batch_size), len(users))
            sims = np.asarray((query[start:stop] @ pool_unit).todense())
            own = users[start:stop]
            inside = own < sims.shape[1]
            sims[np.flatnonzero(inside), own[inside]] = -np.inf  # never itself
            near = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            keep = np.take_along_axis(sims, near, axis=1) > 0
            count = np.maximum(keep.sum(axis=1), 1)
            r = np.repeat(np.arange(stop - start), k)[keep.ravel()]
            pick = sp.csr_matrix(
                ((1.0 / count)[r], (r, near.ravel()[keep.ravel()])),
                shape=(stop - start, self.pool_.shape[0]),
            )
            out[start:stop] = (pick @ self.pool_).toarray()
        return out

    def score(self, user_ids, user_items) -> np.ndarray:
        users = np.asarray(user_ids, dtype=np.int64)
        own = np.asarray(as_csr(user_items)[users].todense(), np.float64)
        alpha = float(self.alpha)
        if alpha >= 1.0:
            return own
        return alpha * own + (1.0 - alpha) * self.neighbour_mean(users, user_items)

    def _state(self):
        pool = self.pool_
        return {
            **super()._state(),
            "pool.data": pool.data,
            "pool.indices": pool.indices,
            "pool.indptr": pool.indptr,
            "pool.shape": np.asarray(pool.shape),
        }

    def _restore(self, arrays) -> None:
        super()._restore(arrays)
        self.pool_ = sp.csr_matrix(
            (arrays["pool.data"], arrays["pool.indices"], arrays["pool.indptr"]),
            shape=tuple(int(s) for s in arrays["pool.shape"]),
        )
