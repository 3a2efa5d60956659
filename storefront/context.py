"""Template context of every storefront page: the basket badge and the category bar."""

from __future__ import annotations

from django.core.cache import cache
from django.utils.functional import SimpleLazyObject

from shop.selectors import category_list

from .basket import Basket


def _categories() -> list[dict]:
    key = "storefront:nav-categories"
    rows = cache.get(key)
    if rows is None:
        rows = [
            {"name": c.name, "slug": c.slug, "count": c.n_products}
            for c in category_list()
        ]
        cache.set(key, rows, 60)
    return rows


def shop(request) -> dict:
    """``basket_count`` and ``nav_categories``, evaluated only when a page uses them."""
    return {
        "basket_count": SimpleLazyObject(lambda: Basket(request.session).count),
        "nav_categories": SimpleLazyObject(_categories),
    }
