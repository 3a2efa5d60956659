"""Pricing fixtures: a small shop whose sales follow known demand curves."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.utils import timezone

from pricing.algorithms.simulation import Scenario, simulate_catalogue
from shop.models import Customer, Order, OrderLine, Product


def load_lines(lines: pd.DataFrame, descriptions: dict[int, str]) -> dict[int, Product]:
    """Write simulated lines as shop orders: one order per day and channel."""
    products = {
        sid: Product.objects.create(
            stock_code=f"SIM{sid:+d}", description=descriptions.get(sid, f"SIM {sid}")
        )
        for sid in sorted(lines["product_id"].unique())
    }
    customer = Customer.objects.create(external_id="sim-1", country="United Kingdom")
    lines = lines.assign(day=lines["placed_at"].dt.normalize())
    orders, keys = [], []
    for n, ((day, guest), _) in enumerate(lines.groupby(["day", "is_guest"])):
        orders.append(
            Order(
                invoice_no=f"S{n:06d}",
                customer=None if guest else customer,
                placed_at=timezone.make_aware(day.to_pydatetime().replace(hour=10)),
                country="United Kingdom",
            )
        )
        keys.append((day, guest))
    Order.objects.bulk_create(orders)
    by_key = dict(zip(keys, Order.objects.order_by("invoice_no"), strict=True))
    rows = [
        OrderLine(
            order=by_key[(r.day, r.is_guest)],
            product=products[r.product_id],
            line_no=i,
            quantity=int(r.quantity),
            unit_price=Decimal(str(round(r.unit_price, 2))),
        )
        for i, r in enumerate(lines.itertuples(index=False))
    ]
    OrderLine.objects.bulk_create(rows, batch_size=5000)
    # List price = the highest identified unit price of the last week (tiers only
    # lower it).
    ident = lines[~lines["is_guest"]]
    final = ident[ident["placed_at"] >= ident["placed_at"].max() - pd.Timedelta("6D")]
    for sid, price in final.groupby("product_id")["unit_price"].max().items():
        Product.objects.filter(pk=products[sid].pk).update(
            list_price=Decimal(str(round(price, 2)))
        )
    for p in products.values():
        p.refresh_from_db()
    return products


@pytest.fixture
def priced_shop(db):
    """Products 1-2 with price changes (elasticity -2.0, -1.2), 3 without, fillers.

    Returns dict simulated id -> Product (fillers have negative ids).
    """
    scen = [
        Scenario(
            elasticity=-2.0,
            noise=0.1,
            n_price_changes=3,
            price_step=0.2,
            weekly_units=60,
            guest_share=0.2,
        ),
        Scenario(
            elasticity=-1.2,
            noise=0.1,
            n_price_changes=3,
            price_step=0.2,
            weekly_units=60,
            guest_share=0.2,
        ),
        Scenario(n_price_changes=0, weekly_units=40, guest_share=0.2),
    ]
    lines, _ = simulate_catalogue(
        scen, seed=4, market_products=4, market_weekly_units=300
    )
    assert np.isfinite(lines["unit_price"]).all()
    return load_lines(
        lines, {1: "RED RETROSPOT MUG", 2: "PINK PAPER BAG", 3: "CREAM CANDLE"}
    )


@pytest.fixture(autouse=True)
def _secret_key(monkeypatch):
    """Requests through the test client sign cookies; the suite may run without a
    SECRET_KEY in the environment (no .env). Patch the wrapped settings object so
    that restoring the empty value does not go through ``setting_changed``."""
    from django.conf import settings as lazy

    monkeypatch.setattr(
        lazy._wrapped, "SECRET_KEY", lazy._wrapped.SECRET_KEY or "pricing-tests-only"
    )
    lazy.__dict__.pop("SECRET_KEY", None)
    yield
    lazy.__dict__.pop("SECRET_KEY", None)
