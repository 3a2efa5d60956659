"""A small shop for the storefront and browser tests (see :func:`build_shop_world`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
from django.http import HttpRequest
from django.utils import timezone

from shop.models import Category
from shop.services.stock import stock_set
from tests.factories import make_customer, make_order, make_product

PASSWORD = "pw-12345678"


def stock(product, units: int = 50):
    stock_set(product=product, on_hand=units, is_assumed=False, reason="test count")
    return product


def _stocked(name: str, category: Category, price: str) -> list:
    """Six products ``name 0`` .. ``name 5`` of ``category``, 50 units each."""
    return [
        stock(
            make_product(
                description=f"{name} {i}",
                category=category,
                list_price=Decimal(price),
                source="online_retail",
            )
        )
        for i in range(6)
    ]


def build_shop_world() -> dict:
    """Candles c0..c5 are bought together, as are mugs m0..m5, by 12 customers each;
    ``alice`` (a login) bought c0 and c1; ``bob`` (a login) bought m0; plus a film,
    postage, an inactive and an out-of-stock product that must never be sold."""
    rng = np.random.default_rng(0)
    candles_cat = Category.objects.create(name="Candles & T-light holders")
    mugs_cat = Category.objects.create(name="Mugs & tableware")
    candles = _stocked("WHITE HANGING HEART T-LIGHT HOLDER", candles_cat, "2.95")
    mugs = _stocked("RED SPOTTY MUG", mugs_cat, "1.25")
    start = timezone.make_aware(datetime(2011, 1, 3, 10, 0))
    for items in (candles, mugs):
        for _ in range(12):
            customer = make_customer()
            picks = rng.choice(len(items), size=4, replace=False)
            for n in range(3):
                basket = [(items[j], 2, 1.25) for j in picks[n : n + 2]]
                make_order(
                    customer,
                    basket,
                    placed_at=start + timedelta(days=int(rng.integers(0, 150))),
                )
    alice = make_customer(with_user=True)
    a_order = make_order(
        alice,
        [(candles[0], 3, "2.95"), (candles[1], 1, "2.95")],
        placed_at=start + timedelta(days=160),
        status="delivered",
    )
    bob = make_customer(with_user=True)
    b_order = make_order(
        bob, [(mugs[0], 2, "1.25")], placed_at=start + timedelta(days=161)
    )
    film = make_product("1", source="movielens", description="Toy Story (1995)")
    post = make_product(
        "POST", description="POSTAGE", kind="postage", is_merchandise=False
    )
    gone = stock(make_product(description="OLD HEART TIN", is_active=False))
    sold_out = stock(
        make_product(description="EMPTY SHELF VASE", category=candles_cat), 0
    )
    from recommender.services.training import recommender_train

    recommender_train(algorithm="item_knn")
    return {
        "candles": candles,
        "mugs": mugs,
        "candles_cat": candles_cat,
        "alice": alice,
        "bob": bob,
        "a_order": a_order,
        "b_order": b_order,
        "film": film,
        "post": post,
        "gone": gone,
        "sold_out": sold_out,
    }


def sign_in(client, customer):
    # django-axes (core.signin) needs the request that signs in
    assert client.login(
        request=HttpRequest(), username=customer.user.username, password=PASSWORD
    )
    return client
