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


def _po_number() -> str:
    stamp = timezone.now().strftime("%Y%m%d")
    n = PurchaseOrder.objects.filter(number__startswith=f"PO{stamp}").count() + 1
    return f"PO{stamp}-{n:04d}"


@transaction.atomic
def suggestions_approve(
    *, suggestions: Iterable[ReorderSuggestion], by=None, supplier: str = ""
) -> PurchaseOrder:
    """Turn pending suggestions into one draft purchase order (one line each).

    Raises
    ------
    InvalidInput
        No suggestion given.
    Conflict
        A suggestion is not pending (already decided or superseded).
    """
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
    expected = max(row.expected_arrival for row in rows)
    po = PurchaseOrder.objects.create(
        number=_po_number(), supplier=supplier, expected_at=expected, created_by=by
    )
    now = timezone.now()
    for row in rows:
        PurchaseOrderLine.objects.create(
            purchase_order=po, product=row.product, quantity=row.quantity
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
        expected_at = timezone.localdate() + timedelta(days=lead)
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
