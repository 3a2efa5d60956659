"""End to end in a real browser: a customer in a running experiment clicks a
recommended product, buys it, and the experiment's readout credits the purchase to
the customer's variant (revenue from recommendations)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from experiments import services
from experiments.models import Impression
from experiments.selectors import experiment_readout
from shop.models import Event, Order
from tests.browser.test_storefront_flow import sign_in, snap
from tests.browser.test_storefront_flow import world as shop  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def shots(settings, tmp_path):
    settings.EXPERIMENTS = {"impression_batch": 1, "impression_writer": "inline"}
    return tmp_path


def test_recommended_purchase_is_attributed_to_the_variant(
    live_server,
    browser,
    shop,  # noqa: F811 - the fixture imported above
    shots,
):
    exp = services.experiment_create(
        name="model-vs-top-6",
        hypothesis="showing fewer items focuses attention",
        surfaces=["for_you"],
        variants=[
            {"name": "control", "share": "0.5", "is_control": True},
            {"name": "top6", "share": "0.5", "serving_config": {"k": 6}},
        ],
    )
    exp = services.experiment_start(experiment=exp)
    alice = shop["alice"]
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    base = live_server.url
    sign_in(page, base, alice.user.username)
    shelf = page.locator("#shelf-for_you")
    rec_id = shelf.get_attribute("data-recommendation-id")
    impression = Impression.objects.get(recommendation_id=rec_id)
    variant = impression.variant.name
    assert impression.experiment == exp and variant in {"control", "top6"}
    cards = shelf.locator(".card")
    assert cards.count() == (6 if variant == "top6" else min(12, cards.count()))

    cards.first.locator("a.card-link").click()
    page.wait_for_selector("#product h1")
    product_id = int(page.get_attribute("#product", "data-product-id"))
    assert product_id in impression.product_ids
    page.fill("#quantity", "3")
    page.click("#add-to-basket")
    page.wait_for_selector(".msg-success")
    page.click("#basket-link")
    page.click("#checkout-link")
    page.fill("#id_shipping_address", "1 High Street\nLondon N1 1AA")
    page.click("#place-order")
    page.wait_for_selector("#order-status")
    snap(page, shots, "order-placed")

    order = Order.objects.filter(customer=alice).order_by("-id").first()
    purchase = Event.objects.get(kind="purchase", order=order, product_id=product_id)
    assert purchase.recommendation_id == rec_id
    line = order.lines.get(product_id=product_id)
    readout = experiment_readout(experiment=exp)
    credited = {v.name: v for v in readout.variants}
    amount = float(line.quantity * line.unit_price)
    assert amount > 0 and line.quantity == 3 and line.unit_price > Decimal(0)
    assert credited[variant].recommended_revenue == pytest.approx(amount)
    other = "top6" if variant == "control" else "control"
    assert credited[other].recommended_revenue == 0
    assert credited[variant].assigned == 1 and credited[variant].exposed == 1
    assert credited[variant].clicks == 1
    assert credited[variant].revenue >= amount  # the whole order counts for ITT
    assert readout.unattributed_unknown == 0
