"""Reorder suggestions into purchase orders; approving and receiving them.

Every decision records who and when; receiving raises stock only through
``shop.services.stock.stock_adjust`` (which records a StockMovement).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from core.exceptions import Conflict, InvalidInput, InvalidTransition

from .. import selectors
from ..models import PurchaseOrder, PurchaseOrderLine, ReorderSuggestion


def _shop_today() -> date:
    """The shop clock's day (:func:`shop.clock.shop_now`): the data's last day on
    historical data, so PO numbers and expected dates sit beside the suggestions'
    order-by dates (forecast run ``as_of``), not years after them."""
    from shop.clock import shop_now

    return timezone.localdate(shop_now())


def _po_number() -> str:
    """``PO20111209-0001``: the shop clock's day, then a serial within the day."""
    stamp = _shop_today().strftime("%Y%m%d")
    n = PurchaseOrder.objects.filter(number__startswith=f"PO{stamp}").count() + 1
    return f"PO{stamp}-{n:04d}"


@transaction.atomic
def suggestions_order(
    *, suggestions: Iterable[ReorderSuggestion], by=None
) -> list[PurchaseOrder]:
    """Order once: pending suggestions into draft purchase orders, one per vendor
    (suggestions without a vendor share one order), each line at its unit cost.

    Raises
    ------
    InvalidInput
        No suggestion given.
    Conflict
        A suggestion is not pending (already decided, snoozed or superseded).
    """
    rows = _pending_rows(suggestions)
    by_vendor: dict = {}
    for row in rows:
        by_vendor.setdefault(row.vendor_id, []).append(row)
    return [
        _order(group, by=by, vendor=group[0].vendor)
        for _vendor_id, group in sorted(
            by_vendor.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)
        )
    ]


@transaction.atomic
def suggestions_approve(
    *, suggestions: Iterable[ReorderSuggestion], by=None, supplier: str = ""
) -> PurchaseOrder:
    """Turn pending suggestions into one draft purchase order (one line each, at the
    suggestion's unit cost).

    Raises
    ------
    InvalidInput
        No suggestion given.
    Conflict
        A suggestion is not pending (already decided or superseded).
    """
    rows = _pending_rows(suggestions)
    vendors = {row.vendor_id for row in rows}
    vendor = rows[0].vendor if len(vendors) == 1 else None
    return _order(rows, by=by, vendor=vendor, supplier=supplier)


@transaction.atomic
def suggestions_snooze(
    *, suggestions: Iterable[ReorderSuggestion], by=None, days: int = 7
) -> int:
    """Snooze pending suggestions for ``days`` calendar days (Odoo's "Snooze"): no
    new suggestion is made for the product until then. Returns how many.

    Raises
    ------
    InvalidInput
        ``days`` is not an integer in 1..365.
    """
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        raise InvalidInput(
            f"days must be an integer in 1..365, got {days!r}", field="days"
        )
    until = timezone.localdate() + timedelta(days=days)
    rows = ReorderSuggestion.objects.select_for_update().filter(
        pk__in=[s.pk for s in suggestions], status=ReorderSuggestion.Status.PENDING
    )
    count = 0
    for row in rows:
        row.status = ReorderSuggestion.Status.SNOOZED
        row.snoozed_until = until
        row.decided_by, row.decided_at = by, timezone.now()
        row.save(update_fields=["status", "snoozed_until", "decided_by", "decided_at"])
        count += 1
    return count


def _pending_rows(suggestions) -> list[ReorderSuggestion]:
    rows = list(
        ReorderSuggestion.objects.select_for_update()
        .filter(pk__in=[s.pk for s in suggestions])
        .select_related("product")
        .order_by("pk")
    )
    if not rows:
        raise InvalidInput(
            "select at least one reorder suggestion", field="suggestions"
        )
    for row in rows:
        if row.status != ReorderSuggestion.Status.PENDING:
            raise Conflict(
                f"suggestion {row.pk} for {row.product.stock_code} is {row.status}, "
                "not pending",
                field="suggestions",
            )
    return rows


def _order(rows, *, by, vendor, supplier: str = "") -> PurchaseOrder:
    expected = max(row.expected_arrival for row in rows)
    po = PurchaseOrder.objects.create(
        number=_po_number(),
        vendor=vendor,
        supplier=supplier or (vendor.name if vendor else ""),
        expected_at=expected,
        created_by=by,
    )
    now = timezone.now()
    for row in rows:
        PurchaseOrderLine.objects.create(
            purchase_order=po,
            product=row.product,
            quantity=row.quantity,
            unit_cost=row.unit_cost,
        )
        row.status = ReorderSuggestion.Status.APPROVED
        row.decided_by, row.decided_at, row.purchase_order = by, now, po
        row.save(update_fields=["status", "decided_by", "decided_at", "purchase_order"])
    return po


@transaction.atomic
def suggestions_reject(
    *, suggestions: Iterable[ReorderSuggestion], by=None, reason: str = ""
) -> int:
    """Reject pending suggestions (others are left alone); returns how many."""
    rows = ReorderSuggestion.objects.select_for_update().filter(
        pk__in=[s.pk for s in suggestions], status=ReorderSuggestion.Status.PENDING
    )
    count = 0
    for row in rows:
        row.status = ReorderSuggestion.Status.REJECTED
        row.decided_by, row.decided_at = by, timezone.now()
        if reason:
            row.reason = f"{row.reason}\nrejected: {reason}"
        row.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        count += 1
    return count


@transaction.atomic
def purchase_order_approve(
    *, purchase_order: PurchaseOrder, by=None, expected_at: date | None = None
) -> PurchaseOrder:
    """Approve a draft purchase order (it becomes stock on order).

    Raises
    ------
    InvalidTransition
        The order is not a draft.
    InvalidInput
        It has no lines.
    """
    po = PurchaseOrder.objects.select_for_update().get(pk=purchase_order.pk)
    if po.status != PurchaseOrder.Status.DRAFT:
        raise InvalidTransition(
            f"purchase order {po.number} is {po.status}; only a draft can be approved",
            from_status=po.status,
            to_status=PurchaseOrder.Status.APPROVED,
        )
    if not po.lines.exists():
        raise InvalidInput(f"purchase order {po.number} has no lines", field="lines")
    if expected_at is None and po.expected_at is None:
        lead = max(
            selectors.policy_for_product(product=line.product).lead_time_days
            for line in po.lines.select_related("product")
        )
        expected_at = _shop_today() + timedelta(days=lead)
    po.expected_at = expected_at or po.expected_at
    po.status = PurchaseOrder.Status.APPROVED
    po.approved_by, po.approved_at = by, timezone.now()
    po.save()
    return po


@transaction.atomic
def purchase_order_receive(
    *,
    purchase_order: PurchaseOrder,
    by=None,
    quantities: dict[int, int] | None = None,
) -> PurchaseOrder:
    """Receive an approved purchase order: stock rises by the units received.

    ``quantities`` maps line ids to units received (default: each line in full).
    Stock changes through ``shop.services.stock.stock_adjust`` with reason
    ``purchase_received`` and the order number as reference.

    Raises
    ------
    InvalidTransition
        The order is not approved (e.g. already received).
    InvalidInput
        A quantity is negative, not an integer, or names a line of another order.
    """
    from shop.services.stock import stock_adjust

    po = PurchaseOrder.objects.select_for_update().get(pk=purchase_order.pk)
    if po.status != PurchaseOrder.Status.APPROVED:
        raise InvalidTransition(
            f"purchase order {po.number} is {po.status}; only an approved order can "
            "be received",
            from_status=po.status,
            to_status=PurchaseOrder.Status.RECEIVED,
        )
    lines = {line.pk: line for line in po.lines.select_related("product")}
    quantities = quantities or {pk: line.quantity for pk, line in lines.items()}
    for line_id, qty in quantities.items():
        if line_id not in lines:
            raise InvalidInput(
                f"line {line_id} is not on purchase order {po.number}", field="lines"
            )
        if isinstance(qty, bool) or not isinstance(qty, int) or qty < 0:
            raise InvalidInput(
                f"received quantity of line {line_id} must be an integer >= 0, "
                f"got {qty!r}",
                field="quantities",
            )
    for line_id in sorted(quantities, key=lambda pk: lines[pk].product_id):
        line, qty = lines[line_id], quantities[line_id]
        if qty:
            stock_adjust(
                product=line.product,
                delta_on_hand=qty,
                reason="purchase_received",
                reference=po.number,
                by=by,
            )
        line.received_quantity = qty
        line.save(update_fields=["received_quantity"])
    po.status = PurchaseOrder.Status.RECEIVED
    po.received_by, po.received_at = by, timezone.now()
    po.save()
    return po
