"""A customer's visit in a real headless browser (Debian chromium) against the live
server: sign in, recommended for you, a product page, add to basket with basket
recommendations, checkout, buy again, and a chat question about the order's status.

Screenshots of every page at 1,400 and 390 px wide go to ``var/screenshots/`` (not
committed) for a person to look at.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from shop.models import Event, Order
from tests.browser.test_chat_widget import trained  # noqa: F401 - fixture
from tests.storefront.world import PASSWORD, build_shop_world

pytestmark = [pytest.mark.browser, pytest.mark.slow]
WIDTHS = (1400, 390)


@pytest.fixture
def world(transactional_db, settings):
    from django.core.cache import cache

    from recommender.bundle import bundle_cache_clear
    from recommender.services.serving import serving_cache_clear

    cache.clear()  # the category bar is cached
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.RECOMMENDER = {"filter_cache_seconds": 0, "active_cache_seconds": 0}
    bundle_cache_clear()
    serving_cache_clear()
    yield build_shop_world()
    bundle_cache_clear()
    serving_cache_clear()


@pytest.fixture
def shots(request) -> Path:
    folder = Path(settings.BASE_DIR) / "var" / "screenshots" / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def snap(page, folder: Path, name: str) -> None:
    """Save a full-page screenshot, after checking nothing overflows sideways."""
    width = page.viewport_size["width"]
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{name}: page is {scroll}px wide at {width}px"
    page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/")
    page.click("#sign-in")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#account-link")


@pytest.mark.parametrize("width", WIDTHS)
def test_customer_journey(live_server, browser, world, trained, shots, width):  # noqa: F811
    base = live_server.url
    alice = world["alice"]
    page = browser.new_page(viewport={"width": width, "height": 900})

    # signed out: bestsellers, categories, no film, no postage
    page.goto(f"{base}/")
    assert page.locator("#shelf-bestsellers .card").count() > 0
    body = page.inner_text("body")
    assert "Toy Story" not in body and "POSTAGE" not in body.upper().split()
    snap(page, shots, "1-home-signed-out")

    # a wrong password: a clear message, still signed out
    page.click("#sign-in")
    page.fill("#id_username", alice.user.username)
    page.fill("#id_password", "not-the-password")
    page.click("#login-submit")
    assert "do not match a customer account" in page.inner_text("#login-form")
    snap(page, shots, "2-sign-in-wrong-password")

    # sign in: recommended for you, each card with its reason in plain words
    sign_in(page, base, alice.user.username)
    shelf = page.locator("#shelf-for_you")
    assert shelf.locator("h2").inner_text() == "Recommended for you"
    first = shelf.locator(".card").first
    # "for you" brings re-buys back with their cycle, new finds with their cause
    reason = first.locator(".reason").inner_text()
    assert reason.startswith(
        ("Because you bought", "You bought this on", "You buy this")
    )
    assert first.locator(".price").inner_text().startswith("£")
    snap(page, shots, "3-home-recommended-for-you")

    # a recommended product: price, stock badge, bought together, similar
    rec_id = shelf.get_attribute("data-recommendation-id")
    first.locator("a.card-link").click()
    page.wait_for_selector("#product h1")
    assert re.match(r"£\d+\.\d\d", page.inner_text(".price.big"))
    assert page.inner_text("#stock") == "In stock"
    assert page.locator("#shelf-bought_together .card").count() > 0
    assert page.locator("#shelf-similar .card").count() > 0
    product_id = int(page.get_attribute("#product", "data-product-id"))
    click = Event.objects.get(kind="click", product_id=product_id, customer=alice)
    assert click.recommendation_id == rec_id
    snap(page, shots, "4-product")

    # add to basket: the basket shows it, with basket recommendations
    page.fill("#quantity", "2")
    page.click("#add-to-basket")
    page.wait_for_selector(".msg-success")
    assert page.inner_text("#basket-count") == "2"
    page.click("#basket-link")
    assert page.locator("#basket-lines tbody tr").count() == 1
    assert page.locator("#shelf-basket .card").count() > 0
    snap(page, shots, "5-basket")

    # checkout: the order is placed, and says so
    page.click("#checkout-link")
    page.fill("#id_shipping_address", "1 High Street\nLondon N1 1AA")
    snap(page, shots, "6-checkout")
    page.click("#place-order")
    page.wait_for_selector("#order-status")
    order = Order.objects.filter(customer=alice).order_by("-id").first()
    assert order.status == "placed" and page.inner_text("#order-status") == "Placed"
    assert f"Order {order.invoice_no} is placed" in page.inner_text(".messages")
    purchase = Event.objects.get(kind="purchase", order=order)
    assert purchase.recommendation_id == rec_id  # attributable to the shelf
    snap(page, shots, "7-order-placed")

    # account: the order and buy again
    page.click("#account-link")
    assert order.invoice_no in page.inner_text("#orders")
    assert page.locator("#shelf-buy_again .card").count() > 0
    snap(page, shots, "8-account-buy-again")
    page.click(f"#orders a:text('{order.invoice_no}')")
    page.locator("#order-lines button:text('Buy again')").first.click()
    page.wait_for_selector(".msg-success")
    assert page.inner_text("#basket-count") == "2"

    # the chat answers "where is my order" with the order's status
    page.click("#chat-toggle")
    page.wait_for_selector("#chat-log .msg.bot")
    page.fill("#chat-input", f"where is my order {order.invoice_no}")
    with page.expect_response(re.compile(r"/api/v1/chat/.*/messages/")) as answer:
        page.click("#chat-send")
    reply = answer.value.json()["reply"]
    assert reply["data"].get("status") == "placed", reply
    page.wait_for_function(
        "document.querySelectorAll('#chat-log .msg.bot').length >= 2", timeout=30_000
    )
    assert order.invoice_no in page.locator("#chat-log .msg.bot p").last.inner_text()
    snap(page, shots, "9-chat-order-status")
    page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_catalogue_pages(live_server, browser, world, shots, width):
    """Category and search pages list sellable products only, in readable names."""
    base = live_server.url
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{base}/")
    page.click(".cats a:text('Candles & T-light holders')")
    assert page.inner_text("h1") == "Candles & T-light holders"
    names = page.locator(".card-name").all_inner_texts()
    assert names and all(not n.isupper() for n in names)
    snap(page, shots, "category")
    page.fill("input[name=q]", "spotty mugs")
    page.press("input[name=q]", "Enter")
    assert page.locator(".card").count() == 6
    snap(page, shots, "search")
    page.goto(f"{base}/products/{world['sold_out'].pk}/")
    assert page.inner_text("#stock") == "Out of stock"
    assert page.locator("#add-to-basket").count() == 0
    snap(page, shots, "out-of-stock")
    page.close()
