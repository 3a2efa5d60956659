"""The shop on the admin home (see core.dashboard): data freshness, orders to ship,
rows rejected by imports."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Max, Q
from django.utils import timezone

from core.adminkit import changelist_url
from core.dashboard import (
    DataSource,
    Queue,
    daily_counts,
    register_queue,
    register_source,
)
from core.formatting import day, number

from .clock import shop_now
from .conf import shop_setting
from .models import Customer, ImportIssue, ImportReport, Order, StockLevel
from .selectors import orders_newest_at

WAITING = ("placed", "paid")


def _orders_summary() -> str:
    counts = dict(
        Order.objects.values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    # the shop's customers: not the users of demo rating data (MovieLens)
    customers = (
        Customer.objects.filter(erased_at=None)
        .exclude(source__in=list(shop_setting("DEMO_SOURCES")))
        .count()
    )
    last = ImportReport.objects.filter(kind="orders").order_by("-created_at").first()
    text = (
        f"{number(counts.get('sale', 0))} sales, "
        f"{number(counts.get('cancellation', 0))} cancellations, "
        f"{number(customers)} customers"
    )
    if last is not None:
        text += (
            f"; last import {day(last.created_at)} (report #{last.pk}, {last.status})"
        )
    return text


def _stock_summary() -> str:
    counts = StockLevel.objects.aggregate(
        counted=Count("id", filter=Q(is_assumed=False)),
        assumed=Count("id", filter=Q(is_assumed=True)),
    )
    return (
        f"{number(counts['counted'])} products counted, "
        f"{number(counts['assumed'])} assumed by a rule (upload stock counts to "
        "replace them)"
    )


def _last_report_rejected() -> int:
    last = ImportReport.objects.order_by("-created_at").first()
    return 0 if last is None else last.rows_rejected


def _last_report_issues_url() -> str:
    last = ImportReport.objects.order_by("-created_at").first()
    if last is None:
        return changelist_url(ImportReport)
    return changelist_url(
        ImportIssue, report__id__exact=last.pk, action__exact="rejected"
    )


register_source(
    DataSource(
        name="orders",
        title="Orders",
        newest=orders_newest_at,
        summary=_orders_summary,
        url=lambda: changelist_url(Order),
        defines_today=True,
        permission="shop.view_order",
    )
)
register_source(
    DataSource(
        name="stock",
        title="Stock levels",
        newest=lambda: StockLevel.objects.filter(is_assumed=False).aggregate(
            newest=Max("updated_at")
        )["newest"],
        summary=_stock_summary,
        url=lambda: changelist_url(StockLevel, is_assumed__exact="1"),
        permission="shop.view_stocklevel",
    )
)
register_queue(
    Queue(
        name="orders-to-ship",
        title="Orders to ship (placed or paid)",
        audience="operations",
        permission="shop.view_order",
        url=lambda: changelist_url(Order, status__in=",".join(WAITING)),
        count=lambda: Order.objects.filter(status__in=WAITING).count(),
        # orders are stamped with the shop clock (2011-12-09 on historical data):
        # their age and the trend's days are counted on it, not on the wall clock
        urgent=lambda: Order.objects.filter(
            status__in=WAITING, placed_at__lt=shop_now() - timedelta(days=2)
        ).count(),
        urgent_label="waiting more than 2 days",
        trend=lambda: daily_counts(
            Order.objects.filter(source="shop"),
            "placed_at",
            end=timezone.localdate(shop_now()),
        ),
        trend_label="shop orders per day, last 14 days",
    )
)
register_queue(
    Queue(
        name="import-rejected",
        title="Rows rejected by the last import",
        audience="operations",
        permission="shop.view_importissue",
        url=_last_report_issues_url,
        count=_last_report_rejected,
        hint="Each row with its number, field and reason.",
    )
)
