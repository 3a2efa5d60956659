"""Stock services: row creation, movements, refusals and row locking."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from core.exceptions import Conflict, InvalidInput
from shop.models import StockLevel, StockMovement
from shop.services import stock as stock_services
from shop.services.stock import stock_adjust, stock_adjust_many, stock_set
from tests.factories import make_product


@pytest.mark.django_db
def test_adjust_creates_row_and_records_movement():
    product = make_product()
    level = stock_adjust(
        product=product, delta_on_hand=5, reason="delivery", reference="PO1"
    )
    assert (level.on_hand, level.reserved) == (5, 0)
    level = stock_adjust(product=product, delta_reserved=2, reason="order_reserved")
    assert level.available == 3
    moves = list(
        StockMovement.objects.order_by("id").values_list(
            "delta_on_hand", "delta_reserved", "reason", "reference"
        )
    )
    assert moves == [(5, 0, "delivery", "PO1"), (0, 2, "order_reserved", "")]


@pytest.mark.django_db
def test_adjust_refusals_leave_stock_unchanged():
    product = make_product()
    stock_adjust(product=product, delta_on_hand=2, reason="count")
    with pytest.raises(Conflict, match="available"):
        stock_adjust(product=product, delta_reserved=3, reason="order_reserved")
    with pytest.raises(Conflict, match="reserved would become -1"):
        stock_adjust(product=product, delta_reserved=-1, reason="release")
    with pytest.raises(InvalidInput) as err:
        stock_adjust(product=product, delta_on_hand=1, reason=" ")
    assert err.value.field == "reason"
    with pytest.raises(InvalidInput):
        stock_adjust(product=product, delta_on_hand=1.5, reason="x")
    level = StockLevel.objects.get(product=product)
    assert (level.on_hand, level.reserved) == (2, 0)
    assert StockMovement.objects.count() == 1


@pytest.mark.django_db
def test_adjust_many_is_all_or_nothing():
    a, b = make_product(), make_product()
    stock_set(product=a, on_hand=5, is_assumed=False, reason="count")
    stock_set(product=b, on_hand=1, is_assumed=False, reason="count")
    with pytest.raises(Conflict):
        stock_adjust_many(changes=[(a.pk, 0, 2), (b.pk, 0, 2)], reason="reserve")
    assert list(StockLevel.objects.order_by("product_id").values_list("reserved")) == [
        (0,),
        (0,),
    ]


@pytest.mark.django_db
def test_stock_set_assumed_and_below_reserved():
    product = make_product()
    with pytest.raises(InvalidInput, match="assumption"):
        stock_set(product=product, on_hand=10, is_assumed=True, reason="rule")
    level = stock_set(
        product=product,
        on_hand=10,
        is_assumed=True,
        assumption="30 days of median demand",
        reason="initial level",
    )
    assert level.is_assumed and level.assumption.startswith("30 days")
    stock_adjust(product=product, delta_reserved=4, reason="order_reserved")
    with pytest.raises(Conflict):
        stock_set(product=product, on_hand=3, is_assumed=False, reason="count")
    with pytest.raises(InvalidInput):
        stock_set(product=product, on_hand=-1, is_assumed=False, reason="count")


@pytest.mark.django_db
def test_rows_are_locked_for_update_in_pk_order(monkeypatch):
    products = [make_product() for _ in range(3)]
    calls = []
    real = StockLevel.objects.select_for_update

    def spy(*args, **kwargs):
        qs = real(*args, **kwargs)
        calls.append(qs)
        return qs

    monkeypatch.setattr(StockLevel.objects, "select_for_update", spy)
    levels = stock_services.stock_lock(product_ids=[p.pk for p in reversed(products)])
    assert len(calls) == 1 and calls[0].query.select_for_update
    assert list(levels) == sorted(p.pk for p in products)
    assert [lv.pk for lv in levels.values()] == sorted(lv.pk for lv in levels.values())


@pytest.mark.django_db(transaction=True)
def test_concurrent_adjustments_lose_no_update():
    """Real row locks need a database server; SQLite serialises writers itself."""
    if connection.vendor != "postgresql":
        pytest.skip("row-lock concurrency is exercised on PostgreSQL (make test)")
    product = make_product()
    stock_set(product=product, on_hand=0, is_assumed=False, reason="count")

    def worker():
        try:
            for _ in range(10):
                stock_adjust(product=product, delta_on_hand=1, reason="delivery")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert StockLevel.objects.get(product=product).on_hand == 40
