"""Forecast accuracy metrics (numpy only).

All take actuals and forecasts of the same shape; units are units of demand.
"""

from __future__ import annotations

import numpy as np


def seasonal_naive_scale(y_train: np.ndarray, season_length: int = 7) -> float:
    """Mean absolute in-sample seasonal-naive error, the MASE denominator.

    Returns ``nan`` when the training series is shorter than one season plus one.
    """
    y = np.asarray(y_train, dtype=float)
    if y.size <= season_length:
        return float("nan")
    return float(np.mean(np.abs(y[season_length:] - y[:-season_length])))


def mase(y_true, y_pred, *, scale: float) -> float:
    """Mean absolute scaled error: MAE / ``scale`` (Hyndman & Koehler, IJF 2006).

    Returns ``nan`` when ``scale`` is 0 or nan (a constant training series).
    """
    if not scale or not np.isfinite(scale):
        return float("nan")
    return float(np.mean(np.abs(np.asarray(y_true) - np.asarray(y_pred))) / scale)


def wape(y_true, y_pred) -> float:
    """Weighted absolute percentage error: sum |e| / sum y (nan when sum y = 0)."""
    total = float(np.sum(np.abs(y_true)))
    if total == 0:
        return float("nan")
    return float(np.sum(np.abs(np.asarray(y_true) - np.asarray(y_pred))) / total)


def bias(y_true, y_pred) -> float:
    """Mean forecast error, forecast minus actual (units per period); > 0 = over."""
    return float(np.mean(np.asarray(y_pred) - np.asarray(y_true)))


def coverage(y_true, lo, hi) -> float:
    """Share of actuals inside ``[lo, hi]`` (both ends included)."""
    y = np.asarray(y_true)
    return float(np.mean((y >= np.asarray(lo)) & (y <= np.asarray(hi))))


def pinball(y_true, q_pred, quantile: float) -> float:
    """Mean pinball (quantile) loss of ``q_pred`` as the ``quantile`` forecast."""
    diff = np.asarray(y_true) - np.asarray(q_pred)
    return float(np.mean(np.maximum(quantile * diff, (quantile - 1) * diff)))


def interval_pinball(y_true, lo, hi, level: float) -> float:
    """Mean pinball loss of the two ends of a central ``level`` % interval."""
    a = (1 - level / 100.0) / 2
    return 0.5 * (pinball(y_true, lo, a) + pinball(y_true, hi, 1 - a))
