"""Vendor price lists: who sells which product, at what unit cost and on which terms."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction

from core.exceptions import InvalidInput

from ..models import Vendor, VendorProduct
from .stock import MAX_LEAD_TIME_DAYS, _product_for, _RowError, shop_products_by_code

REQUIRED_COLUMNS = ("vendor", "product", "unit_cost")
OPTIONAL_COLUMNS = ("min_order_qty", "pack_size", "lead_time_days", "preferred")
MAX_UNITS = 10**6  # an MOQ or pack larger than this is a typo
MAX_UNIT_COST = Decimal("100000")  # GBP


@dataclass
class VendorPriceReport:
    """Rows applied and rows rejected (1-based data row, field, message)."""

    rows_total: int = 0
    imported: int = 0
    vendors_created: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    product_ids: list[int] = field(default_factory=list)  # products whose terms changed

    @property
    def rejected(self) -> int:
        return len(self.errors)


def vendor_prices_import(*, path: str | Path) -> VendorPriceReport:
    """Import a vendor price list: ``vendor,product,unit_cost[,min_order_qty,
    pack_size,lead_time_days,preferred]``.

    ``vendor`` is a name (created when new); ``product`` a stock code or
    ``id:<product id>`` (as in :func:`~inventory.services.stock.stock_import`);
    ``unit_cost`` GBP per unit, 0..100,000 with up to 4 decimals; ``min_order_qty``
    and ``pack_size`` whole units (default 1; pack >= 1); ``lead_time_days``
    0..365 calendar days (empty: the vendor's, else the policy's, flagged on the
    suggestions); ``preferred`` yes/no (default no). A (vendor, product) pair seen
    again updates its row. Each bad row is reported with its 1-based number, field
    and reason; the good rows are applied in one transaction.

    Raises
    ------
    InvalidInput
        The file is missing, is not UTF-8 CSV, or lacks a required column.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"price list not found: {path}", field="path")
    report = VendorPriceReport()
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = _check_rows(csv.DictReader(fh), path.name, report)
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{path.name} is not UTF-8 text (byte {exc.start}): save it as UTF-8 CSV",
            field="path",
        ) from None
    except csv.Error as exc:
        raise InvalidInput(f"{path.name} is not readable CSV: {exc}", field="path")
    with transaction.atomic():
        for values in rows:
            vendor, created = Vendor.objects.get_or_create(name=values.pop("vendor"))
            report.vendors_created += created
            product = values.pop("product")
            VendorProduct.objects.update_or_create(
                vendor=vendor, product=product, defaults=values
            )
            report.product_ids.append(product.pk)
            report.imported += 1
    return report


def _check_rows(reader: csv.DictReader, name: str, report: VendorPriceReport):
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InvalidInput(
            f"{name} lacks column(s) {', '.join(missing)}; expected "
            f"{','.join(REQUIRED_COLUMNS)}[,{','.join(OPTIONAL_COLUMNS)}]",
            field="columns",
        )
    by_code = shop_products_by_code()
    rows = []
    for row_no, raw in enumerate(reader, start=1):
        report.rows_total += 1
        try:
            rows.append(_check_row(raw, by_code))
        except _RowError as exc:
            report.errors.append((row_no, exc.field, exc.message))
    return rows


def _check_row(raw: dict, by_code: dict) -> dict:
    if None in raw:
        raise _RowError("columns", f"{len(raw[None])} field(s) more than the header's")
    row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
    vendor = row.get("vendor", "")
    if not vendor or len(vendor) > 120:
        raise _RowError("vendor", "a vendor name of 1..120 characters is required")
    product = _product_for(row.get("product", ""), by_code)
    lead = row.get("lead_time_days", "")
    return {
        "vendor": vendor,
        "product": product,
        "unit_cost": _cost(row.get("unit_cost", "")),
        "min_order_qty": _whole(row.get("min_order_qty", ""), "min_order_qty", 0),
        "pack_size": _whole(row.get("pack_size", ""), "pack_size", 1),
        "lead_time_days": _whole(lead, "lead_time_days", 0, MAX_LEAD_TIME_DAYS)
        if lead
        else None,
        "is_preferred": _yes(row.get("preferred", "")),
    }


def _cost(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _RowError("unit_cost", f"not a number: {text!r}") from None
    if not value.is_finite() or not 0 <= value <= MAX_UNIT_COST:
        raise _RowError("unit_cost", f"{text} is outside 0..{MAX_UNIT_COST} GBP")
    if value != value.quantize(Decimal("0.0001")):
        raise _RowError("unit_cost", f"{text}: at most 4 decimals")
    return value


def _whole(text: str, name: str, lower: int, upper: int = MAX_UNITS) -> int:
    if not text:
        return max(lower, 1)
    try:
        value = int(text)
    except ValueError:
        raise _RowError(name, f"not a whole number: {text!r}") from None
    if not lower <= value <= upper:
        raise _RowError(name, f"{value} is outside {lower}..{upper}")
    return value


def _yes(text: str) -> bool:
    value = text.lower()
    if value in ("", "0", "no", "n", "false"):
        return False
    if value in ("1", "yes", "y", "true"):
        return True
    raise _RowError("preferred", f"expected yes or no, got {text!r}")
