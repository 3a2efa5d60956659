"""Fixtures of the inventory tests: a small made-up order history."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from shop.models import Order
from tests.factories import make_customer, make_order, make_product


@pytest.fixture(autouse=True)
def _secret_key(monkeypatch):
    # sessions/messages need a key and test runs may not export SECRET_KEY
    from django.conf import settings as dj_settings

    monkeypatch.setattr(dj_settings._wrapped, "SECRET_KEY", "inv-tests-" + "k" * 40)


@pytest.fixture
def history(db):
    """Three products over 2011-06-01..2011-09-30 (no Saturdays):

    * ``steady``: 10 units every trading day;
    * ``sometimes``: 6 units every 3rd trading day;
    * ``never``: merchandise without sales (only a cancelled order of 0 net);
    plus a postage line (not merchandise) and a write-off (kind adjustment).
    """
    customer = make_customer()
    steady = make_product("10001", description="STEADY MUG")
    sometimes = make_product("10002", description="SOMETIMES VASE")
    never = make_product("10003", description="NEVER LAMP")
    postage = make_product("POST", is_merchandise=False, kind="postage")
    day, i = datetime(2011, 6, 1, 10, 0), 0
    while day <= datetime(2011, 9, 30, 10, 0):
        if day.weekday() != 5:
            items = [(steady, 10, "1.25"), (postage, 1, "18.00")]
            if i % 3 == 0:
                items.append((sometimes, 6, "4.95"))
            make_order(customer, items, placed_at=timezone.make_aware(day))
            i += 1
        day += timedelta(days=1)
    # a cancellation nets 4 units of steady on the last day
    make_order(
        customer,
        [(steady, -4, "1.25")],
        invoice_no="C999001",
        kind=Order.Kind.CANCELLATION,
        placed_at=timezone.make_aware(datetime(2011, 9, 30, 12, 0)),
    )
    # a stock write-off is not demand
    make_order(
        None,
        [(steady, -50, "0")],
        invoice_no="999002",
        kind=Order.Kind.ADJUSTMENT,
        placed_at=timezone.make_aware(datetime(2011, 9, 29, 12, 0)),
    )
    make_order(
        customer,
        [(never, 2, "3.00")],
        invoice_no="999003",
        placed_at=timezone.make_aware(datetime(2011, 7, 1, 12, 0)),
    )
    make_order(
        customer,
        [(never, -2, "3.00")],
        invoice_no="C999003",
        kind=Order.Kind.CANCELLATION,
        placed_at=timezone.make_aware(datetime(2011, 7, 1, 13, 0)),
    )
    return {"steady": steady, "sometimes": sometimes, "never": never, "post": postage}
