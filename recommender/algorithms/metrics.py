"""Accuracy metrics for rating prediction and top-N recommendation (numpy only).

Top-N metrics take the recommended ids ``(b, k)`` (``-1`` pads) and the held-out
relevant items as a CSR matrix with one row per recommended user. Definitions follow
the common offline-evaluation conventions (e.g. Järvelin & Kekäläinen 2002 for
NDCG with binary gains; recall over all held-out items, AP normalised by
min(|T|, k) as in the ``ml_metrics``/Kaggle MAP@k).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def rmse(y_true, y_pred) -> float:
    """Root mean squared error, sqrt(mean((y - ŷ)^2)); arrays of shape (m,)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def mae(y_true, y_pred) -> float:
    """Mean absolute error, mean(|y - ŷ|); arrays of shape (m,)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)))


def _pair(a, b) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape or a.size == 0:
        raise ValueError(
            f"need two equally long non-empty arrays, got {a.shape} {b.shape}"
        )
    return a, b


def hit_matrix(ids: np.ndarray, relevant: sp.csr_matrix) -> np.ndarray:
    """Boolean (b, k): is ``ids[r, j]`` among the relevant items of row ``r``."""
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 2 or ids.shape[0] != relevant.shape[0]:
        raise ValueError(
            f"ids must be (b, k) with b = relevant rows ({relevant.shape[0]}), "
            f"got {ids.shape}"
        )
    relevant = sp.csr_matrix(relevant)
    n_cols = relevant.shape[1]
    rows = np.repeat(np.arange(relevant.shape[0]), np.diff(relevant.indptr))
    keys = np.sort(rows * n_cols + relevant.indices.astype(np.int64))
    query = np.arange(ids.shape[0])[:, None] * n_cols + ids
    pos = np.searchsorted(keys, query)
    found = keys[np.minimum(pos, max(len(keys) - 1, 0))] == query if len(keys) else 0
    return (ids >= 0) & np.asarray(found, dtype=bool)


def per_row_metrics(
    ids: np.ndarray, relevant: sp.csr_matrix, *, k: int = 10
) -> dict[str, np.ndarray]:
    """Top-``k`` metrics of each row: the terms :func:`ranking_metrics` averages.

    Parameters
    ----------
    ids : int array (b, >= k), recommended items best first, ``-1`` pads.
    relevant : csr (b, n_items_all), non-zero = held-out relevant item.

    Returns
    -------
    dict of float arrays (b,): ``precision@k``, ``recall@k``, ``ndcg@k``,
    ``map@k``, ``hit@k``; rows without a relevant item score 0 (averages and
    standard errors should use only the rows with one).

    Raises
    ------
    ValueError
        Shapes disagree or ``k`` < 1.
    """
    if int(k) < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    relevant = sp.csr_matrix(relevant)
    ids = np.asarray(ids, dtype=np.int64)[:, :k]
    n_rel = np.diff(relevant.indptr)
    hits = hit_matrix(ids, relevant).astype(np.float64)
    ranks = np.arange(ids.shape[1])
    discount = 1.0 / np.log2(ranks + 2.0)
    dcg = hits @ discount
    ideal_len = np.minimum(n_rel, k)
    cum_discount = np.concatenate([[0.0], np.cumsum(1.0 / np.log2(np.arange(k) + 2.0))])
    idcg = cum_discount[ideal_len]
    n_hits = hits.sum(axis=1)
    precision_at = np.cumsum(hits, axis=1) / (ranks + 1.0)
    ap = (precision_at * hits).sum(axis=1) / np.maximum(ideal_len, 1)
    safe = np.maximum(n_rel, 1)
    return {
        f"precision@{k}": n_hits / k,
        f"recall@{k}": n_hits / safe,
        f"ndcg@{k}": np.divide(dcg, idcg, out=np.zeros_like(dcg), where=idcg > 0),
        f"map@{k}": ap,
        f"hit@{k}": (n_hits > 0).astype(np.float64),
    }


def ranking_metrics(
    ids: np.ndarray,
    relevant: sp.csr_matrix,
    *,
    k: int = 10,
    spend: sp.csr_matrix | None = None,
    n_catalogue: int | None = None,
) -> dict[str, float]:
    """Mean top-``k`` metrics over the rows that have at least one relevant item.

    Parameters
    ----------
    ids : int array (b, >= k), recommended items best first, ``-1`` pads.
    relevant : csr (b, n_items_all), non-zero = held-out relevant item.
    k : int, cut-off.
    spend : csr like ``relevant``, optional, GBP spent per held-out item; gives
        ``revenue@k`` = captured spend / total held-out spend (over all rows).
    n_catalogue : int, optional, number of recommendable items, for coverage.

    Returns
    -------
    dict with ``precision@k``, ``recall@k``, ``ndcg@k``, ``map@k``, ``hit@k``,
    ``coverage@k`` (share of the catalogue recommended to anyone), ``revenue@k``,
    ``users`` (rows evaluated).

    Raises
    ------
    ValueError
        Shapes disagree or ``k`` < 1.
    """
    relevant = sp.csr_matrix(relevant)
    ids = np.asarray(ids, dtype=np.int64)[:, :k]
    evaluated = np.diff(relevant.indptr) > 0
    out = per_row_metrics(ids, relevant, k=k)
    result = {
        name: float(v[evaluated].mean()) if evaluated.any() else 0.0
        for name, v in out.items()
    }
    if n_catalogue:
        shown = np.unique(ids[evaluated][ids[evaluated] >= 0])
        result[f"coverage@{k}"] = float(len(shown) / n_catalogue)
    if spend is not None:
        spend = sp.csr_matrix(spend)
        total = float(spend.sum())
        rows = np.repeat(np.arange(ids.shape[0]), ids.shape[1])
        cols = np.where(ids >= 0, ids, 0).ravel()
        captured = np.asarray(spend[rows, cols]).ravel() * (ids.ravel() >= 0)
        result[f"revenue@{k}"] = float(captured.sum() / total) if total > 0 else 0.0
    result["users"] = int(evaluated.sum())
    return result
