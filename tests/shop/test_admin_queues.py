"""The shop's admin lists as queues: units and money, the data's today, decisions on
detail pages, read-only history (no Save, Add or Delete)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from shop.models import Order, OrderStatusChange
from tests.factories import make_customer, make_order, make_product

pytestmark = pytest.mark.django_db


def _at(y, m, d):
    return timezone.make_aware(datetime(y, m, d, 12, 0))


def test_order_list_shows_totals_in_gbp_and_filters_the_orders_to_ship(admin_client):
    customer = make_customer("17850")
    waiting = make_order(customer, [(make_product(), 3, Decimal("2.55"))])
    make_order(
        customer,
        [(make_product(), 1, Decimal("10"))],
        status=Order.Status.DELIVERED,
    )
    html = admin_client.get("/admin/shop/order/?status__in=placed,paid").content
    html = html.decode()
    assert waiting.invoice_no in html and "£7.65" in html  # 3 x 2.55
    assert "£10.00" not in html  # the delivered order is not waiting


def test_order_decisions_are_buttons_on_the_order_and_use_the_state_machine(
    admin_client,
):
    order = make_order(make_customer(), [(make_product(), 1, Decimal("2"))])
    page = admin_client.get(f"/admin/shop/order/{order.pk}/change/").content.decode()
    assert "Mark paid" in page and "Cancel (credit note" in page
    assert "Mark delivered" not in page  # not allowed from placed
    response = admin_client.post(
        f"/admin/shop/order/{order.pk}/decide/cancel/",
        {"note": "customer phoned"},
        follow=True,
    )
    assert "1 order(s) cancelled" in response.content.decode()
    order.refresh_from_db()
    assert order.status == "cancelled"
    change = OrderStatusChange.objects.get(order=order, to_status="cancelled")
    assert change.note == "customer phoned"
    # a second click on the stale page: refused with the reason, nothing changes
    again = admin_client.post(
        f"/admin/shop/order/{order.pk}/decide/paid/", follow=True
    ).content.decode()
    assert "does not apply" in again and "status changed" in again
    assert Order.objects.get(pk=order.pk).status == "cancelled"


def test_imported_history_is_read_only_without_save_or_delete(admin_client):
    order = make_order(
        make_customer(), [(make_product(), 1, Decimal("2"))], status="delivered"
    )
    page = admin_client.get(f"/admin/shop/order/{order.pk}/change/").content.decode()
    assert 'name="_save"' not in page and "Delete" not in page
    assert "View order" in page
    for model in ("orderline", "stocklevel", "importreport", "pricechange"):
        listing = admin_client.get(f"/admin/shop/{model}/").content.decode()
        assert "Add " not in listing.split("<h1>")[1][:400], model


def test_customers_show_spend_and_recency_against_the_data_today(admin_client):
    old = make_customer("12346")
    make_order(old, [(make_product(), 2, Decimal("5"))], placed_at=_at(2011, 1, 18))
    make_order(make_customer(), [(make_product(), 1, Decimal("1"))],
               placed_at=_at(2011, 12, 9))  # fmt: skip
    html = admin_client.get("/admin/shop/customer/?q=12346").content.decode()
    assert "£10.00" in html
    assert "2011-01-18" in html and "325 days before" in html  # not the calendar's


def test_products_default_to_the_shops_catalogue_with_units(admin_client):
    from shop.services.stock import stock_set

    shop = make_product(
        "85123A", description="WHITE HANGING HEART", source="online_retail"
    )
    make_product("m1", description="Toy Story (1995)", source="movielens")
    stock_set(
        product=shop, on_hand=40, is_assumed=True, assumption="30 days", reason="rule"
    )
    html = admin_client.get("/admin/shop/product/").content.decode()
    assert "WHITE HANGING HEART" in html and "Toy Story" not in html
    assert "£2.50" in html and "40 units" in html and "assumed" in html
    demo = admin_client.get("/admin/shop/product/?catalogue=demo").content.decode()
    assert "Toy Story" in demo and "WHITE HANGING HEART" not in demo
