"""The shop clock: a storefront order on historical data keeps the data's "today"."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Max
from django.utils import timezone

from shop.clock import shop_clock, shop_now
from shop.models import Order
from shop.selectors import data_today
from shop.services.imports import orders_import
from shop.services.orders import order_cancel, order_place
from shop.services.stock import stock_set
from tests.factories import make_customer, make_order, make_product

pytestmark = pytest.mark.django_db
LAST = timezone.make_aware(datetime(2011, 12, 9, 12, 50))


@pytest.fixture
def history():
    """A customer, a stocked product and an imported order on 2011-12-09."""
    customer, product = make_customer(), make_product()
    stock_set(product=product, on_hand=10, is_assumed=False, reason="count")
    make_order(customer, [(product, 2, 2.5)], placed_at=LAST, source="online_retail")
    return customer, product


@pytest.mark.parametrize("clock", ["auto", "data"])
def test_order_on_historical_data_is_placed_on_the_datas_last_day(
    settings, history, clock
):
    settings.SHOP = {"CLOCK": clock}
    customer, product = history
    before = timezone.localtime()
    order = order_place(customer=customer, items=[(product, 1)])
    placed = timezone.localtime(order.placed_at)
    assert placed.date() == LAST.date()
    # the wall time of day (within the test's run time)
    assert abs(
        datetime.combine(LAST.date(), placed.time())
        - datetime.combine(LAST.date(), before.time())
    ) < timedelta(minutes=1)
    assert data_today() == LAST.date()
    assert shop_clock() == "data"
    # a cancellation invoice is dated on the same clock
    order_cancel(order=order, reason="test")
    assert data_today() == LAST.date()


def test_storefront_orders_do_not_move_the_datas_last_day(settings, history):
    settings.SHOP = {"CLOCK": "data"}
    customer, product = history
    for _ in range(2):
        order_place(customer=customer, items=[(product, 1)])
    assert shop_now().date() == timezone.localtime(LAST).date()
    assert data_today() == LAST.date()


def test_wall_clock_places_orders_now(settings, history):
    settings.SHOP = {"CLOCK": "wall"}
    customer, product = history
    before = timezone.now()
    order = order_place(customer=customer, items=[(product, 1)])
    assert before <= order.placed_at <= timezone.now()
    assert data_today() == timezone.localdate()


def test_auto_uses_the_wall_clock_on_recent_data(settings):
    settings.SHOP = {"CLOCK": "auto", "CLOCK_HISTORICAL_DAYS": 30}
    customer, product = make_customer(), make_product()
    stock_set(product=product, on_hand=10, is_assumed=False, reason="count")
    make_order(customer, [(product, 1, 2.5)], source="online_retail",
               placed_at=timezone.now() - timedelta(days=29))  # fmt: skip
    assert shop_clock() == "wall"
    order = order_place(customer=customer, items=[(product, 1)])
    assert timezone.now() - order.placed_at < timedelta(minutes=1)


def test_auto_without_imported_orders_is_the_wall_clock(settings):
    settings.SHOP = {"CLOCK": "auto"}
    make_order(
        make_customer(), [(make_product(), 1, 2.5)], placed_at=LAST
    )  # storefront
    assert shop_clock() == "wall"


def test_an_unknown_clock_is_refused(settings):
    settings.SHOP = {"CLOCK": "dataa"}
    with pytest.raises(ImproperlyConfigured, match="CLOCK"):
        shop_now()


def test_admin_add_order_form_is_dated_on_the_shop_clock(
    settings, history, admin_client
):
    settings.SHOP = {"CLOCK": "data"}
    page = admin_client.get("/admin/shop/order/add/")
    assert page.status_code == 200
    assert 'name="placed_at_0" value="09/12/2011"' in page.content.decode()


def test_a_new_imported_order_moves_the_cached_clock(
    settings, history, django_assert_num_queries
):
    settings.SHOP = {"CLOCK": "data"}
    customer, product = history
    assert shop_now().date() == LAST.date()
    with django_assert_num_queries(0):  # the newest order's time is cached
        assert shop_now().date() == LAST.date()
    later = LAST + timedelta(days=3)
    make_order(customer, [(product, 1, 2.5)], placed_at=later, source="online_retail")
    assert shop_now().date() == later.date()
    # a storefront order keeps the cached value (it cannot move the data clock)
    order_place(customer=customer, items=[(product, 1)])
    with django_assert_num_queries(0):
        assert shop_now().date() == later.date()


def test_an_import_moves_the_cached_clock(settings, online_retail_slice):
    settings.SHOP = {"CLOCK": "data"}
    early = timezone.make_aware(datetime(2010, 11, 1, 9, 0))
    make_order(make_customer(), [(make_product(), 1, 2.5)], placed_at=early,
               source="online_retail")  # fmt: skip
    assert shop_now().date() == early.date()
    report = orders_import(path=online_retail_slice)  # raw inserts: no signals
    newest = Order.objects.filter(import_report=report).aggregate(m=Max("placed_at"))
    assert shop_now().date() == timezone.localtime(newest["m"]).date() > early.date()
