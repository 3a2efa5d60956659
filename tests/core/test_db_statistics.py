"""Imports analyse the tables they filled (fresh planner statistics, issue 18)."""

from __future__ import annotations

import pytest
from django.db import connection

from core.db_statistics import tables_analyze
from inventory import services as inventory_services
from shop.models import OrderLine, StockLevel
from shop.services.imports import orders_import
from tests.factories import make_product
from tests.shop.conftest import write_retail
from tests.shop.test_import_orders import ROWS

pytestmark = pytest.mark.django_db


def _analysed_rows(table: str) -> float | None:
    """Rows the planner statistics give ``table`` (None: never analysed)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
            value = cursor.fetchone()[0]
            return None if value < 0 else float(value)
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if not cursor.fetchone()[0]:
            return None
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [table])
        row = cursor.fetchone()
        return None if row is None else float(row[0].split()[0])


def test_orders_import_leaves_fresh_statistics_of_the_order_lines(tmp_path):
    table = OrderLine._meta.db_table
    # PostgreSQL keeps planner statistics outside transactions, so an earlier test's
    # ANALYZE would still show: analyse the (empty) test table first, a known zero
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    assert not _analysed_rows(table)
    orders_import(path=write_retail(tmp_path / "orders.csv", ROWS))
    assert _analysed_rows(table) == OrderLine.objects.count() > 0


def test_stock_import_leaves_fresh_statistics_of_the_stock_levels(tmp_path):
    make_product(stock_code="10001")
    make_product(stock_code="10002")
    path = tmp_path / "stock.csv"
    path.write_text("product,on_hand\n10001,4\n10002,7\n", encoding="utf-8")
    assert inventory_services.stock_import(path=path).imported == 2
    assert _analysed_rows(StockLevel._meta.db_table) == StockLevel.objects.count()


def test_tables_analyze_names_each_table_once():
    assert tables_analyze(models=[OrderLine, StockLevel, OrderLine]) == [
        "shop_orderline",
        "shop_stocklevel",
    ]
