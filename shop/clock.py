"""The shop clock: the one "now" that stamps new business events.

The demo shop's history is imported (Online Retail, last order 2011-12-09) and the
suite counts "today" from the newest order (:func:`shop.selectors.data_today`:
forecasts, model windows, the dashboard's "days behind the data", re-buy cycles). A
storefront order stamped at the wall clock (years later) would move that "today" by
years. So every new order, event, experiment impression and experiment start/stop is
stamped with :func:`shop_now`, chosen by ``settings.SHOP["CLOCK"]`` (env
``SHOP_SETTINGS``):

* ``"wall"``: ``timezone.now()`` (a live shop);
* ``"data"``: the data's last day (the date, in the shop's time zone, of the newest
  order that was not placed in the storefront, ``source != "shop"``) at the current
  wall time of day, so the data's "today" never moves;
* ``"auto"`` (default): ``"data"`` when that newest imported order is more than
  ``SHOP["CLOCK_HISTORICAL_DAYS"]`` (30) days before the wall clock (historical data),
  else ``"wall"``; ``"wall"`` when there is no imported order.

Comparisons with such stamps (experiment attribution windows, readout ends) use
:func:`shop_now` too. Bookkeeping times (import reports, tickets, audit) stay on
``timezone.now()``.

The newest imported order's time is kept in Django's cache (``CACHES["default"]``)
for ``SHOP["CLOCK_CACHE_SECONDS"]`` (60 s), so serving a recommendation (whose
impression is stamped with :func:`shop_now`) does not run the MAX query each time.
Saving or deleting a non-storefront order and :func:`shop.services.imports.
orders_import` drop the cached value at once (:func:`clock_cache_clear`); with a
per-process cache (``locmemcache://``) other processes see a new import after at
most ``CLOCK_CACHE_SECONDS``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .conf import shop_setting

CLOCKS = ("auto", "data", "wall")
STOREFRONT_SOURCE = "shop"  # Order.source of orders placed through order_place
CACHE_KEY = "shop:clock:last_imported_order"


def shop_clock() -> str:
    """The clock in use, ``"data"`` or ``"wall"`` (``"auto"`` resolved; one indexed
    MAX query, cached, unless ``SHOP["CLOCK"]`` is ``"wall"``).

    Raises
    ------
    ImproperlyConfigured
        ``SHOP["CLOCK"]`` is not one of ``auto``, ``data``, ``wall``.
    """
    return _resolve(timezone.now())[0]


def shop_now() -> datetime:
    """The aware datetime at which a new business event happens (see the module
    docstring); ``timezone.now()`` on the wall clock."""
    clock, last, now = _resolve(timezone.now())
    if clock == "wall":
        return now
    local = timezone.localtime(now)
    day = timezone.localtime(last).date()
    return timezone.make_aware(
        datetime.combine(day, local.time()), timezone.get_current_timezone()
    )


def _resolve(now: datetime) -> tuple[str, datetime | None, datetime]:
    mode = shop_setting("CLOCK")
    if mode not in CLOCKS:
        raise ImproperlyConfigured(
            f"settings.SHOP['CLOCK'] must be one of {', '.join(CLOCKS)}, not {mode!r}"
        )
    if mode == "wall":
        return "wall", None, now
    last = last_imported_order_at()
    if last is None:
        return "wall", None, now
    if mode == "auto" and now - last <= timedelta(
        days=int(shop_setting("CLOCK_HISTORICAL_DAYS"))
    ):
        return "wall", None, now
    return "data", last, now


def last_imported_order_at() -> datetime | None:
    """When the newest order not placed in the storefront (``source != "shop"``) was
    placed (aware, UTC), or None without one; cached (see the module docstring)."""
    hit = cache.get(CACHE_KEY)
    if hit is not None:
        return hit["last"]
    from .models import Order

    last = Order.objects.exclude(source=STOREFRONT_SOURCE).aggregate(
        last=Max("placed_at")
    )["last"]
    cache.set(CACHE_KEY, {"last": last}, int(shop_setting("CLOCK_CACHE_SECONDS")))
    return last


def clock_cache_clear() -> None:
    """Drop the cached newest-order time, now and again when the current transaction
    commits (so a value read by another process before the commit is not kept)."""
    cache.delete(CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))


def order_saved_or_deleted(sender, instance, **kwargs) -> None:
    """``post_save`` / ``post_delete`` receiver for ``Order`` (connected in
    :class:`shop.apps.ShopConfig`): an order outside the storefront may move the
    data clock."""
    if instance.source != STOREFRONT_SOURCE:
        clock_cache_clear()
