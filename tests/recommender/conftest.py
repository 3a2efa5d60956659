"""Fixtures of the recommender tests that use the database (serving, API)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest
from django.utils import timezone

from tests.factories import make_customer, make_order, make_product


@pytest.fixture(autouse=True)
def _fresh_serving_caches(settings, monkeypatch):
    """Each test sees fresh in-process caches and no filter caching."""
    from django.conf import settings as dj_settings

    # Sessions/messages need a key and test runs may not export one; set it on the
    # settings holder (override_settings would read the empty original back).
    monkeypatch.setattr(dj_settings._wrapped, "SECRET_KEY", "rec-tests-" + "k" * 40)
    from recommender.bundle import bundle_cache_clear
    from recommender.services.serving import serving_cache_clear

    settings.RECOMMENDER = {
        "filter_cache_seconds": 0,
        "fallback_cache_seconds": 0,
        "active_cache_seconds": 0,
        "pinned_cache_seconds": 0,
    }
    # Fast hashing for the logins the fixtures create (PBKDF2 dominates otherwise).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    bundle_cache_clear()
    serving_cache_clear()
    yield
    bundle_cache_clear()
    serving_cache_clear()


@pytest.fixture
def rec_world(db):
    """A small shop with two taste clusters and a purchase history over 6 months.

    Cluster "red" products r0..r5 are bought together by UK customers, cluster
    "blue" b0..b5 by French customers; each customer buys 3-4 of their cluster's
    products over several invoices. Also: one postage line product (non-merch),
    and customers ``alice`` (red, with a login), ``bob`` (red, with a login) and
    ``newbie`` (no purchase, with a login).
    """
    rng = np.random.default_rng(0)
    red = [make_product(description=f"RED HEART THING {i}") for i in range(6)]
    blue = [make_product(description=f"BLUE STAR THING {i}") for i in range(6)]
    post = make_product(
        "POST", description="POSTAGE", is_merchandise=False, kind="postage"
    )
    start = timezone.make_aware(datetime(2011, 1, 3, 10, 0))
    customers = {"red": [], "blue": []}
    for cluster, items, country in (
        ("red", red, "United Kingdom"),
        ("blue", blue, "France"),
    ):
        for _ in range(14):
            customer = make_customer(country=country)
            customers[cluster].append(customer)
            picks = rng.choice(len(items), size=4, replace=False)
            for n in range(3):
                day = int(rng.integers(0, 180))
                basket = [(items[j], 2, 1.25) for j in picks[n : n + 2]]
                make_order(
                    customer,
                    basket + [(post, 1, 5.0)],
                    placed_at=start + timedelta(days=day),
                )
    alice = make_customer(with_user=True, country="United Kingdom")
    make_order(
        alice,
        [(red[0], 1, 1.25), (red[1], 1, 1.25)],
        placed_at=start + timedelta(days=20),
    )
    bob = make_customer(with_user=True, country="United Kingdom")
    make_order(bob, [(red[2], 1, 1.25)], placed_at=start + timedelta(days=30))
    newbie = make_customer(with_user=True, country="France")
    return {
        "red": red,
        "blue": blue,
        "post": post,
        "alice": alice,
        "bob": bob,
        "newbie": newbie,
        "customers": customers,
    }


@pytest.fixture
def trained(rec_world):
    from recommender.services.training import recommender_train

    artifact = recommender_train(algorithm="item_knn")
    return {**rec_world, "artifact": artifact}
