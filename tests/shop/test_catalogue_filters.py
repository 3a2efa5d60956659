"""Product.objects.sellable() / of_shop(): the catalogue filters every app shares."""

from __future__ import annotations

import pytest

from shop.models import Product
from tests.factories import make_product

pytestmark = pytest.mark.django_db


def test_sellable_leaves_out_films_service_codes_and_inactive_products():
    gift = make_product("85123A", source="online_retail")
    make_product("1", source="movielens", description="TOY STORY (1995)")
    make_product("POST", source="online_retail", kind="postage", is_merchandise=False)
    make_product("22000", source="online_retail", is_active=False)
    own = make_product("S1", source="shop")

    assert set(Product.objects.sellable()) == {gift, own}


def test_of_shop_keeps_service_codes_but_not_demo_rating_sources(settings):
    post = make_product(
        "POST", source="online_retail", kind="postage", is_merchandise=False
    )
    film = make_product("1", source="movielens")
    assert set(Product.objects.of_shop()) == {post}
    settings.SHOP = {"DEMO_SOURCES": []}
    assert set(Product.objects.of_shop()) == {post, film}
