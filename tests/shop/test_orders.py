"""The order state machine and what each transition writes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.exceptions import Conflict, InvalidInput, InvalidTransition
from shop.models import Order, OrderStatusChange, StockMovement
from shop.selectors import order_get_for_customer, orders_for_customer
from shop.services.orders import (
    TRANSITIONS,
    order_cancel,
    order_change_address,
    order_place,
    order_request_return,
    order_transition,
)
from shop.services.stock import stock_set
from tests.factories import make_customer, make_order, make_product

pytestmark = pytest.mark.django_db
S = Order.Status
ALLOWED = [(a, b) for a, targets in TRANSITIONS.items() for b in targets]
REFUSED = [(a, b) for a in S.values for b in S.values if (a, b) not in ALLOWED]


def test_table_matches_the_specification():
    assert {k: set(v) for k, v in TRANSITIONS.items() if v} == {
        "placed": {"paid", "cancelled"},
        "paid": {"shipped", "cancelled", "refunded"},
        "shipped": {"delivered", "return_requested"},
        "delivered": {"return_requested"},
        "return_requested": {"returned", "delivered"},
        "returned": {"refunded"},
    }


@pytest.mark.parametrize(("src", "dst"), ALLOWED)
def test_allowed_transitions(src, dst):
    order = make_order(make_customer(), [(make_product(), 1, 2)], status=src)
    order_transition(order=order, to_status=dst, note="test")
    order.refresh_from_db()
    assert order.status == dst
    change = OrderStatusChange.objects.get(order=order)
    assert (change.from_status, change.to_status, change.note) == (src, dst, "test")


@pytest.mark.parametrize(("src", "dst"), REFUSED)
def test_refused_transitions(src, dst):
    order = make_order(make_customer(), [(make_product(), 1, 2)], status=src)
    with pytest.raises(InvalidTransition) as err:
        order_transition(order=order, to_status=dst)
    assert err.value.data == {"from_status": src, "to_status": dst}
    assert src in err.value.message and dst in err.value.message
    order.refresh_from_db()
    assert order.status == src
    assert not OrderStatusChange.objects.filter(order=order).exists()


def test_unknown_status_is_invalid_input():
    order = make_order(make_customer(), [(make_product(), 1, 2)])
    with pytest.raises(InvalidInput, match="unknown order status"):
        order_transition(order=order, to_status="lost")


def _placed_order(qty=3, on_hand=10):
    product = make_product(list_price=Decimal("4.00"))
    stock_set(product=product, on_hand=on_hand, is_assumed=False, reason="count")
    customer = make_customer()
    order = order_place(customer=customer, items=[(product, qty)])
    return order, product, customer


def test_place_reserves_and_cancel_releases_with_credit_note():
    order, product, _ = _placed_order()
    product.stock.refresh_from_db()
    assert (product.stock.on_hand, product.stock.reserved) == (10, 3)
    assert order.lines.get().unit_price == Decimal("4.000")

    order_cancel(order=order, reason="changed my mind")
    order.refresh_from_db()
    product.stock.refresh_from_db()
    assert order.status == S.CANCELLED
    assert (product.stock.on_hand, product.stock.reserved) == (10, 0)
    credit = Order.objects.get(invoice_no=f"C{order.invoice_no}")
    assert (credit.kind, credit.status) == (Order.Kind.CANCELLATION, S.CANCELLED)
    assert list(credit.lines.values_list("quantity", flat=True)) == [-3]
    assert credit.customer_id == order.customer_id
    assert credit.cancels == order


def test_ship_consumes_reservation_and_return_restocks():
    order, product, _ = _placed_order()
    order_transition(order=order, to_status=S.PAID)
    order_transition(order=order, to_status=S.SHIPPED)
    product.stock.refresh_from_db()
    assert (product.stock.on_hand, product.stock.reserved) == (7, 0)
    with pytest.raises(InvalidTransition):
        order_cancel(order=order)
    assert not Order.objects.filter(invoice_no=f"C{order.invoice_no}").exists()
    order_request_return(order=order, reason="broken")
    order_transition(order=order, to_status=S.RETURNED)
    product.stock.refresh_from_db()
    assert (product.stock.on_hand, product.stock.reserved) == (10, 0)
    reasons = list(
        StockMovement.objects.filter(reference=order.invoice_no)
        .order_by("id")
        .values_list("reason", flat=True)
    )
    assert reasons == ["order_reserved", "order_shipped", "order_returned"]


def test_place_refuses_more_than_available():
    product = make_product()
    stock_set(product=product, on_hand=2, is_assumed=False, reason="count")
    with pytest.raises(Conflict, match="available"):
        order_place(customer=make_customer(), items=[(product, 5)])
    assert not Order.objects.filter(source="shop").exists()


def test_imported_order_cancel_without_reservation():
    order = make_order(make_customer(), [(make_product(), 2, "1.5")], status="paid")
    order_cancel(order=order)
    assert Order.objects.get(invoice_no=f"C{order.invoice_no}").lines.count() == 1
    assert not StockMovement.objects.exists()


def test_change_address_before_shipping_only():
    order = make_order(make_customer(), [(make_product(), 1, 2)], status="paid")
    order_change_address(order=order, address="1 New Street, London")
    order.refresh_from_db()
    assert order.shipping_address == "1 New Street, London"
    with pytest.raises(InvalidInput):
        order_change_address(order=order, address="  ")
    order_transition(order=order, to_status=S.SHIPPED)
    with pytest.raises(InvalidTransition):
        order_change_address(order=order, address="elsewhere")


def test_request_return_refused_before_shipping():
    order = make_order(make_customer(), [(make_product(), 1, 2)])
    with pytest.raises(InvalidTransition):
        order_request_return(order=order)


def test_selectors_hide_other_customers_orders():
    alice, bob = make_customer(), make_customer()
    mine = make_order(alice, [(make_product(), 1, 2)])
    theirs = make_order(bob, [(make_product(), 1, 2)])
    assert order_get_for_customer(customer=alice, invoice_no=mine.invoice_no) == mine
    assert order_get_for_customer(customer=alice, invoice_no=theirs.invoice_no) is None
    assert order_get_for_customer(customer=alice, invoice_no="999999") is None
    assert list(orders_for_customer(customer=alice)) == [mine]
