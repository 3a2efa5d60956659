"""Calibration across products of the backtest's intervals and lead-time errors.

One product's rolling-origin backtest holds few residuals (4 origins of 24 days, and
the days of one origin move together), so its empirical quantiles are too narrow for
the next window. Both helpers here pool products of the same Syntetos-Boylan demand
class, use only the backtest windows (data before the forecast origin), and fall back
to the pool of all products when a class has too few. No Django.

* :func:`interval_calibration`: split-conformal width multipliers. For each product the
  interval is built from every backtest origin but the last, exactly as
  :meth:`AutoForecaster.predict` builds it, and checked on the last origin; the
  multiplier per class and level is the smallest that makes the pooled coverage of the
  last origin reach the nominal level.
* :func:`lead_time_error_quantiles`: the ``q`` quantile of the errors of demand summed
  over ``steps`` consecutive trading days (actual - forecast, standardised by the
  product's RMS on its other backtest origins), pooled per class; safety stock =
  that quantile times the product's RMS.

References
----------
Vovk, Gammerman & Shafer, Algorithmic Learning in a Random World (2005) (split
conformal); Romano, Patterson & Candes, "Conformalized quantile regression", NeurIPS
2019 (scaling an interval to conformal coverage); Syntetos & Boylan (2005) (classes);
Silver, Pyke & Thomas (2017) ch. 6 (protection interval R + L).
"""

from __future__ import annotations

from collections.abc import Iterable
from statistics import NormalDist

import numpy as np

from .allocation import allocate_service_levels
from .backtest import AutoForecaster, conformal_bounds
from .policy import safety_stock_empirical

#: Multipliers searched (the smallest one reaching the nominal coverage is kept).
SCALE_GRID = np.round(np.arange(0.5, 5.0001, 0.01), 2)
ALL = "all"


def _errors(model: AutoForecaster) -> np.ndarray:
    if model.interval_method == "scaled":
        return model.origin_scaled_errors_
    return model.origin_errors_


def interval_calibration(
    models: Iterable[AutoForecaster],
    *,
    levels: tuple[int, ...] = (80, 95),
    min_products: int = 30,
) -> dict[str, dict[int, float]]:
    """Width multipliers ``{demand class or "all": {level: c}}`` from the backtests.

    Parameters
    ----------
    models : fitted :class:`AutoForecaster` objects; those with fewer than two
        backtest origins or fewer than 20 errors before the last origin are skipped.
    levels : central interval levels in %.
    min_products : a class with fewer usable products gets the multipliers of "all".

    Returns
    -------
    dict, every demand class seen plus "all"; a multiplier is in ``SCALE_GRID``
    (1.0 for "all" without any usable product).
    """
    pools: dict[str, list] = {}
    for model in models:
        errs = _errors(model)
        if errs.shape[0] < 2 or errs[:-1].size < 20:
            continue
        past, last = errs[:-1].ravel(), errs[-1]
        bounds = [conformal_bounds(past, lev) for lev in levels]
        row = (last, bounds)
        pools.setdefault(model.demand_class_.label, []).append(row)
        pools.setdefault(ALL, []).append(row)
    out = {ALL: {lev: 1.0 for lev in levels}}
    if ALL in pools:
        out[ALL] = _scales(pools[ALL], levels)
    for label, rows in pools.items():
        if label != ALL:
            ok = len(rows) >= min_products
            out[label] = _scales(rows, levels) if ok else dict(out[ALL])
    return out


def _scales(rows: list, levels: tuple[int, ...]) -> dict[int, float]:
    last = np.concatenate([r[0] for r in rows])[None, :]
    out = {}
    for i, lev in enumerate(levels):
        lo = np.concatenate([np.full(r[0].size, r[1][i][0]) for r in rows])[None, :]
        hi = np.concatenate([np.full(r[0].size, r[1][i][1]) for r in rows])[None, :]
        grid = SCALE_GRID[:, None]
        cov = ((last >= grid * lo) & (last <= grid * hi)).mean(axis=1)
        ok = np.flatnonzero(cov >= lev / 100.0)
        out[lev] = float(SCALE_GRID[ok[0]] if ok.size else SCALE_GRID[-1])
    return out


def scale_for(calibration: dict[str, dict[int, float]], label: str) -> dict[int, float]:
    """The multipliers of demand class ``label`` (those of "all" when unseen)."""
    return calibration.get(label, calibration[ALL])


def scale_for_quantile(quantiles: dict[str, float], label: str) -> float:
    """The pooled quantile of demand class ``label`` (that of "all" when unseen)."""
    return quantiles.get(label, quantiles[ALL])


#: Trading days of the recent rate that floors the lead-time demand forecast.
RECENT_WINDOW = 24


def lead_time_demand(
    model: AutoForecaster, steps: int, *, recent_window: int | None = RECENT_WINDOW
) -> float:
    """Forecast demand over the next ``steps`` trading days (units).

    ``F = max(sum_{k=1..steps} yhat_k, steps * mean(y[-w:]))``: the model's forecast,
    floored by the recent ``w``-day rate (``recent_window``; None or 0: no floor).
    The moving averages and smoothers that win the backtest on flat months lag a
    rising season (the autumn ramp): the floor stops the order-up-to level from
    falling below the demand of the last four weeks. :func:`sum_errors` measures the
    backtest errors of the same rule, so the safety stock is consistent with it.

    Raises
    ------
    ValueError
        ``steps`` < 1.

    References
    ----------
    Silver, Pyke & Thomas (2017) 6.7 (forecast of demand over the protection
    interval ``R + L``); Petropoulos et al., IJF 38 (2022) 2.12 (simple rules
    robust to level shifts).
    """
    if int(steps) < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    steps = int(steps)
    forecast = float(model.predict(steps, level=())["mean"].sum())
    history = getattr(model, "history_", None)
    if not recent_window or history is None or history.size == 0:
        return forecast
    return max(forecast, float(history[-int(recent_window) :].mean()) * steps)


def origin_sum_errors(
    model: AutoForecaster,
    steps: int,
    *,
    scaled: bool = False,
    recent_window: int | None = None,
) -> np.ndarray:
    """Errors of every ``steps``-day sum within each backtest origin, per origin.

    Returns an array (n_origins, n_sums), oldest origin first: ``sum(actual -
    forecast)`` in units (``scaled``: divided by the level at the origin) over each
    window of ``min(steps, horizon)`` consecutive days inside one origin, times
    ``sqrt(steps / horizon)`` when ``steps`` exceeds the horizon; shape (0, 0)
    without a backtest. With ``recent_window`` the forecast of each window is that
    of :func:`lead_time_demand`: the larger of the backtest forecast's sum and the
    recent rate before the origin's cut times the window's length.
    """
    errs = model.origin_errors_
    if errs.size == 0:
        return np.zeros((0, 0))
    span = min(max(1, int(steps)), errs.shape[1])
    kernel = np.ones(span)
    cuts = getattr(model, "origin_cuts_", np.zeros(0))
    if recent_window and len(cuts) == errs.shape[0]:
        history, h = model.history_, errs.shape[1]
        rows = []
        for err, cut in zip(errs, cuts, strict=True):
            actual = np.convolve(history[cut : cut + h], kernel, mode="valid")
            forecast = actual - np.convolve(err, kernel, mode="valid")
            rate = float(history[max(0, cut - int(recent_window)) : cut].mean())
            rows.append(actual - np.maximum(forecast, rate * span))
        sums = np.array(rows)
        if scaled:
            sums = sums / model.origin_levels_[:, None]
    else:
        errs = model.origin_scaled_errors_ if scaled else errs
        sums = np.array([np.convolve(e, kernel, mode="valid") for e in errs])
    return sums * np.sqrt(max(1, int(steps)) / span)


def sum_errors(
    model: AutoForecaster,
    steps: int,
    *,
    scaled: bool = False,
    recent_window: int | None = None,
) -> np.ndarray:
    """:func:`origin_sum_errors` of all origins in one array (n_origins * n_sums,)."""
    return origin_sum_errors(
        model, steps, scaled=scaled, recent_window=recent_window
    ).ravel()


def sum_error_rms(
    model: AutoForecaster, steps: int, *, recent_window: int | None = None
) -> float:
    """Root mean square of :func:`sum_errors` (units; 0.0 without a backtest)."""
    sums = sum_errors(model, steps, recent_window=recent_window)
    return float(np.sqrt(np.mean(sums**2))) if sums.size else 0.0


#: How :func:`lead_time_error_quantiles` puts products on one scale.
ERROR_SCALES = ("rms", "level")


def error_unit(
    model: AutoForecaster,
    steps: int,
    scale: str = "rms",
    *,
    recent_window: int | None = None,
) -> float:
    """Units per unit of the pooled quantile for ``model``: its own sum-error RMS
    (``scale="rms"``) or its current level ``level_now_`` (``scale="level"``)."""
    if scale == "rms":
        return sum_error_rms(model, steps, recent_window=recent_window)
    return float(model.level_now_)


def standardised_sum_errors(
    model: AutoForecaster,
    steps: int,
    *,
    scale: str = "rms",
    recent_window: int | None = None,
    holdout: bool = True,
) -> tuple[np.ndarray, bool]:
    """One product's sum errors on the common scale of the pool, and whether each
    was divided by a spread measured *without* it.

    ``scale="level"``: :func:`origin_sum_errors` divided by the level at each origin.
    ``scale="rms"`` with ``holdout`` and at least two backtest origins: each origin's
    sums divided by the root mean square of the *other* origins' sums (leave one
    origin out), so the standardised error is out of sample, as the next window's
    will be. Divided by their own RMS instead (``holdout=False`` or one origin),
    a sample's standardised values are bounded (``|z| <= sqrt(n)``): a lumpy
    product's one large order inflates the RMS it is divided by, and the pooled
    upper tail comes out lighter than the next window's (issue 18.5: the in-sample
    95 % level covered 95 % of cycles, but the 99 % level only 96 %). Returns
    ``(z (n,), held_out)``; ``z`` is empty without a backtest or spread.
    """
    rows = origin_sum_errors(
        model, steps, scaled=scale == "level", recent_window=recent_window
    )
    if rows.size == 0:
        return np.zeros(0), False
    if scale == "level":
        return rows.ravel(), False
    squares = (rows**2).sum(axis=1)
    if holdout and rows.shape[0] >= 2:
        per_origin = rows.shape[1]
        rest = (squares.sum() - squares) / (per_origin * (rows.shape[0] - 1))
        keep = rest > 0
        if not keep.any():
            return np.zeros(0), True
        return (rows[keep] / np.sqrt(rest[keep])[:, None]).ravel(), True
    unit = float(np.sqrt(squares.sum() / rows.size))
    return (rows.ravel() / unit if unit > 0 else np.zeros(0)), False


def lead_time_error_quantiles(
    models: Iterable[AutoForecaster],
    *,
    steps: int,
    q: float,
    scale: str = "rms",
    min_products: int = 30,
    recent_window: int | None = None,
    holdout: bool = True,
) -> dict[str, float]:
    """Pooled ``q`` quantile per demand class of the sum errors, on a common scale.

    ``scale="rms"`` (default): each product's :func:`origin_sum_errors` over
    ``steps`` days (units) are divided by a root mean square of its own, so that the
    pool holds the *shape* of the error distribution of the class (skew, heavy upper
    tail of lumpy demand, bias) while each product keeps its own spread (a
    location-scale model; the empirical analogue of ``z * sigma_L``). With
    ``holdout`` (default) that RMS is measured on the other backtest origins
    (:func:`standardised_sum_errors`), and only products with two origins or more
    are pooled (all products, divided by their own RMS, when none has two).
    ``scale="level"``: the errors are divided by the level at each origin (they
    grow with demand, e.g. into a seasonal peak, but a recent spike inflates both
    the errors and the level now). A product's error quantile over ``steps``
    trading days, in units, is ``quantile * error_unit(model, steps, scale)``. A
    class with fewer than ``min_products`` pooled products gets the quantile of
    "all" (the normal ``z`` when no product has a backtest and ``scale="rms"``,
    else 0). ``recent_window``: the errors are those of the floored forecast of
    :func:`lead_time_demand`.

    Raises
    ------
    ValueError
        ``q`` outside (0, 1) or an unknown ``scale``.

    References
    ----------
    Vovk, Gammerman & Shafer (2005) (calibrating on errors the model did not see);
    Trapero, Cardos & Kourentzes, Omega 84 (2019) (empirical safety stock).
    """
    if not 0 < q < 1:
        raise ValueError(f"q must be in (0, 1), got {q}")
    if scale not in ERROR_SCALES:
        raise ValueError(f"scale must be one of {ERROR_SCALES}, got {scale!r}")
    pools: dict[bool, dict[str, list]] = {True: {}, False: {}}
    for model in models:
        z, held_out = standardised_sum_errors(
            model, steps, scale=scale, recent_window=recent_window, holdout=holdout
        )
        if z.size:
            pool = pools[held_out]
            pool.setdefault(model.demand_class_.label, []).append(z)
            pool.setdefault(ALL, []).append(z)
    pools = pools[True] if pools[True] else pools[False]
    if ALL in pools:
        every = float(np.quantile(np.concatenate(pools[ALL]), q))
    else:
        every = NormalDist().inv_cdf(q) if scale == "rms" else 0.0
    out = {ALL: every}
    for label, parts in pools.items():
        if label != ALL:
            big = len(parts) >= min_products
            out[label] = float(np.quantile(np.concatenate(parts), q)) if big else every
    return out


#: Default cap of :func:`growth_factor` in :class:`LeadTimeProtection`.
GROWTH_CAP = 2.0


def growth_factor(model: AutoForecaster, *, cap: float = GROWTH_CAP) -> float:
    """``clip(level_now_ / mean(origin_levels_), 1, cap)`` (dimensionless; 1.0
    without a backtest).

    The levels are those the backtest scales errors by (the larger of the recent
    24-period mean and the whole-history mean). A product whose demand has grown
    since its backtest origins gets its error unit grown in proportion (the errors
    of retail demand grow with its level); it is never shrunk.
    """
    levels = getattr(model, "origin_levels_", np.zeros(0))
    if not levels.size or float(np.mean(levels)) <= 0:
        return 1.0
    return float(np.clip(model.level_now_ / float(np.mean(levels)), 1.0, cap))


class LeadTimeProtection:
    """Order-up-to levels of a pool of products: forecast plus empirical safety stock.

    For a protection interval of ``steps`` trading days (``L`` for a reorder point,
    ``R + L`` for an order-up-to level) and a target cycle service level ``q``::

        level = F + max(0, Q_q * u)

    where ``F`` is :func:`lead_time_demand` (the model's forecast floored by the
    recent ``recent_window``-day rate), ``Q_q`` the pooled ``q`` quantile of the
    standardised backtest errors of that same forecast rule for the product's
    demand class (:func:`lead_time_error_quantiles`) and ``u`` the product's own
    error RMS (:func:`error_unit`); a product without a backtest uses
    ``u = sigma_ * sqrt(steps)``. With ``growth_cap`` (scale "rms"), ``u`` is
    multiplied by :func:`growth_factor`, ``clip(level now / mean level at the
    backtest origins, 1, growth_cap)``: errors measured while demand was lower
    understate the spread after it has grown (issue 4 round 2: at the autumn peak
    the cycles lost on the top 300 products were those of products whose demand
    had risen). The reorder suggestions and the policy simulation both use this
    class, so the simulation replays the suggested policy.

    Parameters
    ----------
    models : list of fitted :class:`AutoForecaster`, the pool.
    scale : "rms" or "level", see :func:`lead_time_error_quantiles`.
    recent_window : int or None, trading days of the recent-rate floor (None: the
        model's forecast alone, the policy before issue 4's fix).
    growth_cap : float >= 1 or None, the largest :func:`growth_factor` (None or 1:
        the error unit is not grown).
    holdout : bool, pool errors standardised by a spread measured on the other
        backtest origins (default; see :func:`standardised_sum_errors`), or by
        their own (False: the policy before issue 18.5's fix).

    References
    ----------
    Silver, Pyke & Thomas (2017) 6.7 (periodic review, order-up-to level, protection
    interval R + L); Trapero, Cardos & Kourentzes, Omega 84 (2019) (empirical safety
    stock); Syntetos & Boylan (2005) (demand classes).
    """

    def __init__(
        self,
        models: list[AutoForecaster],
        *,
        scale: str = "rms",
        recent_window: int | None = RECENT_WINDOW,
        growth_cap: float | None = GROWTH_CAP,
        holdout: bool = True,
    ) -> None:
        if scale not in ERROR_SCALES:
            raise ValueError(f"scale must be one of {ERROR_SCALES}, got {scale!r}")
        if growth_cap is not None and not growth_cap >= 1:
            raise ValueError(f"growth_cap must be >= 1 or None, got {growth_cap}")
        self.models, self.scale, self.recent_window = models, scale, recent_window
        self.growth_cap, self.holdout = growth_cap, holdout
        self._quantiles: dict = {}

    def demand(self, model: AutoForecaster, steps: int) -> float:
        """:func:`lead_time_demand` over ``steps`` trading days (units)."""
        return lead_time_demand(model, steps, recent_window=self.recent_window)

    def safety_stock(self, model: AutoForecaster, steps: int, q: float) -> float:
        """Empirical safety stock over ``steps`` trading days at service level ``q``
        (units, >= 0); raises ValueError for ``q`` outside (0, 1)."""
        key = (int(steps), float(q))
        if key not in self._quantiles:
            self._quantiles[key] = lead_time_error_quantiles(
                self.models,
                steps=key[0],
                q=key[1],
                scale=self.scale,
                recent_window=self.recent_window,
                holdout=self.holdout,
            )
        quantile = scale_for_quantile(self._quantiles[key], model.demand_class_.label)
        return safety_stock_empirical(
            error_quantile=float(quantile * self.unit(model, steps))
        )

    def unit(self, model: AutoForecaster, steps: int) -> float:
        """The product's error unit ``u`` over ``steps`` trading days (units): the
        scale its pooled quantile is multiplied by."""
        if self.scale == "rms" and not model.origin_errors_.size:
            # no backtest: the model's own one-step sigma grown over the interval
            return float(model.sigma_) * float(np.sqrt(max(1, int(steps))))
        unit = error_unit(model, steps, self.scale, recent_window=self.recent_window)
        if self.scale == "rms" and self.growth_cap:
            unit *= growth_factor(model, cap=self.growth_cap)
        return float(unit)

    def service_levels(
        self,
        *,
        steps: list[int],
        reviews: list[int],
        levels: list[float],
        fixed: list[bool],
        level_range: tuple[float, float] | None,
    ) -> np.ndarray:
        """Per-product cycle service levels of the pool ``self.models``, shape (n,).

        ``levels`` are the policies' targets; products with ``fixed`` (a level set
        for the product itself) keep theirs. The others share the mean of their
        targets as an aggregate target, allocated by
        :func:`inventory.algorithms.allocation.allocate_service_levels` within
        ``level_range = (lower, upper)`` on weights ``u_i / R_i`` (:meth:`unit` over
        the protection interval ``steps`` = R + L trading days, per trading day of
        the review period ``reviews``): the products that would lose the most units
        get the higher levels. ``level_range`` None, or not around the aggregate
        target, leaves every level as it is (one level for all).
        """
        q = np.asarray(levels, dtype=float).copy()
        free = ~np.asarray(fixed, dtype=bool)
        if level_range is None or free.sum() < 2:
            return q
        target = float(q[free].mean())
        lower, upper = level_range
        if not lower <= target <= upper:
            return q
        weights = np.array(
            [
                self.unit(m, k) / max(int(r), 1)
                for m, k, r, f in zip(self.models, steps, reviews, free, strict=True)
                if f
            ]
        )
        q[free] = allocate_service_levels(
            weights, target=target, lower=lower, upper=upper
        )
        return q

    def level(self, model: AutoForecaster, steps: int, q: float) -> float:
        """``demand + safety_stock`` over ``steps`` trading days (units)."""
        return self.demand(model, steps) + self.safety_stock(model, steps, q)
