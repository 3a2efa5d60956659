"""Fixed forecast comparison of issue 4: ours beside statsforecast, one run.

Series: daily units per product code (codes starting with five digits; postage, fees
and other non-product codes left out), cancellations netted, days without sales as
zeros, negative days clipped to zero, every calendar day 2010-12-01..2011-12-09 (374
days; Saturdays and the Christmas closure are zeros, as in the issue's figures).
Products: codes with a line on at least 100 distinct days (1,080). Hold-out: the last 28
calendar days. MASE: MAE / in-sample 7-day seasonal-naive MAE, averaged over products.
WAPE: sum |error| / sum actual over all products and hold-out days.

Ours (``inventory.algorithms``) models the *trading-day* series (closed days removed,
not zero-filled): the trading calendar of the training window (Saturdays, 24 Dec-3 Jan,
weekdays without any trade) is learnt from the training data only, the hold-out's
trading days follow the calendar rules, and closed days get a zero forecast.

Run: ``.venv/bin/python benchmarks/forecast.py [--catalogue] [--data PATH]``
(statsforecast from the ``bench`` extra). Prints one table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inventory.algorithms.backtest import AutoForecaster  # noqa: E402
from inventory.algorithms.calibration import (  # noqa: E402
    interval_calibration,
    scale_for,
)
from inventory.algorithms.demand import TradingCalendar  # noqa: E402
from inventory.algorithms.metrics import (  # noqa: E402
    coverage,
    interval_pinball,
    seasonal_naive_scale,
)

H, M, START, END = 28, 7, "2010-12-01", "2011-12-09"
DEFAULT_DATA = (
    Path(os.environ.get("SHARED_DATA_DIR", ROOT.parent / "shared" / "data"))
    / "online_retail.csv.gz"
)


def load(path: Path, min_days: int = 100):
    """Return (Y (n, 374) calendar-day units, codes, calendar, trading-day mask)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df["q"] = df["Quantity"].astype(int)
    df["day"] = pd.to_datetime(df["InvoiceDate"]).dt.normalize()
    trading = pd.DatetimeIndex(sorted(df["day"].unique()))
    prod = df[df["StockCode"].str.match(r"^\d{5}")]
    days = prod.groupby("StockCode")["day"].nunique()
    keep = days[days >= min_days].index
    cal = pd.date_range(START, END, freq="D")
    daily = (
        prod[prod["StockCode"].isin(keep)]
        .groupby(["StockCode", "day"])["q"]
        .sum()
        .clip(lower=0)
        .unstack(fill_value=0)
        .reindex(columns=cal, fill_value=0)
    )
    return daily.to_numpy(float), list(daily.index), cal, cal.isin(trading)


def score(name, Y, F, seconds, lo80=None, hi80=None, lo95=None, hi95=None):
    ytr, yte = Y[:, :-H], Y[:, -H:]
    scales = np.array([seasonal_naive_scale(r, M) for r in ytr])
    with np.errstate(divide="ignore", invalid="ignore"):
        mase = np.mean(np.abs(yte - F), axis=1) / scales
    mase = mase[np.isfinite(mase)]  # constant training series have no MASE scale
    row = {
        "model": name,
        "MASE": float(np.nanmean(mase)),
        "WAPE": float(np.abs(yte - F).sum() / yte.sum()),
        "time_s": seconds,
        "cov80": coverage(yte, lo80, hi80) if lo80 is not None else None,
        "cov95": coverage(yte, lo95, hi95) if lo95 is not None else None,
        "pin80": interval_pinball(yte, lo80, hi80, 80) if lo80 is not None else None,
        "pin95": interval_pinball(yte, lo95, hi95, 95) if lo95 is not None else None,
    }
    return row


def run_statsforecast(Y, cal):
    from statsforecast import StatsForecast
    from statsforecast.models import (
        ADIDA,
        TSB,
        AutoETS,
        CrostonOptimized,
        SeasonalNaive,
        SeasonalWindowAverage,
        WindowAverage,
    )

    ids = np.repeat(np.arange(Y.shape[0]), Y.shape[1] - H)
    train = pd.DataFrame(
        {
            "unique_id": ids,
            "ds": np.tile(cal[:-H], Y.shape[0]),
            "y": Y[:, :-H].ravel(),
        }
    )
    models = [
        (SeasonalNaive(season_length=7), "SeasonalNaive(7)", True),
        (CrostonOptimized(), "CrostonOptimized", False),
        (TSB(alpha_d=0.1, alpha_p=0.1), "TSB(0.1, 0.1)", False),
        (ADIDA(), "ADIDA", False),
        (AutoETS(season_length=7), "AutoETS(7)", True),
        (WindowAverage(window_size=28), "WindowAverage(28)", False),
        (SeasonalWindowAverage(season_length=7, window_size=4), "SWA(7, 4)", False),
    ]
    rows = []
    for model, label, has_pi in models:
        sf = StatsForecast(models=[model], freq="D", n_jobs=1)
        t0 = time.perf_counter()
        out = sf.forecast(df=train, h=H, level=[80, 95] if has_pi else None)
        secs = time.perf_counter() - t0
        col = [c for c in out.columns if c not in ("unique_id", "ds")][0]
        col = col.split("-lo-")[0].split("-hi-")[0]

        def grid(c, out=out):
            return out.pivot(index="unique_id", columns="ds", values=c).to_numpy()

        bands = {}
        if has_pi:
            bands = {
                f"{e}{lv}": np.clip(grid(f"{col}-{e}-{lv}"), 0, None)
                for e in ("lo", "hi")
                for lv in (80, 95)
            }
        F = np.clip(grid(col), 0, None)
        rows.append(score("statsforecast " + label, Y, F, secs, **bands))
    return rows


def run_ours(Y, cal, trading, calibrate=True, **params):
    """Fit AutoForecaster on each product's trading-day training series; calibrate the
    interval widths per demand class on the backtest origins (training data only)."""
    train_days, test_days = cal[:-H], cal[-H:]
    calendar = TradingCalendar.from_history(
        train_days[trading[:-H]], start=train_days[0].date(), end=train_days[-1].date()
    )
    open_test = calendar.open_mask(test_days)
    h = int(open_test.sum())
    out = {k: np.zeros((Y.shape[0], H)) for k in ("mean", "lo-80", "hi-80")}
    out.update({k: np.zeros((Y.shape[0], H)) for k in ("lo-95", "hi-95")})
    chosen: dict[str, int] = {}
    t0 = time.perf_counter()
    models = [
        AutoForecaster(horizon=h, **params).fit(row[:-H][trading[:-H]]) for row in Y
    ]
    # interval widths calibrated on the last backtest origin (before the hold-out)
    calibration = interval_calibration(models) if calibrate else {}
    for i, model in enumerate(models):
        if calibrate:
            model.interval_scale = scale_for(calibration, model.demand_class_.label)
        pred = model.predict(h, level=(80, 95))
        for key, val in pred.items():
            out[key][i, open_test] = val
        for name in model.model_name_.removeprefix("mean(").rstrip(")").split(","):
            chosen[name] = chosen.get(name, 0) + 1
    secs = time.perf_counter() - t0
    bands = {
        "lo80": out["lo-80"],
        "hi80": out["hi-80"],
        "lo95": out["lo-95"],
        "hi95": out["hi-95"],
    }
    row = score("ours AutoForecaster", Y, out["mean"], secs, **bands)
    return row, chosen, calibration


def print_table(rows):
    cols = ("cov80", "cov95", "pin80", "pin95")
    print(
        f"{'model':<36} {'MASE':>6} {'WAPE':>6} {'time s':>8} "
        + " ".join(f"{c:>6}" for c in cols)
    )
    for r in rows:
        extra = " ".join(
            f"{r[c]:>6.3f}" if r[c] is not None else f"{'-':>6}" for c in cols
        )
        print(
            f"{r['model']:<36} {r['MASE']:>6.3f} {r['WAPE']:>6.3f} "
            f"{r['time_s']:>8.1f} {extra}"
        )
    print(
        "cov80/cov95: share of hold-out days inside the 80/95 % intervals; "
        "pin80/pin95: mean pinball loss of the interval ends (units/day)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument(
        "--catalogue", action="store_true", help="also time ours on every product code"
    )
    parser.add_argument("--interval-method", default="additive")
    parser.add_argument("--combine", type=int, default=3)
    parser.add_argument(
        "--no-calibration",
        action="store_true",
        help="raw per-product empirical intervals (no pooled width calibration)",
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    Y, codes, cal, trading = load(args.data)
    print(f"{len(codes)} products x {Y.shape[1]} days; hold-out {H} days")
    rows = [] if args.no_reference else run_statsforecast(Y, cal)
    ours, chosen, calibration = run_ours(
        Y,
        cal,
        trading,
        calibrate=not args.no_calibration,
        interval_method=args.interval_method,
        combine=args.combine,
    )
    rows.append(ours)
    print_table(rows)
    if calibration:
        print(
            "interval width multipliers (80 %, 95 %) calibrated on the last backtest "
            "origin: "
            + "; ".join(f"{k} {v[80]:.2f}, {v[95]:.2f}" for k, v in calibration.items())
        )
    top = sorted(chosen.items(), key=lambda kv: -kv[1])[:8]
    print("most chosen:", ", ".join(f"{n} x{c}" for n, c in top))
    if args.catalogue:
        Ya, codes_a, _, _ = load(args.data, min_days=1)
        row, _, _ = run_ours(
            Ya,
            cal,
            trading,
            calibrate=not args.no_calibration,
            interval_method=args.interval_method,
            combine=args.combine,
        )
        print(
            f"whole catalogue: {len(codes_a)} product codes forecast (backtest + "
            f"selection + intervals) in {row['time_s']:.1f} s; MASE {row['MASE']:.3f}"
        )


if __name__ == "__main__":
    main()
