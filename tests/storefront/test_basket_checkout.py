"""Basket and checkout: clear refusals, an order placed through order_place, and the
events that let a purchase be attributed to the recommendation it came from."""

from __future__ import annotations

import pytest

from shop.models import Event, Order, StockLevel
from tests.storefront.world import sign_in, stock

pytestmark = pytest.mark.django_db
REC = "cd" * 16


def add(client, product, quantity=1, **extra):
    return client.post(
        "/basket/add/",
        {"product": product.pk, "quantity": quantity, **extra},
        follow=True,
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_add_to_basket_and_see_basket_recommendations(client, shop_world):
    candle = shop_world["candles"][0]
    response = add(client, candle, 2, rec=REC, **{"from": "similar"})
    assert "Added White Hanging Heart T-Light Holder 0 to your basket (2 in it)." in (
        messages_of(response)
    )
    event = Event.objects.get(kind="add_to_cart")
    assert (event.product, event.recommendation_id) == (candle, REC)
    page = client.get("/basket/").content.decode()
    assert "£5.90" in page and 'id="basket-count">2<' in page
    assert "Goes well with your basket" in page and 'data-surface="basket"' in page


@pytest.mark.parametrize(
    ("key", "quantity", "message"),
    [
        ("gone", 1, "Old Heart Tin is no longer for sale."),
        ("post", 1, "This product is no longer for sale."),
        ("film", 1, "This product is no longer for sale."),
        ("sold_out", 1, "Empty Shelf Vase is out of stock."),
        (
            "candles",
            51,
            "Only 50 of White Hanging Heart T-Light Holder 0 left in stock.",
        ),
        ("candles", 0, "Add at least one."),
        ("candles", "lots", "The quantity must be a whole number."),
    ],
)
def test_refusals_are_clear(client, shop_world, key, quantity, message):
    product = shop_world[key]
    product = product[0] if isinstance(product, list) else product
    response = add(client, product, quantity)
    assert message in messages_of(response)
    assert client.session.get("basket", {}) == {}
    assert not Event.objects.filter(kind="add_to_cart").exists()


def test_update_and_remove_lines(client, shop_world):
    mug = shop_world["mugs"][1]
    add(client, mug, 1)
    client.post("/basket/update/", {"product": mug.pk, "quantity": 4})
    assert client.session["basket"][str(mug.pk)]["qty"] == 4
    response = client.post(
        "/basket/update/", {"product": mug.pk, "quantity": 999}, follow=True
    )
    assert "Only 50 of Red Spotty Mug 1 left in stock." in messages_of(response)
    client.post("/basket/update/", {"product": mug.pk, "quantity": 0})
    assert client.session["basket"] == {}


def test_checkout_needs_a_signed_in_customer(client, shop_world):
    add(client, shop_world["mugs"][0])
    response = client.get("/checkout/")
    assert response.status_code == 302
    assert response["Location"] == "/account/login/?next=/checkout/"


def test_checkout_of_an_empty_basket_is_refused(client, shop_world):
    sign_in(client, shop_world["alice"])
    before = Order.objects.count()
    response = client.get("/checkout/", follow=True)
    assert "Your basket is empty: add something before checking out." in messages_of(
        response
    )
    response = client.post("/checkout/", {"shipping_address": "1 High St"}, follow=True)
    assert "Your basket is empty" in " ".join(messages_of(response))
    assert Order.objects.count() == before


def test_checkout_places_the_order_and_records_attributed_purchases(client, shop_world):
    alice = shop_world["alice"]
    sign_in(client, alice)
    candle, mug = shop_world["candles"][3], shop_world["mugs"][2]
    add(client, candle, 2, rec=REC, **{"from": "for_you"})
    add(client, mug, 1)
    page = client.get("/checkout/").content.decode()
    assert "Place order · £7.15" in page
    missing = client.post("/checkout/", {"shipping_address": "  "})
    assert "Enter the address to deliver to." in missing.content.decode()
    before = Order.objects.count()
    response = client.post(
        "/checkout/", {"shipping_address": "1 High Street\nLondon"}, follow=True
    )
    assert Order.objects.count() == before + 1
    order = Order.objects.order_by("-id").first()
    assert response.redirect_chain[-1][0] == f"/account/orders/{order.invoice_no}/"
    assert f"Thank you! Order {order.invoice_no} is placed." in messages_of(response)
    assert (order.customer, order.status, order.kind) == (alice, "placed", "sale")
    lines = {line.product_id: line for line in order.lines.all()}
    assert (
        lines[candle.pk].quantity == 2 and str(lines[candle.pk].unit_price) == "2.950"
    )
    assert StockLevel.objects.get(product=candle).reserved == 2
    purchases = Event.objects.filter(kind="purchase", order=order)
    assert {(e.product_id, e.recommendation_id) for e in purchases} == {
        (candle.pk, REC),
        (mug.pk, ""),
    }
    assert client.session["basket"] == {}
    page = response.content.decode()
    assert "Placed" in page and "1 High Street" in page and "£7.15" in page


def test_a_product_that_sells_out_before_checkout_is_named(client, shop_world):
    sign_in(client, shop_world["alice"])
    candle = shop_world["candles"][4]
    add(client, candle, 5)
    stock(candle, 2)
    before = Order.objects.count()
    response = client.post("/checkout/", {"shipping_address": "1 High St"}, follow=True)
    assert (
        "Only 2 of White Hanging Heart T-Light Holder 4 left in stock."
        in messages_of(response)
    )
    assert Order.objects.count() == before


def test_add_to_basket_from_a_recommended_product_is_one_click_one_view(
    client, shop_world
):
    """Following a recommendation, adding to the basket and landing back on the
    product page (?rec=..&from=..) records one click and one view, not two (V2
    14.5: an inflated click-through rate); a new recommendation is a new click."""
    candle = shop_world["candles"][2]
    page = f"/products/{candle.pk}/?rec={REC}&from=for_you"
    client.get(page)
    response = add(client, candle, 1, rec=REC, next=page, **{"from": "for_you"})
    assert response.redirect_chain[-1][0] == page
    assert response.status_code == 200
    kinds = list(Event.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["click", "view", "add_to_cart"]
    client.get(page)  # a reload is a new view, but the same click
    assert Event.objects.filter(kind="click").count() == 1
    assert Event.objects.filter(kind="view").count() == 2
    client.get(f"/products/{candle.pk}/", {"rec": "ef" * 16, "from": "similar"})
    assert Event.objects.filter(kind="click").count() == 2


def test_adding_from_another_page_keeps_the_next_product_view(client, shop_world):
    candle = shop_world["candles"][2]
    add(client, candle, 1, next="/basket/")
    client.get(f"/products/{candle.pk}/")
    assert Event.objects.filter(kind="view", product=candle).count() == 1
