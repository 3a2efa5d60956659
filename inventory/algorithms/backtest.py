"""Per-product model choice by rolling-origin backtest, with empirical intervals.

:class:`AutoForecaster` classifies the series (Syntetos-Boylan), runs every candidate
model that suits the class on ``n_origins`` non-overlapping rolling origins of
``horizon`` periods before the end of the history, keeps the one with the lowest mean
absolute error, refits it on the whole history and builds prediction intervals from the
empirical quantiles of its backtest errors (scaled by the level at each origin, so that
intervals widen when demand grows). Every fallback says why in ``reason_``. No Django.

References
----------
Tashman, "Out-of-sample tests of forecasting accuracy: an analysis and review", IJF 16
(2000) 437-450 (rolling origin); Petropoulos et al., "Forecasting: theory and
practice", IJF 38 (2022), 2.12 (model selection) and 2.6 (empirical intervals).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import forecasting as fc
from . import intermittent as im
from .demand import ERRATIC, INTERMITTENT, LUMPY, SMOOTH, classify_demand


@dataclass(frozen=True)
class Candidate:
    """A named model factory and the demand classes it is tried on (None = all)."""

    name: str
    factory: type
    params: dict
    classes: frozenset | None = None

    def build(self) -> fc.Forecaster:
        return self.factory(**self.params)


_SPARSE = frozenset({INTERMITTENT, LUMPY})
_DENSE = frozenset({SMOOTH, ERRATIC})

CANDIDATES: dict[str, Candidate] = {
    c.name: c
    for c in [
        Candidate("seasonal_naive", fc.SeasonalNaive, {"season_length": 6}),
        Candidate("window_average_12", fc.WindowAverage, {"window": 12}),
        Candidate("window_average_24", fc.WindowAverage, {"window": 24}),
        Candidate("window_average_48", fc.WindowAverage, {"window": 48}),
        Candidate(
            "seasonal_window_average",
            fc.SeasonalWindowAverage,
            {"season_length": 6, "n_windows": 4},
        ),
        Candidate(
            "seasonal_profile_average", fc.SeasonalProfileAverage, {"window": 36}
        ),
        Candidate("ses", fc.SimpleExponentialSmoothing, {}),
        Candidate("croston", im.Croston, {"alpha": 0.1}, _SPARSE),
        Candidate("sba", im.SBA, {"alpha": 0.1}, _SPARSE),
        Candidate("tsb", im.TSB, {"alpha_d": 0.1, "alpha_p": 0.1}, _SPARSE),
        Candidate("holt_damped", fc.DampedHolt, {}, _DENSE),
        Candidate("ets_statsmodels", fc.ETS, {"damped_trend": True}, _DENSE),
        Candidate("sarimax", fc.SARIMAX, {}, _DENSE),
    ]
}
#: The default candidate set. The statsmodels models (ETS ~0.4 s, SARIMAX ~1 s per fit
#: here) are left out: 4,000 products x 5 fits would take hours. Name them in
#: ``candidates`` (INVENTORY["CANDIDATES"]) to include them.
DEFAULT_CANDIDATES = tuple(
    n for n in CANDIDATES if n not in ("sarimax", "ets_statsmodels")
)


def conformal_bounds(errors: np.ndarray, level: float) -> tuple[float, float]:
    """Lower and upper error quantiles of a central ``level`` % interval (units or
    scaled units), at the split-conformal finite-sample level ``ceil((n + 1)(1 - a))
    / n`` (Vovk et al. 2005); the lower one is at most 0 and the upper at least 0, so
    the interval always holds the point forecast."""
    n = errors.size
    a = (1 - level / 100.0) / 2
    upper = min(1.0, np.ceil((n + 1) * (1 - a)) / n)
    lo_q = float(np.quantile(errors, 1.0 - upper, method="lower"))
    hi_q = float(np.quantile(errors, upper, method="higher"))
    return min(lo_q, 0.0), max(hi_q, 0.0)


def _level(y: np.ndarray) -> float:
    """Scale of a series for relative errors: the larger of the mean of the recent 24
    periods and the whole-history mean, floored at one unit per 24 periods."""
    return max(float(y[-24:].mean()), float(y.mean()), 1.0 / 24)


class AutoForecaster(fc.Forecaster):
    """Choose a model per series by rolling-origin backtest; empirical intervals.

    Parameters
    ----------
    horizon : int, periods per backtest origin and default forecast length (24
        trading days ~ 4 weeks).
    n_origins : int, non-overlapping backtest origins (default 4).
    candidates : tuple of str, names in :data:`CANDIDATES`.
    min_train : int, the fewest periods a backtest origin trains on (default 24).
    trim_leading_zeros : bool, drop the periods before the first sale (the product
        was not listed yet), default True.
    interval_method : "scaled" (errors / level at the origin, times the level now) or
        "additive" (raw errors, the default: on the last backtest origin of the
        benchmark's training data, calibrated additive intervals had a lower pinball
        loss than scaled ones, which inflate twice after a demand spike).
    combine : int, forecast with the mean of the ``combine`` best candidates
        (default 3; 1 = the single best).
    interval_scale : dict {level: float}, optional, multipliers of the empirical
        interval half-widths, calibrated across products on the backtest by
        :func:`interval_calibration` (None = 1, the uncalibrated quantiles).

    Attributes
    ----------
    model_ : Forecaster, the refitted winner.
    model_name_ : str; reason_ : str; demand_class_ : DemandClass.
    scores_ : dict[str, float], backtest MAE per candidate (units/period).
    errors_ : array (n_origins * horizon,), actual - forecast of the winner.
    origin_errors_ : array (n_origins, horizon), the same per origin (oldest first);
        ``origin_scaled_errors_`` divides each origin's by the level at its cut.
    origin_cuts_ : int array (n_origins,), index in ``history_`` of each origin's
        first forecast period; ``origin_levels_`` (n_origins,), the level there.
    history_ : array (t,), the series fitted (leading zeros trimmed), units/period.
    sigma_ : float, RMSE of the winner's backtest errors (units/period); used for
        safety stock.
    backtest_ : dict, MASE (seasonal naive scale, m = 6), WAPE, bias of the winner.
    """

    name = "auto"

    def __init__(
        self,
        *,
        horizon: int = 24,
        n_origins: int = 4,
        candidates: tuple[str, ...] = DEFAULT_CANDIDATES,
        min_train: int = 24,
        trim_leading_zeros: bool = True,
        interval_method: str = "additive",
        combine: int = 3,
        interval_scale: dict | None = None,
    ) -> None:
        unknown = set(candidates) - set(CANDIDATES)
        if unknown:
            raise ValueError(f"unknown candidate models: {sorted(unknown)}")
        if interval_method not in ("scaled", "additive"):
            raise ValueError(
                f"interval_method must be scaled or additive: {interval_method!r}"
            )
        self.horizon, self.n_origins = horizon, n_origins
        self.candidates, self.min_train = tuple(candidates), min_train
        self.trim_leading_zeros = trim_leading_zeros
        self.interval_method = interval_method
        self.combine = combine
        self.interval_scale = interval_scale

    # -- fitting ---------------------------------------------------------------
    def _fit(self, y: np.ndarray) -> None:
        self.scores_, self.errors_, self.backtest_ = {}, np.zeros(0), {}
        self.origin_errors_ = np.zeros((0, self.horizon))
        self.origin_scaled_errors_ = np.zeros((0, self.horizon))
        self.origin_cuts_ = np.zeros(0, dtype=int)
        self.origin_levels_ = np.zeros(0)
        start = int(np.argmax(y > 0)) if (y > 0).any() else y.size
        series = y[start:] if self.trim_leading_zeros else y
        self.history_ = np.asarray(series if series.size else y, dtype=float)
        self.demand_class_ = classify_demand(series if series.size else y)
        if not (series > 0).any():
            self._use(fc.ZeroForecaster(), "zero", y, "no sales in the history")
            return
        h = self.horizon
        n_orig = min(self.n_origins, (series.size - self.min_train) // h)
        if n_orig < 1:
            window = min(series.size, 24)
            self._use(
                fc.WindowAverage(window=window),
                f"window_average_{window}",
                series,
                f"history of {series.size} trading days is too short for a backtest "
                f"(needs {self.min_train + h}); mean of the last {window} days",
            )
            return
        self._backtest(series, n_orig)

    def _backtest(self, y: np.ndarray, n_orig: int) -> None:
        h, label = self.horizon, self.demand_class_.label
        cuts = [y.size - h * (k + 1) for k in range(n_orig)][::-1]
        errors, levels, preds = {}, {}, {}
        for name in self.candidates:
            cand = CANDIDATES[name]
            if cand.classes is not None and label not in cand.classes:
                continue
            errs, lv, pr = [], [], []
            try:
                for cut in cuts:
                    model = cand.build().fit(y[:cut])
                    f = model.predict(h, level=())["mean"]
                    errs.append(y[cut : cut + h] - f)
                    pr.append(f)
                    lv.append(_level(y[:cut]))
            except (fc.SeriesTooShort, ValueError, np.linalg.LinAlgError):
                continue
            errors[name], levels[name], preds[name] = errs, lv, pr
        self.scores_ = {n: float(np.mean(np.abs(e))) for n, e in errors.items()}
        ranked = sorted(self.scores_, key=self.scores_.get)
        best = ranked[0]
        top = ranked[: max(1, self.combine)]
        if len(top) > 1:
            best = "mean(" + ",".join(top) + ")"
            stacked = np.mean([preds[n] for n in top], axis=0)
            preds[best] = list(stacked)
            errors[best] = [
                y[c : c + h] - p for c, p in zip(cuts, stacked, strict=True)
            ]
            levels[best] = levels[top[0]]
            self.scores_[best] = float(np.mean(np.abs(np.concatenate(errors[best]))))
        self.errors_ = np.concatenate(errors[best])
        self.origin_errors_ = np.array(errors[best])
        self.origin_cuts_ = np.array(cuts, dtype=int)
        self.origin_levels_ = np.array(levels[best], dtype=float)
        self.origin_scaled_errors_ = self.origin_errors_ / self.origin_levels_[:, None]
        self._scaled_errors = np.concatenate(
            [e / lv for e, lv in zip(errors[best], levels[best], strict=True)]
        )
        actual = np.concatenate([y[c : c + h] for c in cuts])
        pred = np.concatenate(preds[best])
        scale = float(np.mean(np.abs(y[6:] - y[:-6]))) if y.size > 6 else 0.0
        self.backtest_ = {
            "origins": n_orig,
            "mae": self.scores_[best],
            "mase": self.scores_[best] / scale if scale else None,
            "wape": float(np.abs(actual - pred).sum() / actual.sum())
            if actual.sum()
            else None,
            "bias": float(np.mean(pred - actual)),
        }
        runner = ""
        if len(top) == 1 and len(ranked) > 1:
            runner = f"; next {ranked[1]} {self.scores_[ranked[1]]:.2f}"
        dc = self.demand_class_
        reason = (
            f"{dc.label} demand (ADI {dc.adi:.2f}, CV² {dc.cv2:.2f}); {best} had the "
            f"lowest backtest MAE {self.scores_[best]:.2f} units/day over {n_orig} "
            f"origins of {h} days{runner}"
        )
        if len(top) > 1:
            model = fc.Combination(members=[CANDIDATES[n].build() for n in top])
        else:
            model = CANDIDATES[best].build()
        self._use(model, best, y, reason)

    def _use(self, model, name: str, y: np.ndarray, reason: str) -> None:
        self.model_ = model.fit(y)
        self.model_name_, self.reason_ = name, reason
        self.level_now_ = _level(y)
        if self.errors_.size:
            self.sigma_ = float(np.sqrt(np.mean(self.errors_**2)))
        else:
            self.sigma_ = float(getattr(self.model_, "sigma_", 0.0))

    def lead_time_sigma(
        self, lead_time: int, service_level: float | None = None
    ) -> float:
        """Std of the error of the forecast *sum* over ``lead_time`` periods (units).

        Measured in the backtest: the root mean square of the errors of every sum of
        ``L`` consecutive days within each origin's horizon (so bias and correlated
        daily errors count, unlike ``sigma * sqrt(L)``); scaled by ``sqrt(L / h)``
        beyond the backtest horizon ``h``. Without a backtest: ``sigma_ * sqrt(L)``.
        With ``service_level`` it is at least the empirical error quantile at that
        level divided by z (so ``z * sigma_L`` covers the heavier upper tail of
        lumpy demand).
        """
        steps = max(1, int(lead_time))
        if self.origin_errors_.size == 0:
            return float(self.sigma_) * float(np.sqrt(steps))
        if service_level is not None:
            z = fc.z_value(200 * service_level - 100)
            quantile = self.lead_time_error_quantile(steps, service_level) or 0.0
            return max(self.lead_time_sigma(steps), quantile / z)
        span = min(steps, self.origin_errors_.shape[1])
        kernel = np.ones(span)
        sums = np.concatenate(
            [np.convolve(e, kernel, mode="valid") for e in self.origin_errors_]
        )
        return float(np.sqrt(np.mean(sums**2)) * np.sqrt(steps / span))

    def lead_time_error_quantile(self, lead_time: int, q: float) -> float | None:
        """Empirical ``q`` quantile of the backtest's lead-time sum errors (actual
        minus forecast, units), scaled by ``sqrt(L / h)`` beyond the horizon; None
        without a backtest. Skewed, lumpy demand has a heavier upper tail than the
        normal ``z * sigma_L`` assumes."""
        if self.origin_errors_.size == 0:
            return None
        steps = max(1, int(lead_time))
        span = min(steps, self.origin_errors_.shape[1])
        sums = np.concatenate(
            [np.convolve(e, np.ones(span), mode="valid") for e in self.origin_errors_]
        )
        return float(np.quantile(sums, q) * np.sqrt(steps / span))

    # -- forecasting -------------------------------------------------------------
    def _mean(self, h: int) -> np.ndarray:
        return self.model_.predict(h, level=())["mean"]

    def predict(self, h: int | None = None, level=(80, 95)) -> dict[str, np.ndarray]:
        """Forecast ``h`` periods (default ``horizon``) with 80/95 % intervals.

        Intervals are empirical quantiles of the backtest errors (at the split-conformal
        level ``ceil((n + 1) q) / n``; Vovk et al. 2005), times ``interval_scale``,
        when there are at least 20 of them, else the chosen model's own (model-based)
        intervals.
        """
        h = self.horizon if h is None else h
        if self.errors_.size < 20:
            if not hasattr(self, "model_"):
                raise fc.NotFittedError("auto is not fitted; call fit(y) first")
            return self.model_.predict(h, level=level)
        out = {"mean": super().predict(h, level=())["mean"]}
        mean = out["mean"]
        scaled = self.interval_method == "scaled"
        errs = self._scaled_errors if scaled else self.errors_
        unit = self.level_now_ if scaled else 1.0
        scales = self.interval_scale or {}
        for lev in level:
            lo_q, hi_q = conformal_bounds(errs, lev)
            c = float(scales.get(lev, 1.0))
            lo, hi = mean + c * lo_q * unit, mean + c * hi_q * unit
            out[f"lo-{lev}"] = np.clip(np.minimum(lo, mean), 0.0, None)
            out[f"hi-{lev}"] = np.clip(np.maximum(hi, mean), 0.0, None)
        return out
