"""Rule-based cold start: bestsellers, per-country bestsellers, trending, new arrivals,
pinned merchandising rules. Pure functions over pandas frames (no Django here).

Every function returns a :class:`Ranked` list (item ids best first, scores, one reason
string per item, the strategy name), so that the answer can say why it was given.

The fallback chain (implemented by ``recommender.services``; documented here)
------------------------------------------------------------------------------------
Every request gets an answer; the first strategy that yields enough items answers,
and the response names it (``strategy``) and gives each item's ``reason``:

1. **Personalised model** (the active purchase model: MF/ALS/EASE/GRU4Rec ...) when the
   customer is known to it (was in its training data) and has purchases.
   Reason: ``"because you bought <nearest bought product>"`` (the bought item most
   similar to the recommendation, e.g. :meth:`ContentRecommender.explain` or the
   item-item similarity), or ``"customers like you bought this"``.
2. **Content-based from the customer's few purchases** (new customers, or ones the
   model has not seen yet): :class:`recommender.algorithms.content.ContentRecommender`
   on their row. Reason: ``"because you bought <product>"`` (similar description).
   A **new product** enters the catalogue through the content encoder
   (``ContentRecommender.add_items``) and can be recommended and be given neighbours
   before any sale.
3. **Rules**, for anonymous visitors and customers without purchases:
   a. pinned rules valid now for the customer's country / the browsed category
      (:func:`apply_pins`, placed at their fixed positions on top of whatever answers);
   b. :func:`bestsellers_by_country` for the customer's country (if it has at least
      ``min_customers`` buyers there), reason ``"bestseller in France"``;
   c. :func:`bestsellers` overall (never empty while any sale exists), reason
      ``"bestseller: bought by 812 customers"``.
   :func:`trending` and :func:`new_arrivals` feed their own carousels and may fill
   the tail of a short list.

Each step applies the business filters (already bought if configured, inactive or
out-of-stock products, non-product codes) before counting whether it has ``k``
items; a short answer is topped up by the next step, never padded with duplicates.
The model version (artifact label) is reported when a trained model answered.

References
----------
Schafer, Konstan & Riedl, "E-commerce recommendation applications", Data Mining and
Knowledge Discovery 5, 2001 (non-personalised "top sellers" recommendations).
Lam et al., "Addressing cold-start problem in recommendation systems", ICUIMC 2008.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "Ranked",
    "PinnedRule",
    "bestsellers",
    "bestsellers_by_country",
    "trending",
    "new_arrivals",
    "apply_pins",
    "parse_pins",
]

MEASURES = ("customers", "orders", "quantity", "revenue")


@dataclass
class Ranked:
    """Items best first. ``item_ids`` (k,), ``scores`` float64 (k,), one reason each."""

    item_ids: np.ndarray
    scores: np.ndarray
    reasons: list[str]
    strategy: str

    def __len__(self) -> int:
        return len(self.reasons)

    def head(self, k: int) -> Ranked:
        return Ranked(
            self.item_ids[:k], self.scores[:k], self.reasons[:k], self.strategy
        )

    def as_records(self) -> list[dict]:
        """``[{"item_id", "score", "reason", "strategy"}, ...]``."""
        return [
            {"item_id": i, "score": float(s), "reason": r, "strategy": self.strategy}
            for i, s, r in zip(
                self.item_ids.tolist(), self.scores, self.reasons, strict=True
            )
        ]


def _empty(strategy: str) -> Ranked:
    return Ranked(np.array([], dtype=np.int64), np.array([], np.float64), [], strategy)


def _check_k(k: int) -> int:
    if int(k) < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    return int(k)


def _need(frame: pd.DataFrame, *cols: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ValueError(f"frame is missing column(s) {missing}; has {list(frame)}")


def _stamp(value, like: pd.Series, name: str) -> pd.Timestamp:
    """``value`` as a Timestamp comparable with the datetime column ``like``."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} is not a date/time: {value!r}")
    if not pd.api.types.is_datetime64_any_dtype(like):
        raise ValueError(f"column {like.name!r} must hold datetimes, got {like.dtype}")
    tz = like.dt.tz
    if tz is not None and ts.tzinfo is None:
        ts = ts.tz_localize(tz)
    elif tz is None and ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts


def _measure(
    lines: pd.DataFrame,
    measure: str,
    *,
    item: str,
    customer: str,
    order: str,
    quantity: str,
    price: str,
) -> pd.Series:
    """Per-item totals of ``measure``, float64, indexed by item id."""
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}, got {measure!r}")
    if lines.empty:
        return pd.Series(dtype=np.float64)
    g = lines.groupby(item, sort=False)
    if measure == "customers":
        _need(lines, customer)
        out = g[customer].nunique()
    elif measure == "orders":
        _need(lines, order)
        out = g[order].nunique()
    elif measure == "quantity":
        _need(lines, quantity)
        out = g[quantity].sum()
    else:
        _need(lines, quantity, price)
        spend = lines[quantity].astype(float) * lines[price].astype(float)
        out = spend.groupby(lines[item], sort=False).sum()
    return out.astype(np.float64)


_UNIT = {
    "customers": "customers",
    "orders": "orders",
    "quantity": "units",
    "revenue": "GBP",
}


def _ranked_from(totals: pd.Series, k: int, strategy: str, reason) -> Ranked:
    totals = totals[totals > 0]
    if totals.empty:
        return _empty(strategy)
    # best first; ties by item id so the answer is deterministic
    frame = totals.rename("s").reset_index()
    frame.columns = ["item", "s"]
    frame = frame.sort_values(["s", "item"], ascending=[False, True]).head(k)
    ids = frame["item"].to_numpy()
    scores = frame["s"].to_numpy(np.float64)
    return Ranked(
        ids, scores, [reason(i, s) for i, s in zip(ids, scores, strict=True)], strategy
    )


def _drop(lines: pd.DataFrame, item: str, exclude: Iterable | None) -> pd.DataFrame:
    if exclude is None:
        return lines
    return lines[~lines[item].isin(list(exclude))]


def _window(lines, time, since, until):
    if since is not None:
        lines = lines[lines[time] >= _stamp(since, lines[time], "since")]
    if until is not None:
        lines = lines[lines[time] < _stamp(until, lines[time], "until")]
    return lines


def bestsellers(
    lines: pd.DataFrame,
    *,
    k: int = 10,
    measure: str = "customers",
    since=None,
    until=None,
    exclude: Iterable | None = None,
    item: str = "item_id",
    customer: str = "customer_id",
    order: str = "order_id",
    quantity: str = "quantity",
    price: str = "unit_price",
    time: str = "placed_at",
) -> Ranked:
    """Top-``k`` items by ``measure`` over sales lines (optionally in [since, until)).

    Parameters
    ----------
    lines : DataFrame, one row per sales line with the named columns.
    measure : {"customers", "orders", "quantity", "revenue"}
        Distinct buyers (default: robust to one wholesaler's 80,000-unit line),
        distinct orders, units, or spend (quantity x unit_price, GBP).
    exclude : item ids never returned (already bought, out of stock ...).

    Returns
    -------
    Ranked, strategy ``"bestsellers"``; reason e.g. ``"bestseller: bought by 812
    customers"``.

    Raises
    ------
    ValueError
        Unknown measure, ``k < 1``, missing column, bad date.
    """
    k = _check_k(k)
    _need(lines, item)
    if since is not None or until is not None:
        _need(lines, time)
        lines = _window(lines, time, since, until)
    lines = _drop(lines, item, exclude)
    totals = _measure(
        lines,
        measure,
        item=item,
        customer=customer,
        order=order,
        quantity=quantity,
        price=price,
    )
    unit = _UNIT[measure]
    verb = "bought by" if measure == "customers" else "sold"
    return _ranked_from(
        totals,
        k,
        "bestsellers",
        lambda i, s: f"bestseller: {verb} {s:,.0f} {unit}",
    )


def bestsellers_by_country(
    lines: pd.DataFrame,
    *,
    country: str,
    k: int = 10,
    measure: str = "customers",
    min_customers: int = 1,
    exclude: Iterable | None = None,
    country_col: str = "country",
    item: str = "item_id",
    customer: str = "customer_id",
    **cols,
) -> Ranked:
    """Bestsellers among lines of one country (case-insensitive match).

    Returns an empty :class:`Ranked` when the country has fewer than
    ``min_customers`` distinct buyers (so the chain falls back to overall
    bestsellers). Strategy ``"country_bestsellers"``, reason ``"bestseller in
    France: bought by 41 customers there"``.

    Raises
    ------
    ValueError
        As :func:`bestsellers`; also an empty ``country``.
    """
    k = _check_k(k)
    if not str(country or "").strip():
        raise ValueError("country is empty")
    _need(lines, item, country_col)
    sub = lines[
        lines[country_col].astype(str).str.casefold() == str(country).strip().casefold()
    ]
    if customer in sub.columns and sub[customer].nunique() < int(min_customers):
        return _empty("country_bestsellers")
    base = bestsellers(
        sub, k=k, measure=measure, exclude=exclude, item=item, customer=customer, **cols
    )
    name = str(country).strip()
    reasons = [
        f"bestseller in {name}: " + r.split(": ", 1)[1] + " there" for r in base.reasons
    ]
    return Ranked(base.item_ids, base.scores, reasons, "country_bestsellers")


def trending(
    lines: pd.DataFrame,
    *,
    now,
    window_days: float = 7,
    k: int = 10,
    measure: str = "customers",
    min_current: float = 3,
    prior: float = 1.0,
    exclude: Iterable | None = None,
    item: str = "item_id",
    time: str = "placed_at",
    **cols,
) -> Ranked:
    """Items whose sales grew most in the last ``window_days`` vs the window before.

    growth_i = (c_i + prior) / (p_i + prior), with c_i, p_i the ``measure`` of item i
    in (now - w, now] and (now - 2w, now - w]; the additive ``prior`` (Laplace
    smoothing) keeps a jump from 0 to 1 sale from ranking first. Items need
    ``c_i >= min_current`` and growth > 1; ties break by c_i, then item id.

    Returns
    -------
    Ranked, strategy ``"trending"``, reason e.g. ``"trending: 12 customers in the
    last 7 days, up from 3"``.

    Raises
    ------
    ValueError
        ``window_days <= 0``, ``prior <= 0``, bad ``now``, missing column.
    """
    k = _check_k(k)
    if float(window_days) <= 0:
        raise ValueError(f"window_days must be > 0, got {window_days}")
    if float(prior) <= 0:
        raise ValueError(f"prior must be > 0, got {prior}")
    _need(lines, item, time)
    lines = _drop(lines, item, exclude)
    end = _stamp(now, lines[time], "now")
    w = pd.Timedelta(days=float(window_days))
    cur_lines = lines[(lines[time] > end - w) & (lines[time] <= end)]
    prev_lines = lines[(lines[time] > end - 2 * w) & (lines[time] <= end - w)]
    keys = dict(
        item=item,
        customer=cols.get("customer", "customer_id"),
        order=cols.get("order", "order_id"),
        quantity=cols.get("quantity", "quantity"),
        price=cols.get("price", "unit_price"),
    )
    cur = _measure(cur_lines, measure, **keys)
    prev = _measure(prev_lines, measure, **keys).reindex(cur.index, fill_value=0.0)
    growth = (cur + prior) / (prev + prior)
    frame = pd.DataFrame(
        {
            "item": cur.index,
            "g": growth.to_numpy(),
            "c": cur.to_numpy(),
            "p": prev.to_numpy(),
        }
    )
    frame = frame[(frame.c >= float(min_current)) & (frame.g > 1.0)]
    frame = frame.sort_values(["g", "c", "item"], ascending=[False, False, True])
    frame = frame.head(k)
    unit = _UNIT[measure]
    days = f"{float(window_days):g}"
    reasons = [
        f"trending: {c:,.0f} {unit} in the last {days} days, up from {p:,.0f}"
        for c, p in zip(frame.c, frame.p, strict=True)
    ]
    return Ranked(
        frame["item"].to_numpy(), frame.g.to_numpy(np.float64), reasons, "trending"
    )


def new_arrivals(
    products: pd.DataFrame,
    *,
    now,
    days: float = 30,
    k: int = 10,
    exclude: Iterable | None = None,
    item: str = "item_id",
    added: str = "first_seen",
) -> Ranked:
    """Products first offered within ``days`` before ``now``, newest first.

    Parameters
    ----------
    products : DataFrame with ``item`` and ``added`` (datetime: creation date, or the
        first sale, e.g. ``lines.groupby("item_id").placed_at.min()``).

    Returns
    -------
    Ranked, strategy ``"new_arrivals"``; score = days since added (smaller is newer);
    reason ``"new arrival: added 2011-12-01"``.
    """
    k = _check_k(k)
    if float(days) <= 0:
        raise ValueError(f"days must be > 0, got {days}")
    _need(products, item, added)
    products = _drop(products, item, exclude)
    end = _stamp(now, products[added], "now")
    recent = products[
        (products[added] <= end)
        & (products[added] > end - pd.Timedelta(days=float(days)))
    ]
    recent = recent.sort_values([added, item], ascending=[False, True]).head(k)
    age = (end - recent[added]).dt.total_seconds().to_numpy(np.float64) / 86400.0
    reasons = [f"new arrival: added {t:%Y-%m-%d}" for t in recent[added]]
    return Ranked(recent[item].to_numpy(), age, reasons, "new_arrivals")


@dataclass(frozen=True)
class PinnedRule:
    """Pin ``item_id`` at ``position`` (0 = top) for a country and/or category.

    ``country``/``category`` ``None`` match everything; ``valid_from`` inclusive,
    ``valid_until`` exclusive (``None`` = open-ended).
    """

    item_id: object
    position: int = 0
    country: str | None = None
    category: str | None = None
    valid_from: pd.Timestamp | None = None
    valid_until: pd.Timestamp | None = None
    reason: str = "featured"
    extra: Mapping = field(default_factory=dict)

    def applies(self, *, now, country: str | None, category: str | None) -> bool:
        """Whether the rule is in force for this request."""
        if self.country is not None and (
            country is None or self.country.casefold() != str(country).casefold()
        ):
            return False
        if self.category is not None and (
            category is None or self.category.casefold() != str(category).casefold()
        ):
            return False
        ts = pd.Timestamp(now)
        for bound, ok in (
            (self.valid_from, lambda b: ts >= b),
            (self.valid_until, lambda b: ts < b),
        ):
            if bound is not None:
                b = pd.Timestamp(bound)
                if (b.tzinfo is None) != (ts.tzinfo is None):
                    b = (
                        b.tz_localize("UTC")
                        if b.tzinfo is None
                        else b.tz_localize(None)
                    )
                if not ok(b):
                    return False
        return True


def parse_pins(records: Sequence[Mapping]) -> list[PinnedRule]:
    """Build rules from settings-style dicts, validating each field.

    Each record: ``{"item_id": 85123, "position": 0, "country": "France",
    "category": None, "valid_from": "2011-12-01", "valid_until": "2011-12-25",
    "reason": "Christmas pick"}``; only ``item_id`` is required.

    Raises
    ------
    ValueError
        Naming the record index and field (missing item_id, negative position,
        unparsable date, valid_until not after valid_from, unknown key).
    """
    allowed = {
        "item_id",
        "position",
        "country",
        "category",
        "valid_from",
        "valid_until",
        "reason",
    }
    rules = []
    for n, rec in enumerate(records):
        if not isinstance(rec, Mapping):
            raise ValueError(f"pin {n}: expected a mapping, got {type(rec).__name__}")
        unknown = set(rec) - allowed
        if unknown:
            raise ValueError(f"pin {n}: unknown field(s) {sorted(unknown)}")
        if rec.get("item_id") in (None, ""):
            raise ValueError(f"pin {n}: item_id is required")
        try:
            position = int(rec.get("position", 0))
        except (TypeError, ValueError):
            raise ValueError(f"pin {n}: position must be an integer")
        if position < 0:
            raise ValueError(f"pin {n}: position must be >= 0, got {position}")
        dates = {}
        for key in ("valid_from", "valid_until"):
            value = rec.get(key)
            try:
                dates[key] = None if value in (None, "") else pd.Timestamp(value)
            except (TypeError, ValueError):
                raise ValueError(f"pin {n}: {key} is not a date: {value!r}")
            if dates[key] is pd.NaT:
                raise ValueError(f"pin {n}: {key} is not a date: {value!r}")
        if (
            dates["valid_from"] is not None
            and dates["valid_until"] is not None
            and dates["valid_until"] <= dates["valid_from"]
        ):
            raise ValueError(f"pin {n}: valid_until must be after valid_from")
        rules.append(
            PinnedRule(
                item_id=rec["item_id"],
                position=position,
                country=rec.get("country"),
                category=rec.get("category"),
                reason=str(rec.get("reason") or "featured"),
                **dates,
            )
        )
    return rules


def apply_pins(
    ranked: Ranked,
    rules: Sequence[PinnedRule],
    *,
    now,
    country: str | None = None,
    category: str | None = None,
    k: int | None = None,
    exclude: Iterable | None = None,
) -> Ranked:
    """Place the rules in force at their positions; the rest keep their order.

    A pinned item already in the list moves to its pinned position (no duplicates);
    rules are placed in position order (earlier rules win ties); ``exclude`` (e.g.
    out-of-stock items) drops pins too. The result has at most ``k`` items
    (default: the input length plus the pins). Pinned entries get score ``inf``
    and the rule's reason; the strategy becomes ``"<strategy>+pinned"`` if any
    pin applied.
    """
    banned = set(exclude or ())
    active = [
        r
        for r in rules
        if r.applies(now=now, country=country, category=category)
        and r.item_id not in banned
    ]
    if not active:
        return ranked.head(k) if k is not None else ranked
    active = sorted(active, key=lambda r: r.position)
    pinned_ids = {r.item_id for r in active}
    rest = [
        (i, s, why)
        for i, s, why in zip(
            ranked.item_ids.tolist(),
            ranked.scores.tolist(),
            ranked.reasons,
            strict=True,
        )
        if i not in pinned_ids
    ]
    seen: set = set()
    for rule in active:
        if rule.item_id in seen:
            continue
        seen.add(rule.item_id)
        pos = min(rule.position, len(rest))
        rest.insert(pos, (rule.item_id, float("inf"), rule.reason))
    limit = len(rest) if k is None else _check_k(k)
    rest = rest[:limit]
    return Ranked(
        np.array([r[0] for r in rest]),
        np.array([r[1] for r in rest], dtype=np.float64),
        [r[2] for r in rest],
        f"{ranked.strategy}+pinned",
    )
