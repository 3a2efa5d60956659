"""The customer surfaces: "for you", "discover" and "buy again".

* ``for_you`` (default): the "all" model (``RECOMMENDER["surfaces"]["for_you"]``),
  re-buys allowed once due (:func:`rebuys_not_due`, ``rebuy_due_fraction``); a
  re-buy's reason says the customer's own cycle ("you buy this about every 5 weeks;
  last bought 2 Nov").
* ``discover``: the "new" model, never-bought products only.
* ``buy_again`` (its own endpoint): the products the customer bought on at least
  ``buy_again_min_orders`` days, ordered by when they are due (last purchase + the
  median gap, :func:`recommender.algorithms.rebuy.repeat_cycles`), overdue first;
  then (strategy ``bought_before``) products bought once, the most recent first.

Both model surfaces go through :func:`recommender.services.serving.
recommend_for_customer` (its fallback chain and business filters); buy again through
the same :class:`~recommender.services.collector.Collector`.
"""

from __future__ import annotations

import pandas as pd
from django.conf import settings
from django.utils import timezone

from core.exceptions import InvalidInput
from shop.models import Customer

from .. import selectors
from ..algorithms.rebuy import RepeatCycle, repeat_cycles
from ..conf import rec_settings
from .collector import Collector, RecommendationResult, check_k

BUY_AGAIN = "buy_again"


def surface_check(surface: str | None) -> str:
    """The surface asked for (default ``RECOMMENDER["default_surface"]``).

    Raises
    ------
    InvalidInput
        Unknown surface (field ``surface``), naming the known ones.
    """
    conf = rec_settings()
    if surface in (None, ""):
        return conf["default_surface"]
    if surface not in conf["surfaces"]:
        known = ", ".join(sorted(conf["surfaces"]))
        raise InvalidInput(
            f"unknown surface {surface!r}; choose one of {known}", field="surface"
        )
    return surface


def customer_cycles(customer: Customer) -> dict[int, RepeatCycle]:
    """{product pk: RepeatCycle} of the customer's purchases (shop local days)."""
    rows = selectors.purchases_dated_of(customer=customer)
    if not rows:
        return {}
    frame = pd.DataFrame(rows, columns=["product_id", "placed_at"])
    local = pd.to_datetime(frame["placed_at"], utc=True).dt.tz_convert(
        settings.TIME_ZONE
    )
    return repeat_cycles(frame["product_id"], local.dt.tz_localize(None))


def _day(when: pd.Timestamp, today: pd.Timestamp) -> str:
    text = f"{when.day} {when:%b}"
    return text if when.year == today.year else f"{text} {when.year}"


def _every(days: float) -> str:
    if days < 1.5:
        return "about every day"
    if days < 13:
        return f"about every {round(days)} days"
    if days < 60:
        return f"about every {round(days / 7)} weeks"
    return f"about every {round(days / 30.44)} months"


def rebuy_reason(cycle: RepeatCycle, today: pd.Timestamp) -> str:
    """A customer's words for a re-buy, e.g. "you buy this about every 5 weeks;
    last bought 2 Nov" (or "you bought this on 2 Nov" when bought once)."""
    if cycle.interval_days is None:
        return f"you bought this on {_day(cycle.last, today)}"
    return (
        f"you buy this {_every(cycle.interval_days)}; "
        f"last bought {_day(cycle.last, today)}"
    )


def _today() -> pd.Timestamp:
    return pd.Timestamp(timezone.localtime()).tz_localize(None).normalize()


def rebuys_not_due(customer: Customer) -> set[int]:
    """Products the customer bought too recently to show again on "for you".

    Not due: fewer than ``rebuy_due_fraction`` x the customer's cycle days since the
    last purchase day, or fewer than ``rebuy_once_min_days`` for a product bought
    on one day only; days counted on the shop clock (:func:`shop.clock.shop_now`),
    the clock orders are stamped with.
    """
    from shop.clock import shop_now

    conf = rec_settings()
    fraction = float(conf["rebuy_due_fraction"])
    once = float(conf["rebuy_once_min_days"])
    today = pd.Timestamp(timezone.localtime(shop_now())).tz_localize(None).normalize()
    out = set()
    for pk, cycle in customer_cycles(customer).items():
        days = (today - cycle.last.normalize()).days
        wait = once if cycle.interval_days is None else fraction * cycle.interval_days
        if days < wait:
            out.add(int(pk))
    return out


def with_rebuy_reasons(result: RecommendationResult, customer: Customer):
    """Replace the reason of every product the customer bought before by their
    cycle (the "for you" surface)."""
    cycles = customer_cycles(customer)
    today = _today()
    for item in result.items:
        cycle = cycles.get(item["product_id"])
        if cycle is not None:
            item["reason"] = rebuy_reason(cycle, today)
    return result


def recommend_buy_again(*, customer: Customer, k: int = 10) -> RecommendationResult:
    """Products the customer re-buys, the most due first.

    Raises
    ------
    InvalidInput
        ``k`` out of range (field ``k``).
    """
    k = check_k(k)
    minimum = int(rec_settings()["buy_again_min_orders"])
    today = _today()
    every = list(customer_cycles(customer).values())
    cycles = [c for c in every if c.orders >= minimum and c.due is not None]
    cycles.sort(key=lambda c: (c.due, -c.orders, c.item))
    collector = Collector(k)
    collector.add(
        BUY_AGAIN,
        [(c.item, -float((c.due - today).days), _due_reason(c, today)) for c in cycles],
    )
    # then what they bought once, the most recent first (strategy "bought_before")
    once = sorted(
        (c for c in every if c.orders < minimum or c.due is None),
        key=lambda c: (-c.last.value, c.item),
    )
    collector.add(
        "bought_before", [(c.item, 0.0, rebuy_reason(c, today)) for c in once]
    )
    if cycles:
        explanation = f"{len(cycles)} products you buy again, the most due first"
    elif collector.items:
        explanation = "no product bought on two different days yet: your purchases"
    else:
        explanation = "no purchase yet"
    return collector.result(None, explanation)


def _due_reason(cycle: RepeatCycle, today: pd.Timestamp) -> str:
    days = (cycle.due - today).days
    when = (
        f"due {_day(cycle.due, today)}"
        if days >= 0
        else f"due since {_day(cycle.due, today)}"
    )
    return f"{rebuy_reason(cycle, today)}; {when}"
