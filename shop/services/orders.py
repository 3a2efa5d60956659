"""Order services: the order status state machine and what each step writes.

Allowed transitions (everything else raises ``InvalidTransition``)::

    placed           -> paid | cancelled
    paid             -> shipped | cancelled | refunded
    shipped          -> delivered | return_requested
    delivered        -> return_requested
    return_requested -> returned | delivered
    returned         -> refunded

Stock follows the order when the order reserved stock (orders placed in the shop
through :func:`order_place`; imported history never reserved any): cancelling
releases the reservation, shipping takes the units off the shelf, a return puts them
back. Reservations are found from the order's ``StockMovement`` rows (reference =
invoice number), so the rule holds whoever created the order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, Max, Sum
from django.db.models.functions import Cast

from core.exceptions import Conflict, InvalidInput, InvalidTransition

from ..clock import shop_now
from ..models import (
    Customer,
    Order,
    OrderLine,
    OrderStatusChange,
    Product,
    StockMovement,
)
from .stock import stock_adjust_many

S = Order.Status
TRANSITIONS: dict[str, frozenset[str]] = {
    S.PLACED: frozenset({S.PAID, S.CANCELLED}),
    S.PAID: frozenset({S.SHIPPED, S.CANCELLED, S.REFUNDED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.RETURN_REQUESTED}),
    S.DELIVERED: frozenset({S.RETURN_REQUESTED}),
    S.RETURN_REQUESTED: frozenset({S.RETURNED, S.DELIVERED}),
    S.RETURNED: frozenset({S.REFUNDED}),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
}
ADDRESS_CHANGE_ALLOWED = frozenset({S.PLACED, S.PAID})

RESERVED = "order_reserved"
RELEASED = "order_cancelled"
SHIPPED = "order_shipped"
RETURNED = "order_returned"


def order_can_transition(*, order: Order, to_status: str) -> bool:
    """True when ``order`` may move from its status to ``to_status``."""
    return to_status in TRANSITIONS.get(order.status, frozenset())


def _net_by_product(order: Order, field: str, reasons: Iterable[str]) -> dict[int, int]:
    rows = (
        StockMovement.objects.filter(reference=order.invoice_no, reason__in=reasons)
        .values("product_id")
        .annotate(total=Sum(field))
    )
    return {r["product_id"]: r["total"] for r in rows if r["total"]}


def _stock_side_effects(order: Order, to_status: str, by) -> None:
    if to_status in (S.CANCELLED, S.SHIPPED):
        held = _net_by_product(order, "delta_reserved", [RESERVED, RELEASED, SHIPPED])
        if not held:
            return
        if to_status == S.CANCELLED:
            changes = [(pid, 0, -q) for pid, q in held.items()]
        else:
            changes = [(pid, -q, -q) for pid, q in held.items()]
        reason = RELEASED if to_status == S.CANCELLED else SHIPPED
        stock_adjust_many(
            changes=changes, reason=reason, reference=order.invoice_no, by=by
        )
    elif to_status == S.RETURNED:
        out = _net_by_product(order, "delta_on_hand", [SHIPPED, RETURNED])
        changes = [(pid, -q, 0) for pid, q in out.items() if q < 0]
        if changes:
            stock_adjust_many(
                changes=changes, reason=RETURNED, reference=order.invoice_no, by=by
            )


@transaction.atomic
def order_transition(*, order: Order, to_status: str, by=None, note: str = "") -> Order:
    """Move ``order`` to ``to_status``: the one place order status changes.

    The order row is locked, the transition checked against ``TRANSITIONS``, the
    change recorded as an ``OrderStatusChange``, and reserved stock released
    (cancelled), consumed (shipped) or restocked (returned) when the order holds any.

    Raises
    ------
    InvalidInput
        ``to_status`` is not an order status.
    InvalidTransition
        The move from the current status to ``to_status`` is not allowed; the error
        carries ``from_status`` and ``to_status``.
    """
    if to_status not in S.values:
        raise InvalidInput(
            f"unknown order status {to_status!r}; one of {', '.join(S.values)}",
            field="to_status",
        )
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if not order_can_transition(order=locked, to_status=to_status):
        allowed = sorted(TRANSITIONS.get(locked.status, ()))
        raise InvalidTransition(
            f"order {locked.invoice_no} cannot go from {locked.status} to {to_status}"
            f" (allowed: {', '.join(allowed) or 'none'})",
            field="status",
            from_status=locked.status,
            to_status=to_status,
        )
    from_status = locked.status
    _stock_side_effects(locked, to_status, by)
    locked.status = to_status
    locked.save(update_fields=["status", "updated_at"])
    OrderStatusChange.objects.create(
        order=locked,
        from_status=from_status,
        to_status=to_status,
        changed_by=by,
        note=note,
    )
    order.status = to_status
    return order


def _next_invoice_no() -> str:
    top = (
        Order.objects.filter(invoice_no__regex=r"^[0-9]+$")
        .annotate(n=Cast("invoice_no", BigIntegerField()))
        .aggregate(m=Max("n"))["m"]
    )
    return str((top or 500000) + 1)


def order_place(
    *,
    customer: Customer | None,
    items: list[tuple[Product, int]],
    shipping_address: str = "",
    country: str = "",
    by=None,
) -> Order:
    """Place a new shop order and reserve its merchandise stock.

    Parameters
    ----------
    customer : Customer or None (guest order).
    items : list of ``(product, quantity)``; quantity > 0 units; the unit price is
        the product's current list price (GBP).

    Raises
    ------
    InvalidInput
        No items, a non-positive quantity, or an inactive product.
    Conflict
        Not enough stock available for a merchandise line.
    """
    if not items:
        raise InvalidInput("an order needs at least one item", field="items")
    for i, (product, qty) in enumerate(items):
        if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
            raise InvalidInput(f"items[{i}]: quantity must be > 0", field="items")
        if not product.is_active:
            raise InvalidInput(
                f"items[{i}]: product {product.stock_code} is not for sale",
                field="items",
            )
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return _order_place(customer, items, shipping_address, country, by)
        except IntegrityError:  # another order took the same number; try the next
            continue
    raise Conflict("could not allocate an invoice number; try again")


def _order_place(customer, items, shipping_address, country, by) -> Order:
    order = Order.objects.create(
        source="shop",
        invoice_no=_next_invoice_no(),
        customer=customer,
        placed_at=shop_now(),
        country=country or (customer.country if customer else ""),
        shipping_address=shipping_address,
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product=product,
            line_no=n,
            quantity=qty,
            unit_price=product.list_price,
            description=product.description,
        )
        for n, (product, qty) in enumerate(items, start=1)
    )
    reserve: dict[int, int] = defaultdict(int)
    for product, qty in items:
        if product.is_merchandise:
            reserve[product.pk] += qty
    if reserve:
        stock_adjust_many(
            changes=[(pid, 0, q) for pid, q in reserve.items()],
            reason=RESERVED,
            reference=order.invoice_no,
            by=by,
        )
    OrderStatusChange.objects.create(
        order=order, from_status="", to_status=S.PLACED, changed_by=by, note="placed"
    )
    return order


@transaction.atomic
def order_cancel(*, order: Order, by=None, reason: str = "") -> Order:
    """Cancel ``order`` (placed or paid) and record it as the data does.

    Moves the order to ``cancelled`` (releasing reserved stock) and creates the
    cancellation invoice ``C<invoice_no>`` (``kind=cancellation``, status
    ``cancelled``) whose lines are the order's lines with negative quantities.

    Raises
    ------
    InvalidTransition
        The order's status does not allow cancelling (e.g. already shipped).
    Conflict
        A cancellation invoice ``C<invoice_no>`` already exists.
    """
    invoice = f"C{order.invoice_no}"
    order_transition(order=order, to_status=S.CANCELLED, by=by, note=reason)
    if Order.objects.filter(invoice_no=invoice).exists():
        raise Conflict(f"cancellation invoice {invoice} already exists")
    credit = Order.objects.create(
        source=order.source,
        invoice_no=invoice,
        customer=order.customer,
        placed_at=shop_now(),
        country=order.country,
        kind=Order.Kind.CANCELLATION,
        status=S.CANCELLED,
        cancels=order,
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=credit,
            product_id=line.product_id,
            line_no=line.line_no,
            quantity=-abs(line.quantity),
            unit_price=line.unit_price,
            description=line.description,
        )
        for line in order.lines.all()
    )
    OrderStatusChange.objects.create(
        order=credit,
        from_status="",
        to_status=S.CANCELLED,
        changed_by=by,
        note=f"cancels {order.invoice_no}: {reason}".strip(": "),
    )
    return order


def order_request_return(*, order: Order, by=None, reason: str = "") -> Order:
    """Ask to return a shipped or delivered order (status ``return_requested``).

    Raises
    ------
    InvalidTransition
        The order is not shipped or delivered.
    """
    return order_transition(
        order=order, to_status=S.RETURN_REQUESTED, by=by, note=reason
    )


@transaction.atomic
def order_change_address(*, order: Order, address: str, by=None) -> Order:
    """Change the shipping address of an order that has not shipped yet.

    The change is recorded as an ``OrderStatusChange`` with an unchanged status.

    Raises
    ------
    InvalidInput
        The address is empty.
    InvalidTransition
        The order has shipped already (or is cancelled/refunded/returned).
    """
    address = (address or "").strip()
    if not address:
        raise InvalidInput("the new address is empty", field="address")
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.status not in ADDRESS_CHANGE_ALLOWED:
        raise InvalidTransition(
            f"order {locked.invoice_no} is {locked.status}; the address can only "
            "change before it ships",
            field="address",
            from_status=locked.status,
            to_status=locked.status,
        )
    locked.shipping_address = address
    locked.save(update_fields=["shipping_address", "updated_at"])
    OrderStatusChange.objects.create(
        order=locked,
        from_status=locked.status,
        to_status=locked.status,
        changed_by=by,
        note="shipping address changed",
    )
    order.shipping_address = address
    return order


def order_total(*, order: Order) -> Decimal:
    """Sum of quantity x unit price over the order's lines (GBP)."""
    return sum((line.amount for line in order.lines.all()), Decimal("0"))
