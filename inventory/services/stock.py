"""Initial stock: import a store's counts, or assume a level by a documented rule."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.db import transaction

from core.db_statistics import tables_analyze
from core.exceptions import DomainError, InvalidInput
from shop.models import Product, StockLevel, StockMovement

from .. import selectors
from ..conf import inventory_setting
from ..models import InventoryPolicy

REQUIRED_COLUMNS = ("product", "on_hand")
MAX_ON_HAND = 10**9  # units; a larger count is a typo, not a stock level
MAX_LEAD_TIME_DAYS = 365
_MAX_PRODUCT_ID = 2**63 - 1  # database integer primary keys
_ENCODING = "utf-8-sig"


@dataclass
class StockImportReport:
    """Rows imported and rows rejected (1-based data row, field, message)."""

    rows_total: int = 0
    imported: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.errors)


@dataclass
class _StockRow:
    row_no: int
    product: Product
    on_hand: int
    lead_days: int | None


class _RowError(Exception):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


ID_PREFIX = "id:"


def _product_for(value: str, by_code: dict) -> Product:
    """The shop product a ``product`` field names: a stock code, or ``id:<pk>``.

    A value is looked up as a stock code of the shop's own products (never a demo
    data set's, e.g. MovieLens films); a product id must be written with the
    explicit ``id:`` prefix. A bare number that is no stock code is rejected as
    ambiguous rather than taken as an id (issue 16, defect 4).

    Raises
    ------
    _RowError
        Empty, unknown, ambiguous, or not one of the shop's merchandise products.
    """
    value = value.strip()
    if not value:
        raise _RowError("product", "empty; expected a stock code or id:<product id>")
    if value in by_code:
        return by_code[value]
    if value.upper() in by_code:
        return by_code[value.upper()]
    if value.lower().startswith(ID_PREFIX):
        return _product_by_id(value[len(ID_PREFIX) :].strip(), value)
    if value.isascii() and value.isdigit():
        raise _RowError(
            "product",
            f"unknown stock code {value!r}; a bare number is ambiguous and is not "
            f"read as a product id (write {ID_PREFIX}{value} for the product with "
            "that id)",
        )
    raise _RowError("product", f"unknown stock code {value!r}")


def _product_by_id(digits: str, value: str) -> Product:
    if not (digits.isascii() and digits.isdigit()) or int(digits) > _MAX_PRODUCT_ID:
        raise _RowError("product", f"{value!r}: expected {ID_PREFIX}<product id>")
    product = Product.objects.filter(pk=int(digits)).first()
    if product is None:
        raise _RowError("product", f"unknown product id {digits}")
    if not _is_stocked(product):
        raise _RowError(
            "product",
            f"product id {digits} ({product.source} {product.stock_code!r}) is not "
            "one of the shop's merchandise products",
        )
    return product


def shop_products_by_code() -> dict[str, Product]:
    """The shop's merchandise by stock code (demo data sets such as films left out)."""
    return {
        p.stock_code: p for p in Product.objects.of_shop().filter(is_merchandise=True)
    }


def _is_stocked(product: Product) -> bool:
    from shop.conf import shop_setting

    return product.is_merchandise and product.source not in set(
        shop_setting("DEMO_SOURCES")
    )


def stock_import(*, path: str | Path, by=None) -> StockImportReport:
    """Import stock counts from a CSV: ``product,on_hand[,lead_time_days]``.

    ``product`` is a stock code of the shop's merchandise, or ``id:<product id>``
    (a bare number that is no stock code is rejected as ambiguous); ``on_hand`` an
    integer in 0..``MAX_ON_HAND`` (10**9 units); ``lead_time_days`` (optional) an
    integer in 0..``MAX_LEAD_TIME_DAYS`` (365) stored as the product's policy.
    The whole file (UTF-8) is read and checked first; a row is rejected, with its
    1-based data row number, field and reason, when a field is out of range, the
    product is unknown or ambiguous, the product already appeared in an earlier row
    (the first row wins), it has too many fields, or its count falls below the
    units reserved. The good rows are then
    applied (``is_assumed=False``) in one transaction: all of them or none, and the
    stock tables analysed (:func:`core.db_statistics.tables_analyze`).

    Raises
    ------
    InvalidInput
        The file is missing, is not UTF-8 text, is not readable as CSV, or lacks a
        required column.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"stock file not found: {path}", field="path")
    report = StockImportReport()
    try:
        rows = _read_rows(path, report)
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{path.name} is not UTF-8 text (byte {exc.start}: {exc.reason}); "
            "save it as UTF-8 CSV",
            field="path",
        ) from None
    except csv.Error as exc:
        raise InvalidInput(
            f"{path.name} is not a readable CSV file: {exc}", field="path"
        ) from None
    with transaction.atomic():  # all good rows or none
        for row in rows:
            try:
                with transaction.atomic():  # savepoint: a refused row changes nothing
                    _apply(row, by)
            except DomainError as exc:
                report.errors.append((row.row_no, exc.field or "row", exc.message))
                continue
            report.imported += 1
    report.errors.sort(key=lambda e: e[0])
    if report.imported:  # planner statistics of the counts (core.db_statistics)
        tables_analyze(models=(StockLevel, StockMovement, InventoryPolicy))
    return report


def _read_rows(path: Path, report: StockImportReport) -> list[_StockRow]:
    """Parse and check every row; bad rows go to ``report.errors``."""
    by_code = shop_products_by_code()
    first_row: dict[int, int] = {}  # product pk -> data row that set it
    rows = []
    with open(path, newline="", encoding=_ENCODING) as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise InvalidInput(
                f"{path.name} lacks column(s) {', '.join(missing)}; "
                "expected product,on_hand[,lead_time_days]",
                field="columns",
            )
        for row_no, raw in enumerate(reader, start=1):
            report.rows_total += 1
            try:
                row = _check_row(row_no, raw, by_code, first_row)
            except _RowError as exc:
                report.errors.append((row_no, exc.field, exc.message))
                continue
            first_row[row.product.pk] = row_no
            rows.append(row)
    return rows


def _check_row(row_no: int, raw: dict, by_code: dict, first_row: dict) -> _StockRow:
    if None in raw:  # DictReader puts surplus fields under the key None
        raise _RowError("columns", f"{len(raw[None])} field(s) more than the header's")
    row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
    product = _product_for(row.get("product", ""), by_code)
    if product.pk in first_row:
        raise _RowError(
            "product",
            f"duplicate: product {product.stock_code} already set by row "
            f"{first_row[product.pk]}",
        )
    on_hand = _bounded_int(row.get("on_hand", ""), "on_hand", MAX_ON_HAND)
    lead = row.get("lead_time_days", "")
    lead_days = (
        _bounded_int(lead, "lead_time_days", MAX_LEAD_TIME_DAYS) if lead else None
    )
    return _StockRow(row_no, product, on_hand, lead_days)


def _bounded_int(text: str, name: str, upper: int) -> int:
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise _RowError(name, f"not an integer: {text!r}") from None
    if not 0 <= value <= upper:
        raise _RowError(name, f"{value} is outside 0..{upper}")
    return value


def _apply(row: _StockRow, by) -> None:
    from shop.services.stock import stock_set

    stock_set(
        product=row.product,
        on_hand=row.on_hand,
        is_assumed=False,
        reason="stock_import",
        by=by,
    )
    if row.lead_days is not None:
        InventoryPolicy.objects.update_or_create(
            product=row.product,
            defaults={
                "scope": InventoryPolicy.Scope.PRODUCT,
                "lead_time_days": row.lead_days,
            },
        )


def stock_assume_initial(*, days: int | None = None, window_days: int | None = None):
    """Give every merchandise product with demand and no stock row an assumed level.

    Rule: ``on_hand = ceil(days * mean daily net demand over the last window_days
    calendar days of history)`` (defaults 30 and 90, ``INVENTORY`` settings); each
    level is saved with ``is_assumed=True`` and the rule in ``assumption``. Products
    that already have a stock row (imported or assumed earlier) are left alone, so a
    second run changes nothing. Returns the number of levels set.
    """
    from shop.services.stock import stock_set

    days = int(days or inventory_setting("ASSUMED_STOCK_DAYS"))
    window = int(window_days or inventory_setting("ASSUMED_STOCK_WINDOW_DAYS"))
    if days < 0 or window < 1:
        raise InvalidInput("days must be >= 0 and window_days >= 1", field="days")
    bounds = selectors.history_bounds()
    if bounds is None:
        return 0
    have = set(StockLevel.objects.values_list("product_id", flat=True))
    ids = [pid for pid in selectors.merchandise_product_ids() if pid not in have]
    if not ids:
        return 0
    start = max(bounds[0], bounds[1] - timedelta(days=window - 1))
    demand = selectors.demand_daily(product_ids=ids, start=start, end=bounds[1])
    n_days = (bounds[1] - start).days + 1
    products = Product.objects.in_bulk(ids)
    with transaction.atomic():  # one commit, not one per product
        _assume(ids, products, demand, n_days, days, start, bounds[1], stock_set)
    return len(ids)


def _assume(ids, products, demand, n_days, days, start, end, stock_set) -> None:
    for pid in ids:
        mean = float(demand[pid].sum()) / n_days
        stock_set(
            product=products[pid],
            on_hand=int(math.ceil(days * mean)),
            is_assumed=True,
            assumption=(
                f"assumed: {days} days of mean daily demand ({mean:.2f} units/day "
                f"over {start:%Y-%m-%d}..{end:%Y-%m-%d}); no stock count imported"
            ),
            reason="assumed_initial_stock",
        )
