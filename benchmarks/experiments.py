"""Experiments benchmark: are the readout's error rates what it claims, on real traffic?

Run::

    OPENBLAS_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/experiments.py \
        [--aa 500] [--open-ended 200] [--power 200] [--lifts 0.10,0.15,0.20] \
        [--splits 20000] [--months 3] [--seed 0]

It reads ``online_retail.csv.gz`` from SHARED_DATA_DIR (default ``../shared/data``).

Replay: the last ``--months`` of the UCI Online Retail order history are the
experiment. Customers arrive on their real first visit day in that window (that day
is their assignment); each is assigned by the product's own hash assignment
(:func:`experiments.algorithms.assignment.variant_index`, a fresh salt per simulated
experiment); what they spend from then on is their real net spend (sales minus
cancellations, GBP). The treatment's spend is multiplied by ``1 + lift`` (the
injected effect; 0 in A/A). The readout is
:func:`experiments.algorithms.readout.cumulative_lift`, the function the admin page
calls, looked at every day, with the served defaults (7-day window, p99 capping,
CUPED, group-sequential test with error spending to the planned stop = the last day:
Lan & DeMets 1983, boundaries from the estimated correlation of the looks'
z-statistics).

Prints one table:

* A/A (no effect), over ``--aa`` simulated experiments: the false-positive rate of the
  sequential readout with daily peeking until the planned stop (error spending, the
  product's decision rule when an experiment has a planned stop), the open-ended
  always-valid mSPRT (threshold 1/alpha: valid, conservative; first
  ``--open-ended`` experiments), a fixed-horizon Welch test looked at once at the
  end (the reference), the sequential test's own statistic looked at once at the end
  (over the same experiments, and over ``--splits`` random re-splits of the same
  customers: a permutation check of that statistic's null distribution, where
  500 experiments alone leave a binomial s.e. of 0.01) and the same Welch test
  peeked at daily (what goes wrong without a sequential method);
* power at each injected lift over ``--power`` experiments (share of experiments whose
  sequential test rejected by the last day), and the median day it did;
* CUPED (pre-period: the 90 days before the window): mean variance reduction and how
  much narrower the 95 % interval of the cumulative difference is at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from experiments.algorithms.assignment import variant_index  # noqa: E402
from experiments.algorithms.readout import (  # noqa: E402
    cumulative_lift,
    sequential_outcome,
)

PRE_DAYS = 90
Z95 = 1.959963984540054  # two-sided 5 %


def load(path: Path, months: int):
    """Units of the replay: (first_day (n,), daily net spend (n, days), pre (n,))."""
    df = pd.read_csv(
        path,
        dtype=str,
        usecols=["InvoiceNo", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"],
    )
    df = df[df["CustomerID"].notna()]
    df["amount"] = df["Quantity"].astype(float) * df["UnitPrice"].astype(float)
    df["day"] = pd.to_datetime(df["InvoiceDate"]).dt.normalize()
    end = df["day"].max()
    start = end - pd.DateOffset(months=months) + pd.Timedelta(days=1)
    window = df[df["day"] >= start]
    visits = window[~window["InvoiceNo"].str.startswith("C")]
    first = visits.groupby("CustomerID")["day"].min()
    customers = first.index.to_numpy()
    index = {c: i for i, c in enumerate(customers)}
    days = (end - start).days + 1
    daily = np.zeros((customers.size, days))
    rows = window[window["CustomerID"].isin(index)]
    np.add.at(
        daily,
        (
            rows["CustomerID"].map(index).to_numpy(),
            (rows["day"] - start).dt.days.to_numpy(),
        ),
        rows["amount"].to_numpy(),
    )
    pre_rows = df[
        (df["day"] < start) & (df["day"] >= start - pd.Timedelta(PRE_DAYS, "D"))
    ]
    pre = (
        pre_rows[pre_rows["CustomerID"].isin(index)]
        .groupby("CustomerID")["amount"]
        .sum()
        .reindex(customers, fill_value=0.0)
        .to_numpy()
    )
    first_day = (first.to_numpy() - np.datetime64(start)).astype("timedelta64[D]")
    return first_day.astype(int), daily, pre, start, end


def cumulative_from_first(first_day, daily):
    """Spend since assignment, cumulated to each day: (n, days)."""
    days = np.arange(daily.shape[1])
    since = np.where(days[None, :] >= first_day[:, None], daily, 0.0)
    return np.cumsum(since, axis=1)


def one_experiment(seed, first_day, values, pre, lift, *, open_ended=False):
    """One simulated experiment read daily; what each readout decided."""
    salt = f"bench-{seed}"
    n, days = values.shape
    arm = np.array([variant_index(salt, f"c:{i}", (0.5, 0.5)) for i in range(n)])
    y = values * np.where(arm == 1, 1.0 + lift, 1.0)[:, None]
    out = cumulative_lift(arm, first_day, y, pre_period=pre, horizon=days)
    hit = np.flatnonzero(out["reject"])
    result = {
        "sequential": bool(out["reject"][-1]),
        "day": int(hit[0]) if hit.size else -1,
        "fixed_end": bool(out["low"][-1] > 0 or out["high"][-1] < 0),
        # the sequential test's own statistic (7-day window, capped, CUPED), one
        # look at the end: what the sequential rate should be compared with
        "seq_fixed_end": bool(
            abs(out["seq_difference"][-1]) / np.sqrt(out["seq_variance"][-1]) >= Z95
        ),
        "fixed_daily": bool(np.any((out["low"] > 0) | (out["high"] < 0))),
        "reduction": float(out["variance_reduction"][-1]),
        "narrowing": float(
            1
            - (out["cuped_high"][-1] - out["cuped_low"][-1])
            / (out["high"][-1] - out["low"][-1])
        ),
    }
    if open_ended:
        plain = cumulative_lift(arm, first_day, y)
        result["open_ended"] = bool(plain["reject"][-1])
    return result


def permutation_rate(first_day, values, pre, splits, seed, *, chunk=1000):
    """Share of ``splits`` random 50/50 re-splits in which the sequential test's own
    statistic (Welch z on the capped, CUPED-adjusted 7-day outcome), looked at once
    on the last day, reaches 1.96: its false-positive rate without peeking, with
    the values the readout computes (:func:`sequential_outcome`)."""
    y, mature = sequential_outcome(first_day, values, pre_period=pre)
    y = y[mature]
    rng = np.random.default_rng(seed)
    hits = 0
    for start in range(0, splits, chunk):
        arm = (rng.random((min(chunk, splits - start), y.size)) < 0.5).astype(float)
        nt = arm.sum(axis=1)
        nc = y.size - nt
        st, st2 = arm @ y, arm @ (y * y)
        sc, sc2 = y.sum() - st, (y * y).sum() - st2
        mt, mc = st / nt, sc / nc
        vt = (st2 - nt * mt**2) / (nt - 1)
        vc = (sc2 - nc * mc**2) / (nc - 1)
        z = (mt - mc) / np.sqrt(vt / nt + vc / nc)
        hits += int(np.sum(np.abs(z) >= Z95))
    return hits / splits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--aa", type=int, default=500)
    parser.add_argument("--open-ended", type=int, default=200)
    parser.add_argument("--power", type=int, default=200)
    parser.add_argument("--splits", type=int, default=20000)
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--lifts", default="0.10,0.15,0.20")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    data = Path(os.environ.get("SHARED_DATA_DIR", "../shared/data"))
    began = time.perf_counter()
    first_day, daily, pre, start, end = load(data / "online_retail.csv.gz", args.months)
    values = cumulative_from_first(first_day, daily)
    n, days = values.shape
    print(
        f"replay {start:%Y-%m-%d}..{end:%Y-%m-%d}: {n:,} customers arriving on "
        f"their real first visit day, {days} daily looks, mean spend "
        f"{values[:, -1].mean():,.2f} GBP per customer (net of cancellations)"
    )
    aa = [
        one_experiment(
            args.seed * 100_000 + i,
            first_day,
            values,
            pre,
            0.0,
            open_ended=i < args.open_ended,
        )  # fmt: skip
        for i in tqdm(range(args.aa), desc="A/A", unit="exp")
    ]
    rows = [
        (
            "A/A error spending to planned stop, daily (ours)",
            np.mean([r["sequential"] for r in aa]),
        ),
        (
            f"A/A mSPRT open-ended, daily ({args.open_ended} exp.)",
            np.mean([r["open_ended"] for r in aa if "open_ended" in r]),
        ),
        (
            "A/A Welch once at the end (reference)",
            np.mean([r["fixed_end"] for r in aa]),
        ),
        (
            "A/A its statistic, once at the end (reference)",
            np.mean([r["seq_fixed_end"] for r in aa]),
        ),
        (
            f"A/A its statistic, once at the end, {args.splits:,} splits",
            permutation_rate(first_day, values, pre, args.splits, args.seed),
        ),
        (
            "A/A Welch peeked daily (no correction)",
            np.mean([r["fixed_daily"] for r in aa]),
        ),
    ]
    se = np.sqrt(0.05 * 0.95 / args.aa)
    print(
        f"\nfalse-positive rate over {args.aa} A/A experiments, alpha 0.05 "
        f"(binomial s.e. at 0.05: {se:.3f})"
    )
    print(f"{'readout':<48} {'false positives':>16}")
    for name, rate in rows:
        print(f"{name:<48} {rate:>16.3f}")
    print(f"\npower over {args.power} experiments, {days} days, 50/50 split")
    print(
        f"{'injected lift':>14} {'power (seq.)':>14} {'median day':>11} "
        f"{'power (Welch end)':>18}"
    )
    for lift in [float(x) for x in args.lifts.split(",")]:
        runs = [
            one_experiment(
                10**7 + args.seed * 100_000 + i, first_day, values, pre, lift
            )
            for i in tqdm(
                range(args.power), desc=f"lift {lift:.0%}", unit="exp", leave=False
            )
        ]
        hit_days = [r["day"] + 1 for r in runs if r["day"] >= 0]
        print(
            f"{lift:>14.0%} {np.mean([r['sequential'] for r in runs]):>14.3f} "
            f"{(np.median(hit_days) if hit_days else float('nan')):>11.0f} "
            f"{np.mean([r['fixed_end'] for r in runs]):>18.3f}"
        )
    red = np.array([r["reduction"] for r in aa])
    nar = np.array([r["narrowing"] for r in aa])
    print(
        f"\nCUPED with {PRE_DAYS}-day pre-period spend: variance of the difference "
        f"-{np.nanmean(red):.1%} (mean), 95 % interval {np.nanmean(nar):.1%} narrower "
        f"(median {np.nanmedian(nar):.1%})"
    )
    print(
        f"\n{args.aa + args.power * len(args.lifts.split(','))} experiments in "
        f"{time.perf_counter() - began:,.0f} s"
    )


if __name__ == "__main__":
    main()
