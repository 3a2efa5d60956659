"""Once products have categories, everything that reads Product.category works:
the recommender's category cap, category pins and category bestsellers, the
storefront's category pages and the pricing pools."""

from __future__ import annotations

import pytest

from recommender.models import PinnedRule
from recommender.services import recommend_for_basket, similar_products
from tests.factories import make_product
from tests.storefront.world import stock

pytestmark = pytest.mark.django_db


def test_category_cap_limits_items_per_category(settings, shop_world):
    settings.RECOMMENDER = {**settings.RECOMMENDER, "category_cap": 2}
    result = recommend_for_basket(product_ids=[shop_world["candles"][0].pk], k=6)
    categories = [
        shop_world["candles_cat"].pk
        if i["product_id"] in {p.pk for p in shop_world["candles"]}
        else "other"
        for i in result.items
    ]
    assert categories.count(shop_world["candles_cat"].pk) == 2


def test_a_category_pin_applies_to_that_category_only(shop_world):
    featured = shop_world["mugs"][5]
    PinnedRule.objects.create(
        product=featured,
        surface="similar",
        category=shop_world["candles_cat"],
        note="featured with candles",
    )
    on_candle = similar_products(product=shop_world["candles"][0], k=4)
    assert on_candle.items[0]["product_id"] == featured.pk
    assert on_candle.items[0]["reason"] == "featured with candles"
    on_mug = similar_products(product=shop_world["mugs"][0], k=4)
    assert featured.pk not in [i["product_id"] for i in on_mug.items[:1]]


def test_a_new_product_gets_its_category_bestsellers(shop_world):
    newcomer = stock(
        make_product(description="BRAND NEW THING", category=shop_world["candles_cat"])
    )
    result = similar_products(product=newcomer, k=3)
    candles = {p.pk for p in shop_world["candles"]}
    assert [i["product_id"] in candles for i in result.items] == [True] * 3
    assert {i["reason"] for i in result.items} == {"popular in the same category"}


def test_pricing_pools_by_the_shop_category(shop_world):
    from pricing.selectors import product_descriptions

    candle = shop_world["candles"][0]
    info = product_descriptions(product_ids=[candle.pk])
    assert info[candle.pk][1] == "Candles & T-light holders"
