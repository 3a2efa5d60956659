"""Initial stock: import a store's counts, or assume a level by a documented rule."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.db import transaction

from core.exceptions import InvalidInput
from shop.models import Product, StockLevel

from .. import selectors
from ..conf import inventory_setting
from ..models import InventoryPolicy

REQUIRED_COLUMNS = ("product", "on_hand")


@dataclass
class StockImportReport:
    """Rows imported and rows rejected (1-based data row, field, message)."""

    rows_total: int = 0
    imported: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.errors)


def _product_for(value: str, by_code: dict) -> Product | None:
    value = value.strip()
    if value in by_code:
        return by_code[value]
    if value.isdigit():
        return Product.objects.filter(pk=int(value)).first()
    return None


def stock_import(*, path: str | Path, by=None) -> StockImportReport:
    """Import stock counts from a CSV: ``product,on_hand[,lead_time_days]``.

    ``product`` is a stock code (or a product id); ``on_hand`` an integer >= 0;
    ``lead_time_days`` (optional) an integer >= 0 stored as the product's policy.
    Good rows are applied (``is_assumed=False``); bad rows are reported with their
    row number and field and change nothing.

    Raises
    ------
    InvalidInput
        The file is missing or lacks a required column.
    """
    from shop.services.stock import stock_set

    path = Path(path)
    if not path.exists():
        raise InvalidInput(f"stock file not found: {path}", field="path")
    report = StockImportReport()
    by_code = {p.stock_code: p for p in Product.objects.all()}
    with open(path, newline="", encoding="utf-8-sig") as fh:
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
            row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
            product = _product_for(row.get("product", ""), by_code)
            if product is None:
                report.errors.append(
                    (row_no, "product", f"unknown product {row.get('product')!r}")
                )
                continue
            on_hand = _int(row.get("on_hand", ""))
            if on_hand is None:
                report.errors.append(
                    (row_no, "on_hand", f"not an integer >= 0: {row.get('on_hand')!r}")
                )
                continue
            lead = row.get("lead_time_days", "")
            lead_days = _int(lead) if lead else None
            if lead and lead_days is None:
                report.errors.append(
                    (row_no, "lead_time_days", f"not an integer >= 0: {lead!r}")
                )
                continue
            with transaction.atomic():
                stock_set(
                    product=product,
                    on_hand=on_hand,
                    is_assumed=False,
                    reason="stock_import",
                    by=by,
                )
                if lead_days is not None:
                    InventoryPolicy.objects.update_or_create(
                        product=product,
                        defaults={
                            "scope": InventoryPolicy.Scope.PRODUCT,
                            "lead_time_days": lead_days,
                        },
                    )
            report.imported += 1
    return report


def _int(text: str) -> int | None:
    try:
        value = int(text)
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None


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
