"""Per-product cycle service levels that keep an aggregate target (numpy, no Django).

The shop sets one target cycle service level (CSL, P(no stock-out in a replenishment
cycle)), say 0.95. A CSL counts cycles, product by product; the fill rate counts
units. Giving every product the same CSL spends the same "risk" on a product that
sells 3 units a week and on one whose wholesale orders run to hundreds, so most of
the lost units come from a few high-volume, lumpy products (issue 18.5: 19-22 of
300 products lose 80 % of them). The standard remedy is a service level by product
class (ABC: A items 0.99, B 0.95, C 0.90); :func:`allocate_service_levels` derives
the classes instead of guessing them: it chooses per-product CSLs ``q_i`` that
minimise the expected lost units

    sum_i w_i G(z_i),  z_i = Phi^-1(q_i),  G(z) = phi(z) - z (1 - Phi(z))

subject to the aggregate target ``mean_i q_i = target`` and ``lower <= q_i <=
upper``, where ``w_i`` is the product's spread of demand over its protection
interval per trading day (units/day: its expected lost units per day at a standard
normal loss of 1). With a multiplier ``lambda`` the first-order condition is

    w_i (1 - Phi(z_i)) = lambda phi(z_i),  i.e.  M(z_i) = lambda / w_i

with Mills' ratio ``M(z) = (1 - Phi(z)) / phi(z)`` (decreasing), so ``q_i`` rises
with ``w_i``: high-volume, volatile products get the high levels, slow ones the low
ones (an ABC split whose thresholds follow from the target and the bounds), and
``lambda`` is found by bisection so the mean is the target. The mean CSL over
products stays the shop's target; the fill rate rises because the products that
carry the units are the ones protected more.

References
----------
Silver, Pyke & Thomas, Inventory and Production Management in Supply Chains, 4th ed.
(2017) 6.9 (service levels by class; aggregate service-level and budget constraints
solved with a Lagrange multiplier, exchange curves); Teunter, Babai & Syntetos, "ABC
classification: service levels and inventory costs", POMS 19(3) (2010) 343-352
(class service levels set to minimise cost under an aggregate fill-rate target).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri

_Z_LOW, _Z_HIGH = -8.0, 8.0


def _mills(z: np.ndarray) -> np.ndarray:
    """``(1 - Phi(z)) / phi(z)``, computed stably as ``ndtr(-z) / phi(z)``."""
    return ndtr(-z) * np.sqrt(2 * np.pi) * np.exp(0.5 * z * z)


def _z_for_ratio(ratio: np.ndarray, z_lo: float, z_hi: float) -> np.ndarray:
    """``z`` in ``[z_lo, z_hi]`` with ``M(z) = ratio`` (clipped at the ends)."""
    lo = np.full(ratio.shape, z_lo)
    hi = np.full(ratio.shape, z_hi)
    for _ in range(60):  # M is decreasing: bisection to ~1e-17 of the range
        mid = 0.5 * (lo + hi)
        above = _mills(mid) > ratio
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    return 0.5 * (lo + hi)


def allocate_service_levels(
    weights, *, target: float, lower: float, upper: float
) -> np.ndarray:
    """Per-product cycle service levels of mean ``target`` minimising lost units.

    Parameters
    ----------
    weights : array of shape (n,), units per trading day, >= 0: each product's
        demand spread over its protection interval divided by the days between its
        orders (the review period), so ``w_i G(z_i)`` is its expected lost units per
        trading day. A product with weight 0 gets ``lower``, or what the others
        leave of the target when they are all at ``upper``.
    target : float in (0, 1), the aggregate cycle service level (the mean of the
        result over products).
    lower, upper : float, the range of a product's level, ``0 < lower <= target <=
        upper < 1``.

    Returns
    -------
    ndarray of shape (n,), cycle service levels in ``[lower, upper]`` whose mean is
    ``target`` (to 1e-9), non-decreasing in the weight among products of positive
    weight; all ``target`` when every weight is equal.

    Raises
    ------
    ValueError
        Weights negative, not finite or not 1-D, or the bounds not around the
        target inside (0, 1).
    """
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be a 1-D array of finite numbers >= 0")
    if not 0 < lower <= target <= upper < 1:
        raise ValueError(
            "need 0 < lower <= target <= upper < 1, got "
            f"lower={lower}, target={target}, upper={upper}"
        )
    if w.size == 0:
        return np.zeros(0)
    if np.ptp(w) == 0 or lower == upper:
        return np.full(w.size, float(target))
    z_lo, z_hi = float(ndtri(lower)), float(ndtri(upper))
    positive = w > 0
    scale = float(np.max(w))

    def levels(log_lam: float) -> np.ndarray:
        q = np.full(w.size, float(lower))
        ratio = np.exp(log_lam) * scale / w[positive]
        q[positive] = ndtr(_z_for_ratio(ratio, z_lo, z_hi))
        return q

    # mean level falls as lambda rises: bracket in log(lambda) and bisect
    lo, hi = -60.0, 60.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if levels(mid).mean() > target:
            lo = mid
        else:
            hi = mid
    q = levels(0.5 * (lo + hi))
    # the last bit of the bisection, spread over the interior products only
    gap = target - q.mean()
    inside = (q > lower + 1e-12) & (q < upper - 1e-12)
    if abs(gap) > 1e-12 and inside.any():
        q[inside] = np.clip(q[inside] + gap * w.size / inside.sum(), lower, upper)
    # every product that can lose units at ``upper`` and still short of the target:
    # the products that lose none (weight 0) take the rest, at no cost in units
    gap = target - q.mean()
    if gap > 1e-12 and (~positive).any():
        idle = ~positive
        q[idle] = np.clip(q[idle] + gap * w.size / idle.sum(), lower, upper)
    return q
