"""The admin's recommendation preview: every surface, reasons, strategy, version."""

from __future__ import annotations

import pytest

from core.formatting import money
from recommender.services import recommend_for_customer, similar_products
from shop.models import Product


@pytest.fixture
def staff_client(client, django_user_model, settings, monkeypatch):
    from django.conf import settings as dj_settings

    monkeypatch.setattr(dj_settings._wrapped, "SECRET_KEY", "preview-" + "k" * 40)
    user = django_user_model.objects.create_superuser("merch", "m@example.com", "pw")
    client.force_login(user)
    return client


def test_customer_preview_shows_the_served_list_with_reasons(trained, staff_client):
    alice = trained["alice"]
    served = recommend_for_customer(customer=alice, k=5)
    page = staff_client.get(
        f"/admin/recommender/preview/?customer={alice.external_id}&k=5"
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert f"Customer {alice.external_id}" in html and "Recently bought" in html
    assert "For you" in html and served.model_version in html
    assert f"Strategy <strong>{served.strategy}</strong>" in html
    positions = [html.index(item["stock_code"] + "</a>") for item in served.items]
    assert positions == sorted(positions)  # the same items, in the served order
    for item in served.items:
        assert item["reason"] in html
    first = Product.objects.get(pk=served.items[0]["product_id"])
    assert money(first.list_price, first.currency) in html  # price with currency


def test_product_preview_shows_similar_bought_together_and_basket(
    trained, staff_client
):
    product = trained["red"][0]
    served = similar_products(product=product, k=4)
    page = staff_client.get(
        f"/admin/recommender/preview/?product={product.stock_code.lower()}&k=4"
    )
    html = page.content.decode()
    for title in ("Similar products", "Bought together", "Basket with this product"):
        assert title in html
    assert served.items and served.items[0]["reason"] in html


def test_unknown_customer_or_product_is_named_and_k_is_bounded(staff_client, db):
    html = staff_client.get("/admin/recommender/preview/?customer=nobody").content
    assert b"customer &#x27;nobody&#x27; does not exist" in html
    html = staff_client.get("/admin/recommender/preview/?product=ZZZ").content
    assert b"product &#x27;ZZZ&#x27; does not exist" in html
    html = staff_client.get("/admin/recommender/preview/?customer=1&k=1000").content
    assert b"at most 100 items" in html


def test_preview_needs_the_recommender_permission(client, django_user_model, db):
    user = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(user)
    assert client.get("/admin/recommender/preview/?customer=1").status_code == 403
