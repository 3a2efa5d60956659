"""A small shop for the storefront tests: two categories, stock, purchase history, a
trained recommender, and customers with logins."""

from __future__ import annotations

import pytest

from tests.storefront.world import build_shop_world


@pytest.fixture(autouse=True)
def _storefront_settings(settings, monkeypatch):
    """A secret key for sessions, fresh recommender caches, fast password hashing."""
    from django.conf import settings as dj_settings
    from django.core.cache import cache

    from recommender.bundle import bundle_cache_clear
    from recommender.services.serving import serving_cache_clear

    monkeypatch.setattr(dj_settings._wrapped, "SECRET_KEY", "shop-tests-" + "k" * 40)
    settings.RECOMMENDER = {
        "filter_cache_seconds": 0,
        "fallback_cache_seconds": 0,
        "active_cache_seconds": 0,
        "pinned_cache_seconds": 0,
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    bundle_cache_clear()
    serving_cache_clear()
    yield
    cache.clear()
    bundle_cache_clear()
    serving_cache_clear()


@pytest.fixture
def shop_world(db):
    return build_shop_world()
