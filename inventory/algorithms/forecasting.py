"""Point forecasts with prediction intervals for one demand series.

Every model follows the statsforecast-like contract::

    model = WindowAverage(window=24).fit(y)          # y: (t,) units per trading day
    out = model.predict(24, level=(80, 95))
    out["mean"], out["lo-80"], out["hi-80"], out["lo-95"], out["hi-95"]  # each (h,)

Forecasts are clipped at zero and never NaN. Model-based intervals are
``mean +/- z * sigma_h`` with ``sigma_h`` from the in-sample residuals (grown with the
horizon for random-walk-like models), clipped at zero; the backtest selector in
:mod:`inventory.algorithms.backtest` replaces them by empirical quantiles of its
rolling-origin errors. Series are on the trading-day axis (see
:class:`inventory.algorithms.demand.TradingCalendar`), so the weekly season has
``season_length=6`` by default. No Django here.
"""

from __future__ import annotations

import warnings
from statistics import NormalDist

import numpy as np
from scipy.signal import lfilter

from .demand import _check_series


class NotFittedError(RuntimeError):
    """``predict`` was called before ``fit``."""


class SeriesTooShort(ValueError):
    """The series is shorter than the model needs (``min_length``)."""


def z_value(level: float) -> float:
    """Two-sided standard normal quantile for a central interval of ``level`` %."""
    if not 0 < level < 100:
        raise ValueError(f"level must be in (0, 100), got {level}")
    return NormalDist().inv_cdf(0.5 + level / 200.0)


class Forecaster:
    """Base class: validation, clipping and model-based intervals.

    Subclasses set ``name``, ``min_length`` and implement ``_fit(y)`` (setting
    ``sigma_``, the one-step residual std in units/day) and ``_mean(h)``.
    ``sigma_growth`` is ``"flat"`` (level models) or ``"sqrt"`` (random walks, trends).
    """

    name = "base"
    min_length = 1
    sigma_growth = "flat"

    def fit(self, y) -> Forecaster:
        """Fit on ``y`` of shape (t,), non-negative units per period; returns self.

        Raises
        ------
        ValueError
            ``y`` is empty, not 1-D, or holds NaN or negative values.
        SeriesTooShort
            ``len(y) < min_length``.
        """
        y = _check_series(y)
        if y.size < self.min_length:
            raise SeriesTooShort(
                f"{self.name} needs at least {self.min_length} periods, got {y.size}"
            )
        self.n_obs_ = y.size
        self._fit(y)
        return self

    def predict(self, h: int, level=(80, 95)) -> dict[str, np.ndarray]:
        """Forecast ``h`` periods ahead: ``{"mean", "lo-<l>", "hi-<l>"}``, each (h,).

        Raises
        ------
        NotFittedError
            The model has not been fitted.
        ValueError
            ``h < 1`` or a level outside (0, 100).
        """
        if not hasattr(self, "n_obs_"):
            raise NotFittedError(f"{self.name} is not fitted; call fit(y) first")
        if h < 1:
            raise ValueError(f"horizon h must be >= 1, got {h}")
        mean = np.nan_to_num(np.asarray(self._mean(h), dtype=float), nan=0.0)
        mean = np.clip(mean, 0.0, None)
        out = {"mean": mean}
        sigma = float(np.nan_to_num(getattr(self, "sigma_", 0.0)))
        steps = np.arange(1, h + 1, dtype=float)
        sig_h = sigma * (np.sqrt(steps) if self.sigma_growth == "sqrt" else 1.0)
        for lev in level:
            z = z_value(lev)
            out[f"lo-{lev}"] = np.clip(mean - z * sig_h, 0.0, None)
            out[f"hi-{lev}"] = np.clip(mean + z * sig_h, 0.0, None)
        return out

    def get_params(self) -> dict:
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def _fit(self, y: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _mean(self, h: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


class ZeroForecaster(Forecaster):
    """Forecasts zero demand (a product with no sales at all)."""

    name = "zero"

    def _fit(self, y: np.ndarray) -> None:
        self.sigma_ = 0.0

    def _mean(self, h: int) -> np.ndarray:
        return np.zeros(h)


class Naive(Forecaster):
    """The last observation repeated (random walk)."""

    name = "naive"
    sigma_growth = "sqrt"

    def _fit(self, y: np.ndarray) -> None:
        self.last_ = float(y[-1])
        self.sigma_ = float(np.std(np.diff(y))) if y.size > 1 else 0.0

    def _mean(self, h: int) -> np.ndarray:
        return np.full(h, self.last_)


class SeasonalNaive(Forecaster):
    """The last season repeated: ``yhat_{T+k} = y_{T+k-m*ceil(k/m)}``.

    Parameters
    ----------
    season_length : int, periods per season (6 trading days = one week).

    References
    ----------
    Hyndman & Athanasopoulos, Forecasting: Principles and Practice, 3rd ed., 5.2.
    """

    name = "seasonal_naive"

    def __init__(self, *, season_length: int = 6) -> None:
        self.season_length = season_length
        self.min_length = season_length

    def _fit(self, y: np.ndarray) -> None:
        m = self.season_length
        self.last_season_ = y[-m:].astype(float)
        self.sigma_ = float(np.std(y[m:] - y[:-m])) if y.size > m else 0.0

    def _mean(self, h: int) -> np.ndarray:
        return np.resize(self.last_season_, h)


class WindowAverage(Forecaster):
    """Mean of the last ``window`` periods, flat over the horizon (moving average).

    Parameters
    ----------
    window : int, periods averaged (24 trading days ~ four weeks).
    """

    name = "window_average"

    def __init__(self, *, window: int = 24) -> None:
        if window < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        self.window = window
        self.min_length = window

    def _fit(self, y: np.ndarray) -> None:
        tail = y[-self.window :]
        self.level_ = float(tail.mean())
        self.sigma_ = float(tail.std() * np.sqrt(1 + 1 / tail.size))

    def _mean(self, h: int) -> np.ndarray:
        return np.full(h, self.level_)


class SeasonalWindowAverage(Forecaster):
    """Mean of the same season position over the last ``n_windows`` seasons.

    Parameters
    ----------
    season_length : int, periods per season (default 6, a trading week).
    n_windows : int, seasons averaged (default 4).
    """

    name = "seasonal_window_average"

    def __init__(self, *, season_length: int = 6, n_windows: int = 4) -> None:
        self.season_length, self.n_windows = season_length, n_windows
        self.min_length = season_length * n_windows

    def _fit(self, y: np.ndarray) -> None:
        m, k = self.season_length, self.n_windows
        block = y[-m * k :].reshape(k, m)
        self.profile_ = block.mean(axis=0)
        self.sigma_ = float(np.sqrt(np.mean(block.var(axis=0) * (1 + 1 / k))))

    def _mean(self, h: int) -> np.ndarray:
        return np.resize(self.profile_, h)


class SeasonalProfileAverage(Forecaster):
    """Recent level times a shrunk within-week profile (multiplicative seasonality).

    ``yhat = level * (w * p_i + (1 - w))`` where ``level`` is the mean of the last
    ``window`` periods, ``p_i`` the season index of position ``i`` (mean at that
    position over the last ``profile_window`` periods / overall mean there) and
    ``w = shrinkage``. Classical decomposition with a moving-average level.

    Parameters
    ----------
    window : int, periods in the level average (default 36).
    season_length : int (default 6).
    profile_window : int, periods used to estimate the profile (default 120).
    shrinkage : float in [0, 1], weight of the profile (default 0.5).
    """

    name = "seasonal_profile_average"

    def __init__(
        self,
        *,
        window: int = 36,
        season_length: int = 6,
        profile_window: int = 120,
        shrinkage: float = 0.5,
    ) -> None:
        self.window, self.season_length = window, season_length
        self.profile_window, self.shrinkage = profile_window, shrinkage
        self.min_length = max(window, 2 * season_length)

    def _fit(self, y: np.ndarray) -> None:
        m = self.season_length
        n = (min(y.size, self.profile_window) // m) * m
        block = y[-n:].reshape(-1, m)
        overall = block.mean()
        index = block.mean(axis=0) / overall if overall > 0 else np.ones(m)
        index = self.shrinkage * index + (1.0 - self.shrinkage)
        tail = y[-self.window :]
        self.level_ = float(tail.mean())
        # phase: position of the first forecast period within the season
        self.profile_ = np.roll(index, -(y.size % m))
        self.sigma_ = float(tail.std() * np.sqrt(1 + 1 / tail.size))

    def _mean(self, h: int) -> np.ndarray:
        return self.level_ * np.resize(self.profile_, h)


class SimpleExponentialSmoothing(Forecaster):
    """SES with the smoothing constant chosen by in-sample one-step squared error.

    ``l_t = alpha y_t + (1 - alpha) l_{t-1}``; forecast flat at ``l_T``.

    Parameters
    ----------
    alphas : tuple of float, grid searched for alpha (default 0.02 .. 0.3).

    References
    ----------
    Brown, Statistical Forecasting for Inventory Control (1959); Hyndman &
    Athanasopoulos, FPP3, 8.1.
    """

    name = "ses"
    min_length = 2

    def __init__(self, *, alphas: tuple[float, ...] = (0.02, 0.05, 0.1, 0.2, 0.3)):
        self.alphas = tuple(alphas)

    def _fit(self, y: np.ndarray) -> None:
        init = float(y[: min(y.size, 12)].mean())
        best = None
        for alpha in self.alphas:
            zi = np.array([(1.0 - alpha) * init])
            levels, _ = lfilter([alpha], [1.0, -(1.0 - alpha)], y, zi=zi)
            prev = np.concatenate([[init], levels[:-1]])
            sse = float(np.sum((y - prev) ** 2))
            if best is None or sse < best[0]:
                best = (sse, alpha, float(levels[-1]))
        sse, self.alpha_, self.level_ = best
        self.sigma_ = float(np.sqrt(sse / y.size))

    def _mean(self, h: int) -> np.ndarray:
        return np.full(h, self.level_)


class DampedHolt(Forecaster):
    """Holt's linear method with a damped trend (ETS(A,Ad,N)), numpy, grid-fitted.

    ``l_t = a y_t + (1 - a)(l_{t-1} + phi b_{t-1})``,
    ``b_t = b (l_t - l_{t-1}) + (1 - b) phi b_{t-1}``,
    ``yhat_{T+k} = l_T + (phi + ... + phi^k) b_T``; ``l_0`` = mean of the first 12
    periods, ``b_0 = 0``. The smoothing parameters are the grid point with the lowest
    in-sample one-step squared error (the grid keeps it fast: ~1 ms per fit, where
    statsmodels' optimiser takes ~0.4 s on this machine; :class:`ETS` is the
    statsmodels reference used in the tests).

    Parameters
    ----------
    alphas, betas, phis : tuples of float, the grid searched.

    References
    ----------
    Gardner & McKenzie, "Forecasting trends in time series", Management Science 31
    (1985) 1237-1246; Hyndman & Athanasopoulos, FPP3, 8.2.
    """

    name = "holt_damped"
    min_length = 12
    sigma_growth = "sqrt"

    def __init__(
        self,
        *,
        alphas: tuple[float, ...] = (0.05, 0.1, 0.2),
        betas: tuple[float, ...] = (0.01, 0.05),
        phis: tuple[float, ...] = (0.9, 0.98),
    ) -> None:
        self.alphas, self.betas, self.phis = tuple(alphas), tuple(betas), tuple(phis)

    def _fit(self, y: np.ndarray) -> None:
        grid = np.array(
            [(a, b, p) for a in self.alphas for b in self.betas for p in self.phis]
        )
        a, b, phi = grid[:, 0], grid[:, 1], grid[:, 2]
        level = np.full(len(grid), float(y[: min(12, y.size)].mean()))
        trend = np.zeros(len(grid))
        sse = np.zeros(len(grid))
        for obs in y.tolist():
            pred = level + phi * trend
            sse += (obs - pred) ** 2
            new_level = a * obs + (1 - a) * pred
            trend = b * (new_level - level) + (1 - b) * phi * trend
            level = new_level
        best = int(np.argmin(sse))
        self.alpha_, self.beta_, self.phi_ = (float(v) for v in grid[best])
        self.level_, self.trend_ = float(level[best]), float(trend[best])
        self.sigma_ = float(np.sqrt(sse[best] / y.size))

    def _mean(self, h: int) -> np.ndarray:
        damp = np.cumsum(self.phi_ ** np.arange(1, h + 1))
        return self.level_ + damp * self.trend_


class Combination(Forecaster):
    """The equal-weight mean of several models' forecasts.

    Parameters
    ----------
    members : list of Forecaster (unfitted); ``fit`` fits each on the same series.

    References
    ----------
    Bates & Granger, "The combination of forecasts", ORQ 20 (1969) 451-468;
    Petropoulos et al., IJF 38 (2022), 2.6.
    """

    name = "combination"

    def __init__(self, *, members: list) -> None:
        if not members:
            raise ValueError("a combination needs at least one member model")
        self.members = list(members)
        self.min_length = max(m.min_length for m in self.members)

    def _fit(self, y: np.ndarray) -> None:
        for member in self.members:
            member.fit(y)
        self.sigma_ = float(np.mean([m.sigma_ for m in self.members]))

    def _mean(self, h: int) -> np.ndarray:
        return np.mean([m.predict(h, level=())["mean"] for m in self.members], axis=0)


class ETS(Forecaster):
    """Exponential smoothing (Holt-Winters) from statsmodels, damped trend by default.

    Additive error/trend/season as statsmodels ``ExponentialSmoothing`` fits them; the
    season is used only when the history holds at least two full seasons.

    Parameters
    ----------
    trend : "add" or None (default "add").
    damped_trend : bool (default True).
    seasonal : "add" or None (default None; weekly season costs ~0.7 s per fit).
    season_length : int (default 6).

    References
    ----------
    Gardner & McKenzie, "Forecasting trends in time series", Management Science 31
    (1985) 1237-1246; Hyndman et al., Forecasting with Exponential Smoothing (2008).
    """

    name = "ets"
    min_length = 12

    def __init__(
        self,
        *,
        trend: str | None = "add",
        damped_trend: bool = True,
        seasonal: str | None = None,
        season_length: int = 6,
    ) -> None:
        self.trend, self.damped_trend = trend, damped_trend
        self.seasonal, self.season_length = seasonal, season_length

    def _fit(self, y: np.ndarray) -> None:
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        seasonal = self.seasonal if y.size >= 2 * self.season_length else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = ExponentialSmoothing(
                y,
                trend=self.trend,
                damped_trend=bool(self.trend) and self.damped_trend,
                seasonal=seasonal,
                seasonal_periods=self.season_length if seasonal else None,
                initialization_method="estimated",
            )
            self.result_ = model.fit()
        resid = np.asarray(self.result_.resid)
        self.sigma_ = float(np.sqrt(np.mean(resid**2)))

    def _mean(self, h: int) -> np.ndarray:
        return np.asarray(self.result_.forecast(h), dtype=float)


class SARIMAX(Forecaster):
    """Seasonal ARIMA from statsmodels with model-based intervals.

    Parameters
    ----------
    order : (p, d, q) (default (1, 0, 1)).
    seasonal_order : (P, D, Q, m) (default (1, 0, 0, 6)).

    References
    ----------
    Box, Jenkins, Reinsel & Ljung, Time Series Analysis (5th ed., 2015);
    statsmodels ``SARIMAX`` (state-space, Durbin & Koopman 2012).
    """

    name = "sarimax"
    min_length = 30

    def __init__(self, *, order=(1, 0, 1), seasonal_order=(1, 0, 0, 6)) -> None:
        self.order, self.seasonal_order = tuple(order), tuple(seasonal_order)

    def _fit(self, y: np.ndarray) -> None:
        from statsmodels.tsa.statespace.sarimax import SARIMAX as _SARIMAX

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.result_ = _SARIMAX(
                y, order=self.order, seasonal_order=self.seasonal_order, trend="c"
            ).fit(disp=False, maxiter=50)
        self.sigma_ = float(np.sqrt(max(self.result_.scale, 0.0)))

    def _mean(self, h: int) -> np.ndarray:
        return np.asarray(self.result_.forecast(h), dtype=float)

    def predict(self, h: int, level=(80, 95)) -> dict[str, np.ndarray]:
        out = super().predict(h, level)
        fc = self.result_.get_forecast(h)
        for lev in level:
            ci = np.asarray(fc.conf_int(alpha=1 - lev / 100.0))
            out[f"lo-{lev}"] = np.clip(np.nan_to_num(ci[:, 0]), 0.0, None)
            out[f"hi-{lev}"] = np.clip(np.nan_to_num(ci[:, 1]), 0.0, None)
        return out
