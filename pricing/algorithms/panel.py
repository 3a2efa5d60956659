"""Order lines -> weekly demand at the week's list price, per product and channel.

Why not regress line quantity on line price: in the Online Retail data the unit price of
a line mostly follows the quantity ordered (volume tiers: larger orders pay less per
unit), and lines without a customer id are priced about twice as high (a separate
channel). A line-level regression measures that discount schedule, not how demand
responds to price. The panel built here removes both confounders:

* **channel**: lines with a customer id (``identified``) and without (``guest``) are
  kept apart; the estimator gives each channel its own intercept;
* **list price**: the week's price is the *typical small-order price* (the most
  frequent unit price among lines at or below the product-channel's median quantity),
  so the price does not move with the size of the week's orders; a week with only large
  orders carries the previous week's list price forward (the list price is a state);
* **reference price**: one- or two-week blips (a week whose modal price is set by a
  handful of odd lines) are smoothed away by taking the modal weekly price over a
  centred window of ``reference_window`` weeks (Eichenbaum, Jaimovich & Rebelo,
  "Reference prices, costs and nominal rigidities", AER 2011); persistent changes stay;
* **demand**: the week's quantity is the sum of all units sold in the channel, at every
  tier, so big orders count as demand at the week's list price;
* **guest lines at the account price** (guest lines priced no more than
  ``guest_leak_tolerance`` above the identified channel's median price, in products
  whose guest price is clearly higher) are a leak of the account channel and are
  dropped, so that they do not flip the guest list price week to week;
* **market index**: the log of all other products' units in the same channel-week, a
  control for seasonality, holidays and the shop's trend;
* **free lines**: lines at a unit price <= 0 GBP (giveaways, samples, manual
  corrections) say nothing about demand at a price and would pull the week's list price
  toward 0; they are left out (count them with :func:`nonpositive_price_lines`).

No Django import here: input and output are pandas frames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LINE_COLUMNS = ("product_id", "placed_at", "quantity", "unit_price", "is_guest")
PANEL_COLUMNS = (
    "product_id",
    "channel",
    "week",
    "list_price",
    "price_imputed",
    "raw_list_price",
    "quantity",
    "n_lines",
    "market_units",
)
IDENTIFIED, GUEST = "identified", "guest"


def _validate(lines: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in LINE_COLUMNS if c not in lines.columns]
    if missing:
        raise ValueError(f"lines is missing column(s) {missing}; needs {LINE_COLUMNS}")
    out = lines.loc[:, list(LINE_COLUMNS)].copy()
    out["quantity"] = pd.to_numeric(out["quantity"], errors="raise").astype(float)
    out["unit_price"] = pd.to_numeric(out["unit_price"], errors="raise").astype(float)
    placed = pd.to_datetime(out["placed_at"])
    if getattr(placed.dt, "tz", None) is not None:
        placed = placed.dt.tz_convert("UTC").dt.tz_localize(None)
    out["placed_at"] = placed
    out["is_guest"] = out["is_guest"].astype(bool)
    return out


def _drop_guest_leak(lines: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    ident = lines[~lines["is_guest"]].groupby("product_id")["unit_price"].median()
    guest = lines[lines["is_guest"]].groupby("product_id")["unit_price"].median()
    ref = ident.reindex(lines["product_id"]).to_numpy()
    gmed = guest.reindex(lines["product_id"]).to_numpy()
    distinct = np.nan_to_num(gmed) > 1.5 * np.nan_to_num(ref, nan=np.inf)
    leak = (
        lines["is_guest"].to_numpy()
        & distinct
        & (lines["unit_price"].to_numpy() <= ref * (1 + tolerance))
    )
    return lines[~leak]


def _modal_price(small: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Most frequent unit price per group (ties -> the higher, i.e. list, price)."""
    cents = np.round(small["unit_price"].to_numpy() * 100).astype(np.int64)
    counts = (
        small.loc[:, keys].assign(cents=cents).value_counts().rename("n").reset_index()
    )
    counts = counts.sort_values(keys + ["n", "cents"])
    best = counts.groupby(keys, sort=False).tail(1).set_index(keys)["cents"]
    return (best / 100.0).rename("list_price")


def _rolling_mode(values: np.ndarray, window: int) -> np.ndarray:
    """Centred rolling modal value (ties: the row's own value, else the higher)."""
    half = window // 2
    out = values.copy()
    for i in range(len(values)):
        win = values[max(0, i - half) : i + half + 1]
        uniq, counts = np.unique(win, return_counts=True)
        modes = uniq[counts == counts.max()]
        out[i] = values[i] if values[i] in modes else modes.max()
    return out


def _reference_prices(panel: pd.DataFrame, keys: list[str], window: int) -> np.ndarray:
    cents = np.round(panel["raw_list_price"].to_numpy() * 100).astype(np.int64)
    out = cents.copy()
    if window <= 1:
        return out / 100.0
    starts = np.flatnonzero(
        np.r_[True, (panel[keys].to_numpy()[1:] != panel[keys].to_numpy()[:-1]).any(1)]
    )
    bounds = np.r_[starts, len(panel)]
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        if b - a > 1 and np.ptp(cents[a:b]) > 0:
            out[a:b] = _rolling_mode(cents[a:b], window)
    return out / 100.0


def weekly_panel(
    lines: pd.DataFrame,
    *,
    small_order_quantile: float = 0.5,
    guest_leak_tolerance: float = 0.2,
    reference_window: int = 5,
) -> pd.DataFrame:
    """Weekly demand at the week's list price, per product and channel.

    Parameters
    ----------
    lines : pandas.DataFrame, one row per sales order line, columns
        ``product_id`` (int), ``placed_at`` (datetime, naive or tz-aware),
        ``quantity`` (units; rows <= 0 are ignored: cancellations and write-offs),
        ``unit_price`` (GBP per unit; rows <= 0 are left out: giveaways are not
        demand at a price), ``is_guest`` (bool, no customer id).
    small_order_quantile : float in (0, 1], lines at or below this quantile of the
        product-channel's line quantity set the week's list price.
    guest_leak_tolerance : float, share above the identified median price under which
        a guest line counts as an account-price leak (see module docstring).
    reference_window : int, weeks (with sales) of the centred modal-price window; 1
        keeps the raw weekly modal price.

    Returns
    -------
    pandas.DataFrame with columns :data:`PANEL_COLUMNS`: one row per (product, channel,
    week with sales); ``week`` is the Monday (naive datetime), ``list_price`` GBP,
    ``quantity`` units, ``market_units`` the other products' units that channel-week,
    ``raw_list_price`` the week's own modal small-order price before smoothing.

    Raises
    ------
    ValueError
        A required column is missing or a parameter is out of range.
    """
    if not 0 < small_order_quantile <= 1:
        raise ValueError("small_order_quantile must be in (0, 1]")
    df = _validate(lines)
    df = df[(df["quantity"] > 0) & (df["unit_price"] > 0)]
    if df.empty:
        return pd.DataFrame(columns=list(PANEL_COLUMNS))
    df = _drop_guest_leak(df, guest_leak_tolerance)
    df["channel"] = np.where(df["is_guest"], GUEST, IDENTIFIED)
    monday = df["placed_at"] - pd.to_timedelta(df["placed_at"].dt.dayofweek, "D")
    df["week"] = monday.dt.normalize()
    keys = ["product_id", "channel"]
    cut = df.groupby(keys)["quantity"].transform("quantile", small_order_quantile)
    small = df[df["quantity"] <= cut]
    wk = keys + ["week"]
    price = _modal_price(small, wk)
    demand = df.groupby(wk).agg(
        quantity=("quantity", "sum"), n_lines=("quantity", "size")
    )
    panel = demand.join(price, how="left").reset_index().sort_values(wk)
    panel["price_imputed"] = panel["list_price"].isna()
    panel["list_price"] = panel.groupby(keys)["list_price"].ffill()
    panel["raw_list_price"] = panel.groupby(keys)["list_price"].bfill()
    panel = panel.reset_index(drop=True)
    panel["list_price"] = _reference_prices(panel, keys, reference_window)
    total = panel.groupby(["channel", "week"])["quantity"].transform("sum")
    panel["market_units"] = total - panel["quantity"]
    return panel.loc[:, list(PANEL_COLUMNS)].reset_index(drop=True)


def nonpositive_price_lines(lines: pd.DataFrame) -> pd.Series:
    """Sold lines (quantity > 0) at a unit price <= 0 GBP, counted per product.

    These are the lines :func:`weekly_panel` leaves out of the estimation.

    Parameters
    ----------
    lines : pandas.DataFrame with ``product_id``, ``quantity`` and ``unit_price``.

    Returns
    -------
    pandas.Series product_id -> number of lines (only products with at least one).
    """
    qty = pd.to_numeric(lines["quantity"], errors="coerce")
    price = pd.to_numeric(lines["unit_price"], errors="coerce")
    free = lines.loc[(qty > 0) & (price <= 0), "product_id"]
    return free.value_counts().sort_index().rename("n_lines")


def naive_line_elasticity(lines: pd.DataFrame) -> float:
    """The naive estimate: OLS slope of log line quantity on log line unit price.

    Shown beside the real estimator in the benchmark: on data with volume tiers and a
    guest channel it measures the discount schedule, not demand.

    Parameters
    ----------
    lines : pandas.DataFrame with ``quantity`` and ``unit_price`` of ONE product.

    Returns
    -------
    float, the slope (NaN when prices do not vary).
    """
    df = lines[(lines["quantity"] > 0) & (lines["unit_price"] > 0)]
    x = np.log(df["unit_price"].to_numpy(float))
    y = np.log(df["quantity"].to_numpy(float))
    if len(x) < 3 or np.ptp(x) == 0:
        return float("nan")
    x = x - x.mean()
    return float((x * (y - y.mean())).sum() / (x * x).sum())
