"""Read-side of the inventory app: demand history (ORM -> pandas), policies, risk.

Demand = units on merchandise order lines of sale and cancellation orders (so
cancellations net out; stock write-offs, kind ``adjustment``, are not demand), summed
per product and shop-local calendar day. Days without sales are zeros. Trading days are
the days with any order in the shop; forecasting works on those (see
``inventory.algorithms.demand.TradingCalendar``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from shop.models import Order, OrderLine, Product, StockLevel

from .algorithms.demand import TradingCalendar
from .conf import inventory_setting
from .models import (
    Forecast,
    ForecastRun,
    InventoryPolicy,
    PurchaseOrder,
    VendorProduct,
)

DEMAND_KINDS = (Order.Kind.SALE, Order.Kind.CANCELLATION)


def _demand_lines(*, product_ids=None, country: str | None = None) -> QuerySet:
    qs = OrderLine.objects.filter(
        product__is_merchandise=True, order__kind__in=DEMAND_KINDS
    )
    if product_ids is not None:
        qs = qs.filter(product_id__in=list(product_ids))
    if country:
        qs = qs.filter(order__country=country)
    return qs


def _day():
    return TruncDate("order__placed_at", tzinfo=timezone.get_current_timezone())


def history_bounds() -> tuple[date, date] | None:
    """First and last shop-local day with any order (None without orders)."""
    agg = Order.objects.aggregate(first=Min("placed_at"), last=Max("placed_at"))
    if agg["first"] is None:
        return None
    return (
        timezone.localtime(agg["first"]).date(),
        timezone.localtime(agg["last"]).date(),
    )


def trading_days() -> pd.DatetimeIndex:
    """Shop-local days with at least one order of any kind, sorted."""
    days = (
        Order.objects.annotate(day=TruncDate("placed_at"))
        .values_list("day", flat=True)
        .distinct()
    )
    return pd.DatetimeIndex(sorted(set(days)))


def trading_calendar() -> TradingCalendar:
    """The calendar rules (conf) plus weekday holidays seen in the history."""
    kw = {
        "closed_weekdays": tuple(inventory_setting("CLOSED_WEEKDAYS")),
        "annual_closure": tuple(map(tuple, inventory_setting("ANNUAL_CLOSURE")))
        if inventory_setting("ANNUAL_CLOSURE")
        else None,
    }
    bounds = history_bounds()
    if bounds is None:
        return TradingCalendar(**kw)
    return TradingCalendar.from_history(
        trading_days(), start=bounds[0], end=bounds[1], **kw
    )


def demand_daily(
    *,
    product_ids=None,
    start: date | None = None,
    end: date | None = None,
    clip_negative: bool = True,
) -> pd.DataFrame:
    """Net units per product and calendar day: DataFrame (days, products).

    Index: every calendar day from ``start`` (default: first order) to ``end``
    (default: last order); columns: product ids; zeros on days without sales.
    Negative net days (returns of earlier sales) are clipped to zero by default.
    """
    bounds = history_bounds()
    if bounds is None:
        return pd.DataFrame(dtype=float)
    start, end = start or bounds[0], end or bounds[1]
    rows = (
        _demand_lines(product_ids=product_ids)
        .annotate(day=_day())
        .filter(day__gte=start, day__lte=end)
        .values("product_id", "day")
        .annotate(units=Sum("quantity"))
    )
    frame = pd.DataFrame.from_records(
        list(rows), columns=["product_id", "day", "units"]
    )
    index = pd.date_range(start, end, freq="D")
    wide = (
        frame.pivot_table(
            index="day", columns="product_id", values="units", aggfunc="sum"
        )
        if len(frame)
        else pd.DataFrame(index=index)
    )
    wide.index = pd.DatetimeIndex(wide.index)
    cols = list(product_ids) if product_ids is not None else list(wide.columns)
    wide = wide.reindex(index=index, columns=cols, fill_value=0).fillna(0).astype(float)
    return wide.clip(lower=0) if clip_negative else wide


def demand_weekly(**kwargs) -> pd.DataFrame:
    """:func:`demand_daily` summed per week (weeks ending Sunday)."""
    return demand_daily(**kwargs).resample("W-SUN").sum()


def demand_totals(
    *, freq: str = "D", by_country: bool = False, start=None, end=None
) -> pd.DataFrame:
    """Store-level net units per day (``freq="D"``) or week (``"W"``).

    With ``by_country`` the columns are countries, else one column ``units``.
    Net of cancellations; not clipped (returns lower the total of their day).
    """
    bounds = history_bounds()
    if bounds is None:
        return pd.DataFrame(dtype=float)
    start, end = start or bounds[0], end or bounds[1]
    qs = _demand_lines().annotate(day=_day()).filter(day__gte=start, day__lte=end)
    keys = ["day", "order__country"] if by_country else ["day"]
    frame = pd.DataFrame.from_records(
        list(qs.values(*keys).annotate(units=Sum("quantity"))),
        columns=[*keys, "units"],
    )
    index = pd.date_range(start, end, freq="D")
    if by_country:
        out = frame.pivot_table(
            index="day", columns="order__country", values="units", aggfunc="sum"
        )
    else:
        out = frame.set_index("day")[["units"]]
    out.index = pd.DatetimeIndex(out.index)
    out = out.reindex(index, fill_value=0).fillna(0)
    return out.resample("W-SUN").sum() if freq.upper().startswith("W") else out


def demand_fingerprint() -> str:
    """A hash of the demand lines (count, max id, units, last order time)."""
    agg = _demand_lines().aggregate(
        n=Count("id"),
        top=Max("id"),
        units=Sum("quantity"),
        last=Max("order__placed_at"),
    )
    return hashlib.sha256(repr(sorted(agg.items())).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class PolicyParams:
    """Resolved policy of one product (lead time and review period: calendar days)."""

    lead_time_days: int
    review_period_days: int
    service_level: float
    holding_cost_rate: float
    ordering_cost: Decimal
    min_order_qty: int
    pack_size: int
    max_days_of_cover: int
    sources: dict
    vendor_item: VendorProduct | None = None

    @property
    def lead_time_flag(self) -> str:
        """Non-empty when a vendor is known but states no lead time."""
        source = self.sources.get("lead_time_days", "")
        return source if source.startswith("policy default") else ""


_POLICY_FIELDS = {
    "lead_time_days": "LEAD_TIME_DAYS",
    "review_period_days": "REVIEW_PERIOD_DAYS",
    "service_level": "SERVICE_LEVEL",
    "holding_cost_rate": "HOLDING_COST_RATE",
    "ordering_cost": "ORDERING_COST",
    "min_order_qty": "MIN_ORDER_QTY",
    "pack_size": "PACK_SIZE",
    "max_days_of_cover": "MAX_DAYS_OF_COVER",
}


def policy_rows() -> dict:
    """All policy rows keyed ("shop",), ("category", id) or ("product", id), and each
    product's preferred vendor item keyed ("supply", product id)."""
    out = {}
    for row in InventoryPolicy.objects.all():
        if row.scope == InventoryPolicy.Scope.SHOP:
            out[("shop",)] = row
        elif row.scope == InventoryPolicy.Scope.CATEGORY:
            out[("category", row.category_id)] = row
        else:
            out[("product", row.product_id)] = row
    # the preferred vendor, else the cheapest (ordering: -is_preferred, unit_cost)
    for item in VendorProduct.objects.select_related("vendor"):
        out.setdefault(("supply", item.product_id), item)
    return out


# fields a vendor's terms set, between the product's own policy and its category's
_VENDOR_FIELDS = ("lead_time_days", "min_order_qty", "pack_size")


def policy_for_product(*, product: Product, rows: dict | None = None) -> PolicyParams:
    """Field-wise: product policy, else the preferred vendor's terms (lead time, MOQ,
    pack size), else the category's policy, else the shop's, else conf.

    A vendor without a lead time leaves the lead time to the policy chain, and
    ``sources["lead_time_days"]`` then reads "policy default (vendor X states no
    lead time)" (:attr:`PolicyParams.lead_time_flag`).
    """
    rows = policy_rows() if rows is None else rows
    item = rows.get(("supply", product.pk))
    chain = [
        ("product", rows.get(("product", product.pk))),
        ("vendor", _vendor_terms(item)),
        ("category", rows.get(("category", product.category_id))),
        ("shop", rows.get(("shop",))),
    ]
    values, sources = {}, {}
    for field, conf_key in _POLICY_FIELDS.items():
        for scope, row in chain:
            value = _field(row, field)
            if value is not None:
                values[field], sources[field] = value, scope
                break
        else:
            values[field], sources[field] = inventory_setting(conf_key), "default"
    if item is not None and sources["lead_time_days"] not in ("product", "vendor"):
        sources["lead_time_days"] = (
            f"policy default ({item.vendor.name} states no lead time)"
        )
    values["ordering_cost"] = Decimal(str(values["ordering_cost"]))
    return PolicyParams(**values, sources=sources, vendor_item=item)


def _field(row, name: str):
    if row is None:
        return None
    return row.get(name) if isinstance(row, dict) else getattr(row, name, None)


def _vendor_terms(item: VendorProduct | None) -> dict | None:
    if item is None:
        return None
    return {
        "lead_time_days": item.lead_time_days
        if item.lead_time_days is not None
        else item.vendor.lead_time_days,
        "min_order_qty": item.min_order_qty,
        "pack_size": item.pack_size,
    }


def unit_cost_for(*, product: Product, params: PolicyParams) -> tuple[Decimal, str]:
    """Unit cost (GBP) and where it comes from: the preferred vendor's price, else
    the product's cost price, else ``COST_SHARE_OF_PRICE`` of its list price
    ("assumed")."""
    if params.vendor_item is not None:
        return params.vendor_item.unit_cost, f"{params.vendor_item.vendor.name} price"
    if product.cost_price:
        return product.cost_price, "cost price"
    share = Decimal(str(inventory_setting("COST_SHARE_OF_PRICE")))
    return (product.list_price * share).quantize(Decimal("0.0001")), (
        f"assumed: {share:.0%} of list price"
    )


def forecast_run_latest() -> ForecastRun | None:
    """The last succeeded forecast run."""
    return (
        ForecastRun.objects.filter(status=ForecastRun.Status.SUCCEEDED)
        .order_by("-finished_at", "-pk")
        .first()
    )


def forecast_current(*, product: Product) -> Forecast | None:
    """The product's forecast from the latest succeeded run that covered it."""
    return (
        Forecast.objects.filter(
            product=product, run__status=ForecastRun.Status.SUCCEEDED
        )
        .order_by("-run__finished_at", "-run_id")
        .first()
    )


def products_without_count() -> int:
    """Merchandise products with demand whose stock level is assumed or missing."""
    return (
        Product.objects.filter(is_merchandise=True, lines__isnull=False)
        .exclude(stock__is_assumed=False)
        .values("pk")
        .distinct()
        .count()
    )


def products_at_risk(
    *, max_days_of_cover: float | None = None, counted_only: bool = False
) -> QuerySet:
    """Forecasts of the latest run where stock is at or below the reorder point,
    ranked by expected lost sales value over the lead time (GBP, largest first);
    ``counted_only`` leaves out products whose stock level is assumed or missing.

    The stock is today's (``StockLevel`` on hand - reserved; the run's snapshot
    only for a product without a level), so a received purchase order or a new
    count takes a product off the list at once, not at the next forecast run.
    Each row carries ``available_now`` (units).
    """
    run = forecast_run_latest()
    if run is None:
        return Forecast.objects.none()
    qs = (
        Forecast.objects.filter(run=run, mean_daily__gt=0)
        .annotate(
            available_now=Coalesce(
                F("product__stock__on_hand") - F("product__stock__reserved"),
                F("available"),
            ),
            assumed_now=Coalesce(
                F("product__stock__is_assumed"), F("stock_is_assumed")
            ),
        )
        .filter(available_now__lte=F("reorder_point"))
    )
    if max_days_of_cover is not None:
        qs = qs.filter(days_of_cover__lte=max_days_of_cover)
    if counted_only:
        qs = qs.filter(assumed_now=False)
    return qs.select_related("product").order_by(
        "-expected_lost_sales", "days_of_cover", "product_id"
    )


def open_purchase_quantity(*, product: Product) -> int:
    """Units on approved, not yet received purchase orders."""
    return (
        PurchaseOrder.objects.filter(
            status=PurchaseOrder.Status.APPROVED, lines__product=product
        ).aggregate(q=Sum("lines__quantity"))["q"]
        or 0
    )


@dataclass(frozen=True)
class Availability:
    product_id: int
    available: int
    in_stock: bool
    is_assumed: bool
    assumption: str
    expected_restock_date: date | None
    restock_source: str


def product_availability(*, product: Product) -> Availability:
    """Units available now and when more are expected.

    The restock date is the earliest expected date of an approved purchase order
    holding the product; else, when the product is out of stock or at/below its
    reorder point, the arrival date of its pending reorder suggestion; else None.
    """
    level = StockLevel.objects.filter(product=product).first()
    available = level.available if level else 0
    po = (
        PurchaseOrder.objects.filter(
            status=PurchaseOrder.Status.APPROVED, lines__product=product
        )
        .exclude(expected_at=None)
        .order_by("expected_at")
        .first()
    )
    restock, source = None, ""
    if po is not None:
        restock, source = po.expected_at, "purchase_order"
    else:
        suggestion = product.reorder_suggestions.filter(status="pending").first()
        if suggestion is not None:
            restock, source = suggestion.expected_arrival, "reorder_suggestion"
    return Availability(
        product_id=product.pk,
        available=max(available, 0),
        in_stock=available > 0,
        is_assumed=bool(level and level.is_assumed),
        assumption=level.assumption if level and level.is_assumed else "",
        expected_restock_date=restock,
        restock_source=source,
    )


def merchandise_product_ids() -> list[int]:
    """Merchandise products with any demand line, by id."""
    return list(
        Product.objects.filter(is_merchandise=True)
        .filter(Q(lines__isnull=False))
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")
    )


def days_between(start: date, n: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(n)]
