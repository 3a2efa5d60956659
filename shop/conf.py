"""Defaults of the shop app, overridable by ``settings.SHOP`` (a dict), read lazily."""

from __future__ import annotations

from typing import Any

from core.appsettings import AppSettings

DEFAULTS: dict[str, Any] = {
    # Lines per transaction when importing (an invoice is never split over batches).
    "IMPORT_BATCH_LINES": 20_000,
    # (Naive times in imported files are read in the shop's time zone,
    # settings.TIME_ZONE, env TIME_ZONE; there is no separate import time zone.)
    # Events dated more than this many days before the shop's first order are
    # refused (occurred_at far outside the shop's history, e.g. the year 0172).
    "EVENTS_MAX_DAYS_BEFORE_HISTORY": 365,
    # Status given to imported historical orders (they were fulfilled long ago).
    "IMPORTED_SALE_STATUS": "delivered",
    # List price = median unit price of customer-identified sale lines in the last
    # N days of the product's sales (see shop.datasets.online_retail.typical_prices).
    "LIST_PRICE_WINDOW_DAYS": 90,
    # Sources of demo rating data sets (explicit-rating models learn from them); their
    # products are never listed, searched, recommended or stocked as the shop's own.
    "DEMO_SOURCES": ["movielens"],
    # Categories from descriptions (shop.services.categories): the sentence encoder
    # (dotted path to a function texts -> (n, d) unit-norm array), then the
    # neighbour vote and clustering of what no keyword rule places.
    "CATEGORY_ENCODER": "chatbot.nlu.encoder.encode",
    "CATEGORY_NEIGHBOURS": 10,
    "CATEGORY_MIN_SIMILARITY": 0.6,
    "CATEGORY_MIN_SHARE": 0.5,
    "CATEGORY_CLUSTER_DISTANCE": 0.55,
    "CATEGORY_MIN_CLUSTER_SIZE": 8,
    "CATEGORY_FALLBACK": "More gifts",
    # The shop clock that stamps new orders, events and experiment impressions
    # (shop.clock.shop_now): "wall" (timezone.now()), "data" (the newest imported
    # order's day at the current time of day, so historical data's "today" stays
    # put) or "auto": "data" when that order is more than CLOCK_HISTORICAL_DAYS
    # days before the wall clock, else "wall".
    "CLOCK": "auto",
    "CLOCK_HISTORICAL_DAYS": 30,
    # Seconds the newest imported order's time is cached for the clock (cleared at
    # once when such an order is saved or imported in this process or cache).
    "CLOCK_CACHE_SECONDS": 60,
}

# Unknown keys in settings.SHOP are refused at start-up (core.appsettings).
APP_SETTINGS = AppSettings("SHOP", DEFAULTS, env_name="SHOP_SETTINGS")


def shop_setting(name: str) -> Any:
    """The value of ``name`` from ``settings.SHOP``, else the default."""
    return APP_SETTINGS.get(name)
