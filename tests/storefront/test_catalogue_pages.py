"""Storefront catalogue pages: home, categories, search, product page; events."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from experiments.models import Impression
from shop.models import Event
from tests.factories import make_customer, make_order
from tests.storefront.world import sign_in

pytestmark = pytest.mark.django_db


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_home_signed_out_shows_bestsellers_and_departments(client, shop_world):
    page = html(client.get("/"))
    assert "Bestsellers" in page and "Recommended for you" not in page
    assert "White Hanging Heart T-Light Holder" in page  # readable, not shouted
    assert "WHITE HANGING HEART" not in page
    assert "Candles &amp; T-light holders" in page and "/c/mugs-and-tableware/" in page
    assert "£2.95" in page
    for hidden in ("Toy Story", "POSTAGE", "Postage", "Old Heart Tin"):
        assert hidden not in page
    assert 'href="/account/login/' in page and "/admin/login" not in page


def test_home_signed_in_recommends_for_the_customer_with_reasons(client, shop_world):
    sign_in(client, shop_world["alice"])
    page = html(client.get("/"))
    assert "Recommended for you" in page and 'data-surface="for_you"' in page
    assert "Because you bought White Hanging Heart T-Light Holder" in page
    names = re.findall(r'class="card-name">([^<]+)<', page)
    # the customer's own taste first (candles), then the fallback's bestsellers
    assert names[:4] and all(n.startswith("White Hanging Heart") for n in names[:4])


def test_old_search_links_land_on_the_search_page(client, shop_world):
    response = client.get("/", {"q": "mug"})
    assert response.status_code == 302 and response["Location"] == "/search/?q=mug"


def test_category_page_lists_its_sellable_products(client, shop_world):
    page = html(client.get("/c/candles-and-t-light-holders/"))
    assert page.count('class="card"') == 7  # 6 candles + the sold-out vase
    assert "Out of stock" in page and "Red Spotty Mug" not in page
    by_price = html(client.get("/c/mugs-and-tableware/", {"sort": "-price"}))
    assert by_price.index("Red Spotty Mug") > 0
    assert client.get("/c/no-such-thing/").status_code == 404


def test_search_matches_every_word_and_is_recorded(client, shop_world):
    page = html(client.get("/search/", {"q": "hearts holder"}))
    assert "6 products" in page and "Red Spotty Mug" not in page
    assert "Toy Story" not in html(client.get("/search/", {"q": "toy story"}))
    empty = html(client.get("/search/", {"q": "zebra"}))
    assert "No products match “zebra”" in empty
    event = Event.objects.filter(kind="search").first()
    assert event.query in {"hearts holder", "zebra"} and event.session_key


def test_product_page_price_stock_and_shelves(client, shop_world):
    candle = shop_world["candles"][0]
    page = html(client.get(f"/products/{candle.pk}/"))
    assert "<h1>White Hanging Heart T-Light Holder 0</h1>" in page
    assert "£2.95" in page and "In stock" in page and 'id="add-to-basket"' in page
    assert "Often bought together" in page
    assert "Customers who bought this also bought" in page
    assert "Bought by the same customers as this" in page  # the reason, readable
    for hidden in ("film", "post", "gone"):
        assert client.get(f"/products/{shop_world[hidden].pk}/").status_code == 404


def test_a_product_page_reads_the_shop_clock_once(client, shop_world, settings):
    """Each shelf's impression is stamped with shop.clock.shop_now; the newest
    imported order's time behind it is read once, then cached."""
    settings.SHOP = {"CLOCK": "auto"}
    day = timezone.make_aware(datetime(2011, 7, 1, 9, 0))
    candles = shop_world["candles"]
    make_order(make_customer(), [(candles[0], 1, "2.95")], placed_at=day,
               source="online_retail")  # fmt: skip

    def clock_queries(path):
        with CaptureQueriesContext(connection) as ctx:
            html(client.get(path))
        return [
            q["sql"]
            for q in ctx.captured_queries
            if 'MAX("shop_order"."placed_at")' in q["sql"] and '"source"' in q["sql"]
        ]

    assert len(clock_queries(f"/products/{candles[0].pk}/")) == 1
    served = Impression.objects.values_list("served_at", flat=True)
    assert len(served) >= 2  # two shelves, two stamps
    assert {timezone.localtime(t).date() for t in served} == {day.date()}
    assert clock_queries(f"/products/{candles[1].pk}/") == []


def test_out_of_stock_shows_the_restock_date(client, shop_world):
    from inventory.models import ReorderSuggestion

    vase = shop_world["sold_out"]
    page = html(client.get(f"/products/{vase.pk}/"))
    assert "Out of stock" in page and 'id="add-to-basket"' not in page
    arrival = date.today() + timedelta(days=9)
    ReorderSuggestion.objects.create(
        product=vase,
        quantity=20,
        order_by=date.today(),
        expected_arrival=arrival,
        reason="test",
    )
    page = html(client.get(f"/products/{vase.pk}/"))
    assert f"Back on {arrival.day} {arrival:%b %Y}" in page


def test_views_and_recommendation_clicks_are_events(client, shop_world):
    candle = shop_world["candles"][2]
    rec = "ab" * 16
    client.get(f"/products/{candle.pk}/", {"rec": rec, "from": "similar"})
    click = Event.objects.get(kind="click")
    assert click.recommendation_id == rec and click.product == candle
    assert click.metadata == {"surface": "similar", "origin": "storefront"}
    assert Event.objects.filter(kind="view", product=candle).count() == 1
    sign_in(client, shop_world["alice"])
    client.get(f"/products/{candle.pk}/", {"rec": "not-hex"})
    view = Event.objects.filter(kind="view").order_by("-id").first()
    assert view.customer == shop_world["alice"] and view.session_key == ""
    assert not Event.objects.filter(recommendation_id="not-hex").exists()


def test_a_failing_recommender_never_breaks_a_page(client, shop_world, monkeypatch):
    import storefront.shelves as shelves

    def boom(**kwargs):
        raise RuntimeError("model file missing")

    monkeypatch.setattr(shelves, "recommend_for_basket", boom)
    monkeypatch.setattr(shelves, "similar_products", boom)
    page = html(client.get("/"))
    assert "Shop by category" in page and "Bestsellers" not in page
    assert html(client.get(f"/products/{shop_world['candles'][0].pk}/"))
