"""Demand series: the trading calendar and Syntetos-Boylan demand classification.

No Django here: inputs are numpy arrays and pandas date indexes.

The Online Retail history has calendar quirks that a forecaster must respect: no trading
on Saturdays, a closure from 24 December to 3 January and UK bank holidays. Demand is
therefore modelled on the *trading-day* axis (closed days removed, not zero-filled), and
forecasts are mapped back to calendar days with zero on closed days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

#: Syntetos & Boylan (2005) cut-offs: average demand interval and squared CV of sizes.
ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49

SMOOTH, ERRATIC, INTERMITTENT, LUMPY, NO_DEMAND = (
    "smooth",
    "erratic",
    "intermittent",
    "lumpy",
    "no_demand",
)


@dataclass(frozen=True)
class DemandClass:
    """Result of :func:`classify_demand`.

    Attributes
    ----------
    label : str, one of smooth, erratic, intermittent, lumpy, no_demand.
    adi : float, average inter-demand interval in periods (inf without demand).
    cv2 : float, squared coefficient of variation of the non-zero demand sizes.
    n_nonzero : int, periods with positive demand.
    """

    label: str
    adi: float
    cv2: float
    n_nonzero: int


def classify_demand(
    y: np.ndarray, *, adi_cutoff: float = ADI_CUTOFF, cv2_cutoff: float = CV2_CUTOFF
) -> DemandClass:
    """Classify a demand series by the Syntetos-Boylan ADI/CV² scheme.

    ADI = n_periods / n_nonzero; CV² = (std / mean)² of the non-zero sizes (population
    std). smooth: ADI < 1.32 and CV² < 0.49; erratic: ADI < 1.32, CV² >= 0.49;
    intermittent: ADI >= 1.32, CV² < 0.49; lumpy: both at or above the cut-offs.

    Parameters
    ----------
    y : array of shape (t,), units per period (trading day), non-negative.

    Raises
    ------
    ValueError
        ``y`` is empty, not 1-D or holds NaN/negative values.

    References
    ----------
    Syntetos, Boylan & Croston, "On the categorization of demand patterns", JORS 56
    (2005) 495-503.
    """
    y = _check_series(y)
    nz = y[y > 0]
    if nz.size == 0:
        return DemandClass(NO_DEMAND, float("inf"), 0.0, 0)
    adi = y.size / nz.size
    cv2 = float((nz.std() / nz.mean()) ** 2) if nz.size > 1 else 0.0
    if adi < adi_cutoff:
        label = SMOOTH if cv2 < cv2_cutoff else ERRATIC
    else:
        label = INTERMITTENT if cv2 < cv2_cutoff else LUMPY
    return DemandClass(label, float(adi), cv2, int(nz.size))


def _check_series(y) -> np.ndarray:
    y = np.asarray(y, dtype=float)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"demand series must be 1-D, non-empty; got shape {y.shape}")
    if np.isnan(y).any():
        raise ValueError("demand series holds NaN; days without sales must be 0")
    if (y < 0).any():
        raise ValueError("demand series holds negative units; clip net returns first")
    return y


@dataclass
class TradingCalendar:
    """Which calendar days the shop trades on.

    Parameters
    ----------
    closed_weekdays : tuple of int, Monday=0 .. Sunday=6 (default: Saturday, 5).
    annual_closure : tuple of ((month, day), (month, day)), an inclusive closure that
        may wrap the year end (default 24 Dec .. 3 Jan).
    holidays : set of date, other closed days (bank holidays).
    """

    closed_weekdays: tuple[int, ...] = (5,)
    annual_closure: tuple[tuple[int, int], tuple[int, int]] | None = (
        (12, 24),
        (1, 3),
    )
    holidays: set[date] = field(default_factory=set)

    def is_open(self, day: date) -> bool:
        if day.weekday() in self.closed_weekdays or day in self.holidays:
            return False
        if self.annual_closure:
            (m0, d0), (m1, d1) = self.annual_closure
            key, start, end = (day.month, day.day), (m0, d0), (m1, d1)
            if start <= end:
                return not (start <= key <= end)
            return not (key >= start or key <= end)
        return True

    def open_mask(self, days: pd.DatetimeIndex) -> np.ndarray:
        """Boolean array of shape (len(days),): True on trading days."""
        return np.array([self.is_open(d.date()) for d in days], dtype=bool)

    def next_trading_days(self, after: date, n: int) -> list[date]:
        """The ``n`` trading days strictly after ``after``."""
        out, day = [], after
        while len(out) < n:
            day += timedelta(days=1)
            if self.is_open(day):
                out.append(day)
            if (day - after).days > 10 * n + 60:
                raise ValueError("calendar has no trading days; check its closures")
        return out

    @classmethod
    def from_history(
        cls, trading_days: pd.DatetimeIndex, *, start: date, end: date, **kw
    ) -> TradingCalendar:
        """A calendar whose holidays are the weekdays without any trade in history.

        Days in ``[start, end]`` that are neither a closed weekday nor in the annual
        closure but saw no order at all (shop-wide) are taken as holidays.
        """
        cal = cls(**kw)
        seen = {d.date() for d in trading_days}
        for d in pd.date_range(start, end, freq="D"):
            day = d.date()
            if cal.is_open(day) and day not in seen:
                cal.holidays.add(day)
        return cal
