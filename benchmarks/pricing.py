"""Pricing benchmark: elasticity recovery on simulated data, and the real-data summary.

Run: ``nice -n 10 .venv/bin/python benchmarks/pricing.py [--products 40] [--seed 0]
[--no-real]``. Prints two tables:

1. Simulation: per scenario (demand curve x confounders x noise), for each estimator,
   the bias, mean absolute error, RMSE and 95 % interval coverage of the elasticity
   over many simulated products with known elasticities. Estimators:
   ``naive`` (line-level log quantity on log unit price: what the data tempt you to
   do), ``ours`` (weekly demand at the list price, OLS with week-clustered SE, market
   index), ``ours-huber`` (Huber-weighted), ``ours+trend`` (with a product trend) and
   ``oracle`` (statsmodels OLS of the identified channel's weekly units on the true list
   price, knowing the true season: the best one can do on these data).
2. Real data (UCI Online Retail, read from SHARED_DATA_DIR): how many products have
   an identifiable elasticity, by status, the distribution (quantiles), how many were
   pooled toward their category.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pricing.algorithms.elasticity import LogLogElasticity, estimate_panel  # noqa: E402
from pricing.algorithms.panel import naive_line_elasticity, weekly_panel  # noqa: E402
from pricing.algorithms.pooling import CategoryShrinkage, derive_category  # noqa: E402
from pricing.algorithms.simulation import (  # noqa: E402
    START,
    Scenario,
    season_index,
    simulate_catalogue,
    tier_discount,
)

ESTIMATORS = {
    "ours": LogLogElasticity(),
    "ours-huber": LogLogElasticity(method="huber"),
    "ours+trend": LogLogElasticity(controls=("market", "trend")),
}


def _oracle(lines: pd.DataFrame, s: Scenario) -> tuple[float, float, float]:
    """OLS of log weekly units (identified channel) on log list price, true season."""
    d = lines[~lines["is_guest"]]
    week = (d["placed_at"] - START).dt.days // 7
    factor = tier_discount(d["quantity"].to_numpy()) if s.volume_tiers else 1.0
    d = d.assign(list_price=np.round(d["unit_price"] / factor, 2))
    g = d.groupby(week).agg(q=("quantity", "sum"), p=("list_price", "max"))
    y = np.log(g["q"].to_numpy()) - season_index(
        g.index.to_numpy(), s.seasonality, s.trend
    )
    fit = sm.OLS(y, sm.add_constant(np.log(g["p"].to_numpy()))).fit()
    lo, hi = fit.conf_int()[1]
    return float(fit.params[1]), float(lo), float(hi)


def _cell(curve: str, confounded: bool, noise: float, n: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    scen = [
        Scenario(
            elasticity=float(rng.uniform(-3.0, -0.3)),
            curve=curve,
            noise=noise,
            n_price_changes=int(rng.integers(1, 4)),
            price_step=0.15,
            volume_tiers=confounded,
            guest_share=0.3 if confounded else 0.0,
        )
        for _ in range(n)
    ]
    lines, truth = simulate_catalogue(scen, seed=seed, market_products=30)
    panel = weekly_panel(lines)
    own = panel[panel["product_id"] > 0]
    fits = {name: estimate_panel(own, est) for name, est in ESTIMATORS.items()}
    rows = []
    for i, t in zip(truth["product_id"], truth["true_elasticity"], strict=True):
        one = lines[lines["product_id"] == i]
        rows.append(
            {
                "estimator": "naive",
                "true": t,
                "est": naive_line_elasticity(one),
                "lo": np.nan,
                "hi": np.nan,
            }
        )
        e, lo, hi = _oracle(one, scen[i - 1])
        rows.append({"estimator": "oracle", "true": t, "est": e, "lo": lo, "hi": hi})
        for name, res in fits.items():
            r = res[i]
            rows.append(
                {
                    "estimator": name,
                    "true": t,
                    "est": r.elasticity,
                    "lo": r.ci_low,
                    "hi": r.ci_high,
                }
            )
    for r in rows:
        r.update(
            curve=curve,
            confounders="tiers+guest" if confounded else "none",
            noise=noise,
        )
    return rows


def simulation_table(n: int, seed: int) -> pd.DataFrame:
    rows = []
    cells = [
        (c, conf, noise)
        for c in ("constant", "linear")
        for conf in (False, True)
        for noise in (0.1, 0.3)
    ]
    for k, (curve, conf, noise) in enumerate(cells):
        rows += _cell(curve, conf, noise, n, seed + k)
    df = pd.DataFrame(rows)
    df["err"] = df["est"] - df["true"]
    df["cov"] = (df["lo"] <= df["true"]) & (df["true"] <= df["hi"])
    out = df.groupby(["curve", "confounders", "noise", "estimator"], sort=False).apply(
        lambda g: pd.Series(
            {
                "n": len(g),
                "identified": int(g["est"].notna().sum()),
                "bias": g["err"].mean(),
                "MAE": g["err"].abs().mean(),
                "RMSE": float(np.sqrt((g["err"] ** 2).mean())),
                "coverage95": g.loc[g["est"].notna(), "cov"].mean()
                if g["lo"].notna().any()
                else np.nan,
            }
        ),
        include_groups=False,
    )
    out = out.reset_index()
    out[["n", "identified"]] = out[["n", "identified"]].astype(int)
    return out


def real_lines(path: Path) -> tuple[pd.DataFrame, pd.Series]:
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    code = raw["StockCode"].str.upper()
    keep = (~raw["InvoiceNo"].str.startswith(("C", "A"))) & code.str.match(
        r"^\d{5}[A-Z]?$"
    )
    raw, code = raw[keep], code[keep]
    lines = pd.DataFrame(
        {
            "product_id": code,
            "placed_at": pd.to_datetime(raw["InvoiceDate"]),
            "quantity": pd.to_numeric(raw["Quantity"]),
            "unit_price": pd.to_numeric(raw["UnitPrice"]),
            "is_guest": raw["CustomerID"] == "",
        }
    )
    desc = (
        raw.assign(code=code)
        .groupby("code")["Description"]
        .agg(lambda s: s.mode().iloc[0] if len(s.mode()) else "")
    )
    return lines, desc


def real_summary(path: Path) -> None:
    t0 = time.monotonic()
    lines, desc = real_lines(path)
    panel = weekly_panel(lines)
    results = estimate_panel(panel)
    cats = {pid: derive_category(desc.get(pid, "")) for pid in results}
    shrink = CategoryShrinkage().fit(results, cats)
    pooled = shrink.transform(results, cats)
    secs = time.monotonic() - t0
    ident_channel = (
        panel[panel["channel"] == "identified"]
        .groupby("product_id")["list_price"]
        .nunique()
    )
    print(
        f"\nReal data: {path.name}: {lines['product_id'].nunique()} product codes "
        f"with sales lines, {len(panel)} product-channel-weeks ({secs:.0f} s)"
    )
    print(
        f"codes whose weekly identified-channel list price takes >= 2 values: "
        f"{int((ident_channel >= 2).sum())}"
    )
    counts = collections.Counter(r.status for r in pooled.values())
    print("status after pooling:", dict(sorted(counts.items())))
    own = np.array([r.elasticity for r in pooled.values() if r.status == "identified"])
    allv = np.array([r.elasticity for r in pooled.values() if r.elasticity is not None])
    raw = np.array([r.raw_elasticity for r in pooled.values() if r.pooled])
    q = [0.05, 0.25, 0.5, 0.75, 0.95]
    table = pd.DataFrame(
        {
            "own estimate (not pooled)": np.quantile(own, q) if len(own) else np.nan,
            "pooled products, raw": np.quantile(raw, q) if len(raw) else np.nan,
            "all with an elasticity": np.quantile(allv, q) if len(allv) else np.nan,
        },
        index=["p05", "p25", "p50", "p75", "p95"],
    ).T
    table["n"] = [len(own), len(raw), len(allv)]
    print(table.round(2).to_string())
    qual = collections.Counter(
        r.quality for r in pooled.values() if r.status == "identified"
    )
    print("quality of own estimates:", dict(qual))
    print(
        f"share of own estimates < 0: {(own < 0).mean():.0%}; "
        f"elastic (< -1): {(own < -1).mean():.0%}"
    )
    print("priors (mean elasticity, tau^2, n informative products):")
    for name, p in sorted(shrink.priors_.items(), key=lambda kv: -kv[1].n):
        print(f"  {name:<20} {p.mu:6.2f} {p.tau2:6.3f} {p.n:5d}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=40, help="per scenario cell")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-real", action="store_true")
    args = ap.parse_args()
    t0 = time.monotonic()
    table = simulation_table(args.products, args.seed)
    print(
        f"Simulation: {args.products} products per cell, true elasticities "
        f"U(-3, -0.3), 52 weeks, 1-3 price steps of ~15 % "
        f"({time.monotonic() - t0:.0f} s)"
    )
    with pd.option_context("display.width", 140):
        print(table.round(3).to_string(index=False))
    if not args.no_real:
        data = Path(
            os.environ.get(
                "SHARED_DATA_DIR",
                Path(__file__).resolve().parents[2] / "shared" / "data",
            )
        )
        real_summary(data / "online_retail.csv.gz")


if __name__ == "__main__":
    main()
