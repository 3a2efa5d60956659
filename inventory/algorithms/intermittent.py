"""Forecasting intermittent demand: Croston, SBA (Syntetos-Boylan approximation), TSB.

Each model smooths the non-zero demand sizes ``z`` and either the intervals between
demands ``p`` (Croston, SBA) or the probability of a demand ``pi`` (TSB); the forecast
per period is flat over the horizon. Units are those of the input (units per trading
day). No Django here.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from .forecasting import Forecaster


def ses_path(x: np.ndarray, alpha: float, init: float) -> np.ndarray:
    """Simple exponential smoothing levels after each observation.

    ``l_t = alpha * x_t + (1 - alpha) * l_{t-1}``, ``l_{-1} = init``; shape (t,).
    Computed with :func:`scipy.signal.lfilter` (a first-order IIR filter).
    """
    zi = np.array([(1.0 - alpha) * init])
    out, _ = lfilter([alpha], [1.0, -(1.0 - alpha)], x, zi=zi)
    return out


class Croston(Forecaster):
    """Croston's method: per-period demand rate = smoothed size / smoothed interval.

    Parameters
    ----------
    alpha : float in (0, 1], smoothing constant for sizes and intervals (default 0.1).

    References
    ----------
    Croston, "Forecasting and stock control for intermittent demands", ORQ 23 (1972)
    289-303.
    """

    name = "croston"
    min_length = 2
    debias = 1.0

    def __init__(self, *, alpha: float = 0.1) -> None:
        if not 0 < alpha <= 1:
            raise ValueError(f"alpha must be in (0, 1], got {alpha}")
        self.alpha = alpha

    def _fit(self, y: np.ndarray) -> None:
        idx = np.flatnonzero(y > 0)
        if idx.size == 0:
            self.rate_, self.sigma_ = 0.0, 0.0
            return
        sizes = y[idx]
        intervals = np.diff(np.concatenate([[-1], idx])).astype(float)
        z = ses_path(sizes, self.alpha, sizes[0])[-1]
        p = ses_path(intervals, self.alpha, intervals.mean())[-1]
        self.rate_ = float(self.debias * z / max(p, 1.0))
        self.sigma_ = float(np.std(y - self.rate_)) if y.size > 1 else float(y[0])

    def _mean(self, h: int) -> np.ndarray:
        return np.full(h, self.rate_)


class SBA(Croston):
    """Syntetos-Boylan approximation: Croston's rate times ``1 - alpha / 2``.

    References
    ----------
    Syntetos & Boylan, "The accuracy of intermittent demand estimates", IJF 21 (2005)
    303-314.
    """

    name = "sba"

    def _fit(self, y: np.ndarray) -> None:
        self.debias = 1.0 - self.alpha / 2.0
        super()._fit(y)


class TSB(Forecaster):
    """Teunter-Syntetos-Babai: smoothed demand probability times smoothed size.

    The probability is updated every period (so obsolescence lowers the forecast),
    the size only on periods with demand.

    Parameters
    ----------
    alpha_d : float in (0, 1], smoothing of demand sizes (default 0.1).
    alpha_p : float in (0, 1], smoothing of demand occurrence (default 0.1).

    References
    ----------
    Teunter, Syntetos & Babai, "Intermittent demand: linking forecasting to inventory
    obsolescence", EJOR 214 (2011) 606-615.
    """

    name = "tsb"
    min_length = 2

    def __init__(self, *, alpha_d: float = 0.1, alpha_p: float = 0.1) -> None:
        for key, val in (("alpha_d", alpha_d), ("alpha_p", alpha_p)):
            if not 0 < val <= 1:
                raise ValueError(f"{key} must be in (0, 1], got {val}")
        self.alpha_d, self.alpha_p = alpha_d, alpha_p

    def _fit(self, y: np.ndarray) -> None:
        occurs = (y > 0).astype(float)
        if not occurs.any():
            self.rate_, self.sigma_ = 0.0, 0.0
            return
        sizes = y[y > 0]
        z = ses_path(sizes, self.alpha_d, sizes[0])[-1]
        prob = ses_path(occurs, self.alpha_p, occurs.mean())[-1]
        self.rate_ = float(prob * z)
        self.sigma_ = float(np.std(y - self.rate_))

    def _mean(self, h: int) -> np.ndarray:
        return np.full(h, self.rate_)
