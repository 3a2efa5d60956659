"""Memory guard of the served pipeline's members (issue 12.6). No Django here.

Every member of the served purchase pipeline estimates the memory it needs
*before* allocating it and compares it with a budget in bytes; over the budget it
switches to a documented alternative, or, when even that does not fit, raises
:class:`MemoryBudgetError` naming the estimate, the limit and the setting that
changes it. Never an out-of-memory kill halfway through a night's training.

============================  =======================  ===============================
member                        estimate (bytes)         over the budget
============================  =======================  ===============================
EASE (dense item-item)        28 n² (:func:`dense_     EASE on the N most popular items
NextPeriodRidge (item-item)   fit_bytes`; 44 n²), n    (most distinct customers),
                                                       N = :func:`dense_items_within`;
                                                       other items score 0 in it
item k-NN (top-k cosine)      12 n k + 24 n b, b the   smaller blocks b (same result);
                              items per dense block    error when b = 1 does not fit
ranker feature matrix         ``ROW_BYTES`` per        the trees learn from a random
                              candidate pair (upper    share of each window's
                              bound from the history)  customers (fixed seed)
ranker candidate features     ``CELL_BYTES`` per       customers in chunks (same
                              customer and item        result up to rounding)
tuning score grids            ``GRID_BYTES`` per       fewer validation customers per
                              customer and item        origin (fixed-seed sample)
============================  =======================  ===============================

The budget of the whole pipeline (``RECOMMENDER["memory_budget_mb"]``; default
``memory_budget_fraction`` of the memory available when training starts) is split
by :func:`member_budgets`: up to half to the dense item-item matrices (the fitted
ones kept across the validation origins plus one being solved; no more than they
need), then two thirds of the rest to the tuning's dense score grids and one third
to the ranker's training set and feature chunks. :func:`pipeline_plan` tells what
will switch for a given shape before anything is fitted.

The estimates count the arrays numpy allocates (float64 Gram matrix and inverse,
float32 weights kept) and are upper bounds of the working set, not of the
interpreter; the budget should leave room for the rest of the process.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

MIB = 2**20
DEFAULT_FRACTION = 0.5
# float64 Gram + float64 inverse / solution + float64 weights before the float32 copy
# (8 + 8 + 8) and the float32 weights kept (4).
DENSE_CELL_BYTES = 28
# The ridge's solve also holds the dense float64 right-hand side and LAPACK's copy.
RIDGE_CELL_BYTES = 44
# Smallest dense item set worth fitting; below it the member refuses.
MIN_DENSE_ITEMS = 100
# Fewest customers the ranker may learn from; below it the ranker refuses.
MIN_RANKER_CUSTOMERS = 20
# Candidate features: 8 float32 dense arrays (history, decays, days, scores), two
# bool masks, argpartition's float32 copy + int64 index, ranks' int64 argsorts.
CELL_BYTES = 96
# Ranker training rows: 22 float32 features stacked twice (parts, vstack), the
# trees' uint8 bins, float64 gradients / predictions and labels.
ROW_BYTES = 256
# Tuning: per origin, 5 float64 component grids while stacking, 6 float32 stacked,
# one float32 grid per tree setting (4) and the top-n work copy.
GRID_BYTES = 3 * (5 * 8 + 6 * 4 + 4 * 4 + 8)


class MemoryBudgetError(MemoryError):
    """A model would need more memory than its budget allows.

    Raised before anything large is allocated; the message names the estimate, the
    limit and the parameters that change it.
    """


def available_bytes() -> int:
    """Memory the system can give without swapping (``MemAvailable`` of
    /proc/meminfo; free physical pages elsewhere), bytes."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def budget_bytes(memory_budget_mb: float | None) -> float:
    """``memory_budget_mb`` MiB in bytes; None: :data:`DEFAULT_FRACTION` of
    :func:`available_bytes` now.

    Raises
    ------
    ValueError
        A budget <= 0.
    """
    if memory_budget_mb is None:
        return DEFAULT_FRACTION * available_bytes()
    if not float(memory_budget_mb) > 0:
        raise ValueError(f"memory_budget_mb must be > 0, got {memory_budget_mb}")
    return float(memory_budget_mb) * MIB


def dense_fit_bytes(n_items: int, cell_bytes: int = DENSE_CELL_BYTES) -> int:
    """Bytes to fit a dense item-item closed form on ``n_items`` items."""
    return int(cell_bytes) * int(n_items) ** 2


def dense_items_within(
    budget: float, n_items: int, cell_bytes: int = DENSE_CELL_BYTES
) -> int:
    """The most items (<= ``n_items``) whose dense fit takes <= ``budget`` bytes."""
    return int(min(int(n_items), math.isqrt(int(budget // int(cell_bytes)))))


def popular_items(matrix: sp.csr_matrix, n: int) -> np.ndarray:
    """Sorted int64 columns of the ``n`` items with most distinct customers
    (ties: lower column first)."""
    buyers = np.bincount(matrix.indices[matrix.data != 0], minlength=matrix.shape[1])
    order = np.lexsort((np.arange(buyers.size), -buyers))
    return np.sort(order[: int(n)]).astype(np.int64)


def dense_item_plan(
    name: str, n_items: int, budget: float, cell_bytes: int = DENSE_CELL_BYTES
) -> tuple[int, str]:
    """(items to fit, note) for a dense item-item member within ``budget`` bytes.

    The note is "" when every item fits, else it says how many are kept and why.

    Raises
    ------
    MemoryBudgetError
        Not even :data:`MIN_DENSE_ITEMS` items fit.
    """
    need = dense_fit_bytes(n_items, cell_bytes)
    if need <= budget:
        return int(n_items), ""
    keep = dense_items_within(budget, n_items, cell_bytes)
    if keep < min(MIN_DENSE_ITEMS, n_items):
        raise MemoryBudgetError(
            f"{name} needs {need / MIB:,.0f} MiB for {n_items:,} items and the "
            f"budget ({budget / MIB:,.1f} MiB) fits only {keep} items (fewer than "
            f"{MIN_DENSE_ITEMS}); raise RECOMMENDER['memory_budget_mb'] or "
            "memory_budget_mb"
        )
    return keep, (
        f"{name} on the {keep:,} most popular of {n_items:,} items (all items need "
        f"{need / MIB:,.0f} MiB > budget {budget / MIB:,.0f} MiB)"
    )


def expand_columns(scores: np.ndarray, items, n_items: int) -> np.ndarray:
    """Scores of ``items`` (b, len(items)) as (b, n_items), 0 for other items."""
    if items is None:
        return scores
    out = np.zeros((scores.shape[0], int(n_items)), dtype=scores.dtype)
    out[:, items] = scores
    return out


def rows_within(budget: float, n_items: int, cell_bytes: int) -> int:
    """How many customers' dense (n_items,) rows of ``cell_bytes`` per cell fit
    in ``budget`` bytes (>= 1)."""
    return max(1, int(budget // (int(cell_bytes) * max(1, int(n_items)))))


@dataclass(frozen=True)
class MemberBudgets:
    """Bytes per member of the served pipeline (see :func:`member_budgets`).

    total : the pipeline's budget; dense : one dense item-item member;
    ranker : the ranker's training set and feature chunks; grids : the tuning's
    dense score grids over all origins.
    """

    total: float
    dense: float
    ranker: float
    grids: float


def member_budgets(
    total: float, *, dense_alive: int, n_items: int | None = None
) -> MemberBudgets:
    """Split ``total`` bytes between the members.

    Dense item-item members: at most half the total over ``dense_alive``
    matrices kept at once (float32, 4 n² each) plus the one being solved
    (``RIDGE_CELL_BYTES`` n²), i.e. one member's share is
    0.5 total x 28 / (4 dense_alive + 24); with ``n_items`` known, no more than
    the largest member needs for all of them. What the dense members leave goes
    two thirds to the tuning's score grids and one third to the ranker (whose
    training set is a few hundred bytes per candidate pair). Without ``n_items``
    the rest is split equally.

    Raises
    ------
    ValueError
        ``total`` <= 0 or ``dense_alive`` < 1.
    """
    if not total > 0 or int(dense_alive) < 1:
        raise ValueError("total must be > 0 and dense_alive >= 1")
    alive = int(dense_alive)
    dense = 0.5 * total * DENSE_CELL_BYTES / (4 * alive + 24)
    if n_items is None:
        return MemberBudgets(float(total), dense, 0.25 * total, 0.25 * total)
    dense = min(dense, float(dense_fit_bytes(n_items, RIDGE_CELL_BYTES)))
    keep = dense_items_within(dense, n_items)
    rest = max(0.0, total - (4 * alive + RIDGE_CELL_BYTES) * keep**2)
    return MemberBudgets(float(total), dense, rest / 3, 2 * rest / 3)


def knn_block_size(
    n_items: int, k: int, budget: float, *, shrinkage: bool, largest: int = 1024
) -> int:
    """Items per dense block of :func:`~.knn.topk_cosine` within ``budget`` bytes.

    Kept: 12 n k bytes (float32 values, int64 columns); per block row, 24 n bytes
    (float64 products, the negated copy argpartition sorts, its int64 indices;
    32 n with shrinkage's co-buyer counts). The block size does not change the
    result.

    Raises
    ------
    MemoryBudgetError
        Not even one item per block fits.
    """
    n, k = int(n_items), min(int(k), int(n_items))
    kept = 12 * n * k
    per_row = (32 if shrinkage else 24) * max(n, 1)
    block = int((budget - kept) // per_row)
    if block < 1:
        raise MemoryBudgetError(
            f"item k-NN needs {(kept + per_row) / MIB:,.0f} MiB for {n:,} items "
            f"with k={k} (the neighbour lists alone {kept / MIB:,.0f} MiB); the "
            f"budget is {budget / MIB:,.1f} MiB: lower k or raise "
            "RECOMMENDER['memory_budget_mb'] or memory_budget_mb"
        )
    return min(int(largest), block)


def pipeline_plan(
    shape: tuple[int, int],
    total: float,
    *,
    origins: int = 3,
    ridge_grid: int = 3,
    max_users: int = 3000,
    knn_k: int = 100,
) -> list[str]:
    """What the guard will do for a purchase matrix of ``shape`` within ``total``
    bytes, before anything is fitted: one line per member (the same rules the
    members apply; the ranker's share depends on the histories, so it is given
    as the number of candidate pairs that fit).

    Raises
    ------
    ValueError
        ``total`` <= 0.
    """
    n_users, n_items = (int(x) for x in shape)
    budgets = member_budgets(
        total, dense_alive=int(origins) * (1 + int(ridge_grid)), n_items=n_items
    )
    out = [
        f"budget {total / MIB:,.0f} MiB for {n_users:,} customers x {n_items:,} items"
    ]
    for name, cell in (("EASE", DENSE_CELL_BYTES), ("ridge", RIDGE_CELL_BYTES)):
        keep = dense_items_within(budgets.dense, n_items, cell)
        out.append(
            f"{name}: {min(keep, n_items):,} of {n_items:,} items "
            f"({budgets.dense / MIB:,.0f} MiB each)"
            + ("" if keep >= MIN_DENSE_ITEMS or keep >= n_items else ": REFUSED")
        )
    try:
        block = knn_block_size(n_items, knn_k, budgets.dense, shrinkage=False)
        out.append(f"item k-NN: blocks of {block:,} items")
    except MemoryBudgetError:
        out.append("item k-NN: REFUSED")
    out.append(
        f"ranker: up to {int(budgets.ranker // ROW_BYTES):,} candidate pairs, "
        f"features in chunks of "
        f"{rows_within(budgets.ranker, n_items, CELL_BYTES):,} customers"
    )
    users = min(int(max_users), rows_within(budgets.grids, n_items, GRID_BYTES))
    out.append(f"tuning: {users:,} validation customers per origin")
    return out
