"""The readout of an experiment: per-variant metrics, attribution, statistics.

Definitions (per variant; money in GBP, net of cancellations)
-------------------------------------------------------------
* **assigned**: units (customers, or sessions of anonymous visitors) that reached a
  surface under test; a unit counts from its first impression (intent-to-treat);
* **exposed**: assigned units shown at least one recommended product (a holdout's
  units are assigned, never exposed);
* **click-through**: impressions with at least one click on a product they showed /
  impressions that showed products;
* **conversion**: assigned units with an order after their assignment / assigned;
* **revenue per assigned** (primary): the units' net order revenue after assignment,
  divided by the assigned units, buyers or not;
* **revenue from recommendations**: purchase events carrying the ``recommendation_id``
  of one of the variant's impressions, of a product that impression showed, within
  the experiment's ``attribution_days`` of it (the order line's amount);
* **average order value**: revenue / orders.

Events with a ``recommendation_id`` no impression has (unknown) or outside the
window (expired) are counted as unattributed, never dropped.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from django.db.models import DecimalField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

from core.formatting import money, percent
from shop.clock import shop_now
from shop.models import Event, Order, OrderLine

from .algorithms.readout import cumulative_lift
from .algorithms.stats import Difference, SRMResult, difference_in_means, srm_test
from .conf import exp_settings
from .impressions import impressions_flush
from .models import Experiment, Impression

AMOUNT = ExpressionWrapper(
    F("quantity") * F("unit_price"), output_field=DecimalField(decimal_places=3)
)
LINE_AMOUNT = ExpressionWrapper(
    F("lines__quantity") * F("lines__unit_price"),
    output_field=DecimalField(decimal_places=3),
)
NOT_REVENUE = ("cancelled", "refunded", "returned")


@dataclass
class VariantMetrics:
    pk: int
    name: str
    is_control: bool
    share: float
    config: dict
    assigned: int = 0
    exposed: int = 0
    impressions: int = 0
    shown: int = 0
    clicks: int = 0
    converted: int = 0
    orders: int = 0
    revenue: float = 0.0
    recommended_revenue: float = 0.0
    latency_p95_ms: float | None = None

    @property
    def ctr(self) -> float | None:
        return self.clicks / self.shown if self.shown else None

    @property
    def conversion(self) -> float | None:
        return self.converted / self.assigned if self.assigned else None

    @property
    def revenue_per_assigned(self) -> float | None:
        return self.revenue / self.assigned if self.assigned else None

    @property
    def aov(self) -> float | None:
        return self.revenue / self.orders if self.orders else None


@dataclass
class Comparison:
    """One treatment against the control (treatment minus control).

    ``seq_low``/``seq_high``: the sequential test's interval on the last day (GBP
    per customer over the attribution window after assignment, capped and
    CUPED-adjusted; see :attr:`interval_name`); ``av_p_value``: the open-ended
    mSPRT's always-valid p-value (NaN with a planned stop); ``horizon``: planned
    days, None when the experiment has no planned stop.
    """

    variant: str
    primary: Difference | None
    cuped: Difference | None
    variance_reduction: float | None
    seq_low: float
    seq_high: float
    av_p_value: float
    conversion: Difference | None
    aov: Difference | None
    guardrails: list[tuple[str, str, bool]] = field(default_factory=list)
    timeline: dict = field(default_factory=dict)
    horizon: int | None = None

    @property
    def interval_name(self) -> str:
        """What ``seq_low``/``seq_high`` are: with a planned stop, the repeated
        confidence interval of the error-spending test (valid at every daily look
        until the stop, Jennison & Turnbull 2000, ch. 9); without, the mSPRT's
        always-valid confidence sequence (Johari et al. 2022)."""
        if self.horizon:
            return "repeated 95 % confidence interval"
        return "always-valid 95 % interval"

    @property
    def decided(self) -> str:
        if self.seq_low > 0:
            return "better"
        if self.seq_high < 0:
            return "worse"
        return "undecided"


@dataclass
class Readout:
    experiment: Experiment
    start: datetime | None
    end: datetime
    days: list[date]
    variants: list[VariantMetrics]
    comparisons: list[Comparison]
    srm: SRMResult | None
    unattributed_unknown: int = 0
    unattributed_expired: int = 0

    @property
    def winner(self) -> str | None:
        """The treatment that beats the control on the sequential interval
        (:attr:`Comparison.interval_name`; the best one when several do), else
        None."""
        better = [c for c in self.comparisons if c.decided == "better"]
        if not better:
            return None
        return max(better, key=lambda c: c.primary.difference).variant


def _units(experiment: Experiment) -> dict[str, dict]:
    rows = Impression.objects.filter(experiment=experiment).order_by("served_at", "id")
    units: dict[str, dict] = {}
    fields = ("unit", "variant_id", "customer_id", "session_key", "served_at",
              "product_ids")  # fmt: skip
    for (
        unit,
        variant_id,
        customer_id,
        session_key,
        served_at,
        items,
    ) in rows.values_list(*fields):
        info = units.setdefault(
            unit,
            {"variant": variant_id, "customer": customer_id, "session": session_key,
             "first": served_at, "exposed": False},
        )  # fmt: skip
        info["exposed"] |= bool(items)
    return units


def _orders(units: dict[str, dict], since: datetime, until: datetime) -> list:
    """(unit, placed_at, amount GBP) of the units' orders in [since, until]."""
    by_customer = {u["customer"]: k for k, u in units.items() if u["customer"]}
    by_session = {u["session"]: k for k, u in units.items() if not u["customer"]}
    guest = dict(
        Event.objects.filter(
            kind=Event.Kind.PURCHASE,
            session_key__in=list(by_session),
            order__isnull=False,
        ).values_list("order_id", "session_key")
    )
    orders = (
        Order.objects.filter(
            Q(customer_id__in=list(by_customer)) | Q(pk__in=list(guest)),
            placed_at__gte=since,
            placed_at__lte=until,
        )
        .exclude(kind=Order.Kind.SALE, status__in=NOT_REVENUE)
        .annotate(amount=Sum(LINE_AMOUNT))
        .values_list("pk", "customer_id", "placed_at", "amount")
    )
    out = []
    for pk, customer_id, placed_at, amount in orders:
        unit = by_customer.get(customer_id) or by_session.get(guest.get(pk))
        if unit is not None:
            out.append((unit, placed_at, float(amount or 0)))
    return out


def _pre_period(units: dict[str, dict], start: datetime, days: int) -> dict[str, float]:
    by_customer = {u["customer"]: k for k, u in units.items() if u["customer"]}
    rows = (
        OrderLine.objects.filter(
            order__customer_id__in=list(by_customer),
            order__placed_at__gte=start - timedelta(days=days),
            order__placed_at__lt=start,
        )
        .exclude(order__kind=Order.Kind.SALE, order__status__in=NOT_REVENUE)
        .values_list("order__customer_id")
        .annotate(total=Sum(AMOUNT))
    )
    return {by_customer[c]: float(total or 0) for c, total in rows}


def _day_index(moment: datetime, first_day: date) -> int:
    return (timezone.localtime(moment).date() - first_day).days


def experiment_readout(*, experiment: Experiment, as_of: datetime | None = None):
    """Everything the experiment's admin page shows (see the module docstring).

    Returns
    -------
    Readout; before the start (a draft) its lists are empty.
    """
    impressions_flush()
    conf = exp_settings()
    start = experiment.started_at
    end = experiment.stopped_at or as_of or shop_now()
    variants = [
        VariantMetrics(v.pk, v.name, v.is_control, float(v.share), v.serving_config)
        for v in experiment.variants.all()
    ]
    if start is None:
        return Readout(experiment, None, end, [], variants, [], None)
    by_pk = {v.pk: v for v in variants}
    units = _units(experiment)
    first_day = timezone.localtime(start).date()
    days = [first_day + timedelta(d) for d in range(_day_index(end, first_day) + 1)]
    orders = _orders(units, start, end)
    _count_units(units, orders, by_pk)
    _count_impressions(experiment, by_pk)
    unknown, expired = _attribution(experiment, by_pk, start, end)
    control = next((v for v in variants if v.is_control), None)
    srm = None
    if sum(v.assigned for v in variants):
        srm = srm_test([v.assigned for v in variants], [v.share for v in variants],
                       threshold=float(conf["srm_threshold"]))  # fmt: skip
    comparisons = []
    horizon = None
    if experiment.planned_stop:
        horizon = max(_day_index(experiment.planned_stop, first_day) + 1, 1)
    if control is not None:
        pre = _pre_period(units, start, experiment.pre_period_days)
        comparisons = [
            _compare(v, control, units, orders, pre, days, conf, horizon,
                     experiment.attribution_days)
            for v in variants
            if v is not control
        ]  # fmt: skip
    return Readout(experiment, start, end, days, variants, comparisons, srm,
                   unknown, expired)  # fmt: skip


def _count_units(units, orders, by_pk) -> None:
    bought: dict[str, list[float]] = defaultdict(list)
    for unit, placed_at, amount in orders:
        if placed_at >= units[unit]["first"]:
            bought[unit].append(amount)
    for unit, info in units.items():
        v = by_pk.get(info["variant"])
        if v is None:
            continue
        v.assigned += 1
        v.exposed += info["exposed"]
        amounts = bought.get(unit, [])
        v.converted += any(a > 0 for a in amounts)
        v.orders += sum(1 for a in amounts if a > 0)
        v.revenue += sum(amounts)


def _count_impressions(experiment, by_pk) -> None:
    rows = Impression.objects.filter(experiment=experiment).values_list(
        "variant_id", "product_ids", "latency_ms"
    )
    latencies: dict[int, list[float]] = defaultdict(list)
    for variant_id, items, latency in rows:
        v = by_pk.get(variant_id)
        if v is None:
            continue
        v.impressions += 1
        v.shown += bool(items)
        latencies[variant_id].append(latency)
    for pk, values in latencies.items():
        by_pk[pk].latency_p95_ms = float(np.percentile(values, 95))


def _attribution(experiment, by_pk, start, end) -> tuple[int, int]:
    """Clicks and revenue from recommendations per variant; (unknown, expired)."""
    window = timedelta(days=experiment.attribution_days)
    served = {
        rid: (variant_id, served_at, set(items))
        for rid, variant_id, served_at, items in Impression.objects.filter(
            experiment=experiment
        ).values_list("recommendation_id", "variant_id", "served_at", "product_ids")
    }
    events = Event.objects.filter(
        occurred_at__gte=start, occurred_at__lte=end + window
    ).exclude(recommendation_id="")
    known = set(
        Impression.objects.filter(
            recommendation_id__in=events.values("recommendation_id")
        ).values_list("recommendation_id", flat=True)
    )
    unknown = expired = 0
    purchases, clicked = [], set()
    for rid, kind, product_id, order_id, occurred_at in events.values_list(
        "recommendation_id", "kind", "product_id", "order_id", "occurred_at"
    ):
        if rid not in known:
            unknown += 1
            continue
        hit = served.get(rid)
        if hit is None:
            continue  # another experiment's, or outside experiments
        variant_id, served_at, items = hit
        in_window = served_at <= occurred_at <= served_at + window
        if not in_window or product_id not in items:
            expired += 1
            continue
        if kind == Event.Kind.CLICK:
            clicked.add((variant_id, rid))
        elif kind == Event.Kind.PURCHASE and order_id:
            purchases.append((variant_id, order_id, product_id))
    lines = defaultdict(float)
    for order_id, product_id, total in (
        OrderLine.objects.filter(order_id__in={o for _, o, _ in purchases})
        .values("order_id", "product_id")
        .annotate(total=Sum(AMOUNT))
        .values_list("order_id", "product_id", "total")
    ):
        lines[(order_id, product_id)] += float(total or 0)
    for variant_id, _ in clicked:
        by_pk[variant_id].clicks += 1
    for variant_id, order_id, product_id in set(purchases):
        by_pk[variant_id].recommended_revenue += lines.get((order_id, product_id), 0.0)
    return unknown, expired


def _compare(v, control, units, orders, pre, days, conf, horizon, window):
    keys = [k for k, u in units.items() if u["variant"] in (v.pk, control.pk)]
    index = {k: i for i, k in enumerate(keys)}
    looks = max(len(days), 1)
    first_day = days[0] if days else None
    arm = np.array([int(units[k]["variant"] == v.pk) for k in keys], dtype=np.int64)
    first = np.array(
        [_day_index(units[k]["first"], first_day) for k in keys], dtype=np.int64
    )
    daily = np.zeros((len(keys), looks))
    per_order: dict[int, list[float]] = {0: [], 1: []}
    for unit, placed_at, amount in orders:
        i = index.get(unit)
        if i is None or placed_at < units[unit]["first"]:
            continue
        daily[i, min(_day_index(placed_at, first_day), looks - 1)] += amount
        if amount > 0:
            per_order[int(arm[i])].append(amount)
    values = np.cumsum(daily, axis=1)
    pre_values = np.array([pre.get(k, 0.0) for k in keys])
    out = cumulative_lift(
        arm,
        first,
        values,
        pre_period=pre_values,
        horizon=horizon,
        window=window,
        cap_quantile=conf["cap_quantile"],
        relative_effect=float(conf["msprt_relative_effect"]),
        alpha=float(conf["alpha"]),
        min_units=2,
    )
    last = values[:, -1] if len(keys) else np.zeros(0)
    primary = _safe(difference_in_means, last[arm == 1], last[arm == 0])
    converted = (last > 0).astype(float)
    conversion = _safe(difference_in_means, converted[arm == 1], converted[arm == 0])
    aov = _safe(difference_in_means, per_order[1], per_order[0])
    cuped = None
    if primary is not None and np.isfinite(out["cuped_low"][-1]):
        cuped = Difference(**{**primary.__dict__, "low": float(out["cuped_low"][-1]),
                              "high": float(out["cuped_high"][-1])})  # fmt: skip
    comparison = Comparison(
        variant=v.name,
        primary=primary,
        cuped=cuped,
        variance_reduction=_finite(out["variance_reduction"][-1]),
        seq_low=float(out["seq_low"][-1]),
        seq_high=float(out["seq_high"][-1]),
        av_p_value=float(out["av_p_value"][-1]),
        conversion=conversion,
        aov=aov,
        timeline=out,
        horizon=horizon,
    )
    comparison.guardrails = _guardrails(v, control, conversion, aov)
    return comparison


def _guardrails(v, control, conversion, aov) -> list[tuple[str, str, bool]]:
    """(guardrail, what it shows, breached) for the experiment's guardrails."""
    rows = []
    if conversion is not None:
        rows.append(("conversion", _change(conversion, percent), conversion.high < 0))
    if aov is not None:
        rows.append(("average order value", _change(aov, money), aov.high < 0))
    if v.latency_p95_ms is not None and control.latency_p95_ms is not None:
        worse = v.latency_p95_ms > 1.2 * control.latency_p95_ms + 5
        rows.append(("latency p95", f"{v.latency_p95_ms:,.1f} ms vs "
                     f"{control.latency_p95_ms:,.1f} ms", worse))  # fmt: skip
    return rows


def _change(d: Difference, fmt) -> str:
    """``+1.2 % (95 % interval [-0.4 %, +2.8 %])`` in the metric's unit."""
    low, high = fmt(d.low, signed=True), fmt(d.high, signed=True)
    return f"{fmt(d.difference, signed=True)} (95 % interval [{low}, {high}])"


def _safe(fn, a, b):
    try:
        return fn(np.asarray(a, float), np.asarray(b, float))
    except ValueError:
        return None


def _finite(value) -> float | None:
    return float(value) if np.isfinite(value) else None
