"""Admin pages render for staff; actions and edits go through the services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from shop.models import ImportReport, Order, PriceChange, Product
from shop.services.imports import orders_import
from tests.factories import make_customer, make_order, make_product

from .conftest import write_retail
from .test_import_orders import ROWS

pytestmark = pytest.mark.django_db


def test_every_shop_changelist_renders(admin_client):
    make_order(make_customer(), [(make_product(), 1, 2)])
    for model in (
        "category",
        "product",
        "pricechange",
        "customer",
        "order",
        "orderline",
        "orderstatuschange",
        "stocklevel",
        "stockmovement",
        "event",
        "rating",
        "importreport",
        "importissue",
    ):
        response = admin_client.get(reverse(f"admin:shop_{model}_changelist"))
        assert response.status_code == 200, model


def test_import_report_page_shows_reasons_and_links(admin_client, tmp_path):
    report = orders_import(path=write_retail(tmp_path / "bad.csv", ROWS))
    page = admin_client.get(
        reverse("admin:shop_importreport_change", args=[report.pk])
    ).content.decode()
    assert "bad_quantity" in page and 'class="chart"' in page
    assert f"report__id__exact={report.pk}" in page
    issues = admin_client.get(
        reverse("admin:shop_importissue_changelist")
        + f"?report__id__exact={report.pk}&reason__exact=bad_quantity"
    ).content.decode()
    assert "bad_quantity" in issues
    assert ImportReport.objects.count() == 1


def test_admin_price_edit_is_recorded(admin_client):
    product = make_product(list_price=Decimal("2.00"))
    url = reverse("admin:shop_product_change", args=[product.pk])
    form = {
        "source": product.source,
        "stock_code": product.stock_code,
        "description": product.description,
        "alt_descriptions": "[]",
        "kind": product.kind,
        "is_merchandise": "on",
        "list_price": "3.25",
        "currency": "GBP",
        "is_active": "on",
        "stock-TOTAL_FORMS": "0",
        "stock-INITIAL_FORMS": "0",
        "price_changes-TOTAL_FORMS": "0",
        "price_changes-INITIAL_FORMS": "0",
    }
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    product.refresh_from_db()
    assert product.list_price == Decimal("3.250")
    change = PriceChange.objects.get(product=product)
    assert (change.old_price, change.new_price, change.origin) == (
        Decimal("2.000"),
        Decimal("3.250"),
        "manual",
    )
    assert change.changed_by.is_superuser


def test_admin_order_actions_use_the_state_machine(admin_client):
    placed = make_order(make_customer(), [(make_product(), 1, 2)])
    shipped = make_order(
        make_customer(), [(make_product(), 1, 2)], status=Order.Status.SHIPPED
    )
    url = reverse("admin:shop_order_changelist")
    admin_client.post(
        url,
        {"action": "decide_paid", "_selected_action": [placed.pk, shipped.pk]},
    )
    placed.refresh_from_db()
    shipped.refresh_from_db()
    assert placed.status == "paid" and shipped.status == "shipped"
    admin_client.post(url, {"action": "decide_cancel", "_selected_action": [placed.pk]})
    assert Order.objects.filter(invoice_no=f"C{placed.invoice_no}").exists()
    assert Product.objects.count() == 2


def test_customer_erase_action_anonymises(admin_client):
    from shop.models import Customer
    from tests.factories import make_customer

    customer = make_customer("55555", email="someone@example.com")
    response = admin_client.post(
        "/admin/shop/customer/",
        {"action": "erase_personal_data", "_selected_action": [customer.pk]},
        follow=True,
    )
    assert response.status_code == 200
    customer = Customer.objects.get(pk=customer.pk)
    assert customer.erased_at is not None
    assert customer.email == "" and customer.external_id != "55555"
