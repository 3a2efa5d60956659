"""Replenishment (issue 18.3, 18.4): vendors' terms in the suggestions, order once,
snooze, purchase orders with costs and a printable page, at risk by money."""

from decimal import Decimal

import numpy as np
import pytest
from scipy import stats

from inventory import selectors, services
from inventory.algorithms import policy as pol
from inventory.models import (
    Forecast,
    PurchaseOrder,
    ReorderSuggestion,
    Vendor,
    VendorProduct,
)
from shop.services.stock import stock_set

pytestmark = pytest.mark.django_db


def _count(product, on_hand):
    stock_set(product=product, on_hand=on_hand, is_assumed=False, reason="count")


@pytest.fixture
def vendors(history):
    acme = Vendor.objects.create(name="Acme Mugs", lead_time_days=21)
    vague = Vendor.objects.create(name="Vague Vases")  # states no lead time
    VendorProduct.objects.create(
        vendor=acme,
        product=history["steady"],
        unit_cost=Decimal("0.55"),
        min_order_qty=48,
        pack_size=24,
        is_preferred=True,
    )
    VendorProduct.objects.create(
        vendor=vague, product=history["sometimes"], unit_cost=Decimal("2.10")
    )
    return {"acme": acme, "vague": vague}


def test_suggestions_carry_the_vendors_terms_and_flag_a_missing_lead_time(
    history, vendors
):
    _count(history["steady"], 0)
    _count(history["sometimes"], 0)
    run = services.forecast_demand()
    steady = ReorderSuggestion.objects.get(product=history["steady"])
    assert steady.vendor == vendors["acme"] and steady.unit_cost == Decimal("0.55")
    assert steady.quantity % 24 == 0 and steady.quantity >= 48
    assert steady.lead_time_days == 21 and steady.lead_time_source == "vendor"
    # the vendor's lead time is the one the reorder point was planned on
    assert run.forecasts.get(product=history["steady"]).lead_time_days == 21
    assert steady.line_value == steady.quantity * Decimal("0.55")
    vase = ReorderSuggestion.objects.get(product=history["sometimes"])
    assert vase.lead_time_days == 14  # the policy default
    assert vase.lead_time_source == "policy default (Vague Vases states no lead time)"
    assert "Vague Vases states no lead time" in vase.reason


def test_order_once_makes_one_costed_order_per_vendor_printable(
    history, vendors, admin_client
):
    _count(history["steady"], 0)
    _count(history["sometimes"], 0)
    services.forecast_demand()
    rows = list(ReorderSuggestion.objects.filter(status="pending"))
    assert len(rows) == 2
    orders = services.suggestions_order(suggestions=rows)
    assert [po.vendor for po in orders] == [vendors["acme"], vendors["vague"]]
    expected = sum(r.quantity * r.unit_cost for r in rows)
    assert sum(po.total for po in orders) == expected
    line = orders[0].lines.get()
    assert line.unit_cost == Decimal("0.55")
    assert all(r.status == "approved" for r in ReorderSuggestion.objects.all())
    page = admin_client.get(f"/admin/inventory/purchaseorder/{orders[0].pk}/print/")
    html = page.content.decode()
    assert page.status_code == 200 and "Acme Mugs" in html
    assert f"£{orders[0].total:,.2f}" in html and "Print" in html
    listing = admin_client.get("/admin/inventory/purchaseorder/").content.decode()
    assert f"£{orders[0].total:,.2f}" in listing and "printable" in listing


def test_snoozed_product_gets_no_new_suggestion_until_the_date(history, vendors):
    _count(history["steady"], 0)
    services.forecast_demand()
    suggestion = ReorderSuggestion.objects.get(product=history["steady"])
    assert services.suggestions_snooze(suggestions=[suggestion], days=7) == 1
    suggestion.refresh_from_db()
    assert suggestion.status == "snoozed" and suggestion.snoozed_until
    _count(history["steady"], 1)  # a new count: the product is re-planned
    assert services.forecast_replan()["products"] == 1
    assert not ReorderSuggestion.objects.filter(status="pending").exists()
    with pytest.raises(Exception, match="days"):
        services.suggestions_snooze(suggestions=[suggestion], days=0)


def test_replenishment_screen_shows_the_numbers_and_the_missing_counts(
    history, vendors, admin_client
):
    _count(history["steady"], 0)  # sometimes and never have no count
    services.forecast_demand()
    counted = [f.product for f in selectors.products_at_risk(counted_only=True)]
    assert counted == [history["steady"]]
    assert history["sometimes"] in [f.product for f in selectors.products_at_risk()]
    page = admin_client.get("/admin/inventory/reordersuggestion/?status=pending")
    html = page.content.decode()
    assert page.status_code == 200
    for heading in (
        "on hand",
        "lead-time forecast",
        "min / max",
        "min = reorder point, max = order-up-to level",
        "to order (units)",
        "MOQ / pack",
        "lead time",
        "unit cost",
        "line value",
        "vendor",
    ):
        assert heading.lower() in html.lower()
    s = ReorderSuggestion.objects.get()
    assert "Acme Mugs" in html and f"£{s.line_value:,.2f}" in html
    assert "2 products with demand have no stock count" in html
    assert "/admin/jobs/inventory-import-stock/" in html
    detail = admin_client.get(f"/admin/inventory/reordersuggestion/{s.pk}/change/")
    assert "Order once" in detail.content.decode()
    resp = admin_client.post(
        f"/admin/inventory/reordersuggestion/{s.pk}/decide/snooze7/", follow=True
    )
    assert resp.status_code == 200
    s.refresh_from_db()
    assert s.status == "snoozed"


def test_expected_shortage_matches_the_normal_loss_integral():
    for available, mean, sigma in [(0, 10, 3), (10, 10, 3), (16, 10, 3), (5, 2, 0.5)]:
        x = np.linspace(available, mean + 12 * sigma, 200_001)
        integral = np.trapezoid((x - available) * stats.norm.pdf(x, mean, sigma), x)
        got = pol.expected_shortage(available=available, mean=mean, sigma=sigma)
        assert got == pytest.approx(integral, rel=1e-4, abs=1e-9)
    assert pol.expected_shortage(available=3, mean=5, sigma=0) == 2
    with pytest.raises(ValueError, match="sigma"):
        pol.expected_shortage(available=0, mean=1, sigma=-1)


def test_at_risk_is_ranked_by_lost_sales_value_not_probability(history):
    # both out of stock: the steady seller (8.6/day) loses far more money than the
    # occasional one, whatever their stock-out probabilities
    _count(history["steady"], 0)
    _count(history["sometimes"], 0)
    run = services.forecast_demand()
    ranked = list(selectors.products_at_risk())
    assert [f.product for f in ranked][:2] == [history["steady"], history["sometimes"]]
    steady = Forecast.objects.get(run=run, product=history["steady"])
    lead_demand = steady.reorder_point - steady.safety_stock
    # with nothing on hand the whole lead-time demand is lost (~its mean)
    assert steady.expected_lost_sales == pytest.approx(
        lead_demand * float(history["steady"].list_price), rel=0.05
    )
    assert PurchaseOrder.objects.count() == 0


def test_the_queue_shows_pending_suggestions_unless_asked_for_all(
    history, admin_client
):
    _count(history["steady"], 0)
    services.forecast_demand()
    first = ReorderSuggestion.objects.get(status="pending")
    services.forecast_demand(force=True)  # a newer run supersedes the first
    first.refresh_from_db()
    assert first.status == "superseded"
    pending = ReorderSuggestion.objects.get(status="pending")

    def rows(url: str) -> list[int]:
        page = admin_client.get(url)
        assert page.status_code == 200
        return [obj.pk for obj in page.context["cl"].result_list]

    assert rows("/admin/inventory/reordersuggestion/") == [pending.pk]
    assert rows("/admin/inventory/reordersuggestion/?status=pending") == [pending.pk]
    assert sorted(rows("/admin/inventory/reordersuggestion/?status=all")) == sorted(
        [first.pk, pending.pk]
    )
    assert rows("/admin/inventory/reordersuggestion/?status=superseded") == [first.pk]


def test_a_received_purchase_order_takes_the_product_off_the_risk_list(history):
    """V2 15.1: "Counted products at or below reorder point" stayed at 2 after
    85123A received 3,926 units (the list read the forecast run's stock snapshot).
    The PO's number and expected date follow the shop clock (the data's day)."""
    from datetime import date

    from shop.clock import clock_cache_clear
    from shop.models import Order

    Order.objects.update(source="online_retail")  # imported history, to 2011-09-30
    clock_cache_clear()
    _count(history["steady"], 0)
    services.forecast_demand()
    assert [f.product for f in selectors.products_at_risk(counted_only=True)] == [
        history["steady"]
    ]
    suggestion = ReorderSuggestion.objects.get(
        product=history["steady"], status="pending"
    )
    (po,) = services.suggestions_order(suggestions=[suggestion])
    assert po.number.startswith("PO20110930-")  # the data's last day, not 2026
    services.purchase_order_approve(purchase_order=po)
    po.refresh_from_db()
    assert date(2011, 9, 30) < po.expected_at < date(2012, 3, 1)
    services.purchase_order_receive(purchase_order=po)
    assert list(selectors.products_at_risk(counted_only=True)) == []
    at_risk = selectors.products_at_risk()
    assert history["steady"] not in [f.product for f in at_risk]


def test_a_received_purchase_order_is_a_record_not_a_form(
    history, vendors, admin_client
):
    """Issue 15.2: a received order shows no Save or Delete and refuses both; an
    approved order's lines are no longer editable; a draft stays editable."""
    _count(history["steady"], 0)
    services.forecast_demand()
    po = services.suggestions_order(
        suggestions=list(ReorderSuggestion.objects.filter(status="pending"))
    )[0]
    url = f"/admin/inventory/purchaseorder/{po.pk}/"
    draft = admin_client.get(f"{url}change/").content.decode()
    assert 'name="_save"' in draft and 'name="lines-0-quantity"' in draft
    services.purchase_order_approve(purchase_order=po, by=None)
    approved = admin_client.get(f"{url}change/").content.decode()
    assert 'name="lines-0-quantity"' not in approved
    services.purchase_order_receive(purchase_order=po, by=None)
    received = admin_client.get(f"{url}change/").content.decode()
    assert 'name="_save"' not in received and f"{url}delete/" not in received
    assert admin_client.get(f"{url}delete/").status_code == 403
    assert admin_client.post(f"{url}change/", {"note": "x"}).status_code == 403
