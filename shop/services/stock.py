"""Stock services: units on hand and reserved change only here, under row locks.

Rows are locked with ``SELECT ... FOR UPDATE`` in primary-key order (as Saleor's
warehouse management does), so two transactions touching the same products can not
deadlock. Every change leaves a :class:`~shop.models.StockMovement`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from core.exceptions import Conflict, InvalidInput

from ..models import Product, StockLevel, StockMovement


def stock_lock(*, product_ids: Iterable[int]) -> dict[int, StockLevel]:
    """Lock (creating when missing) the stock rows of ``product_ids`` in pk order.

    Must be called inside ``transaction.atomic``. Returns ``{product_id: StockLevel}``.
    """
    ids = sorted(set(product_ids))
    existing = set(
        StockLevel.objects.filter(product_id__in=ids).values_list(
            "product_id", flat=True
        )
    )
    missing = [pid for pid in ids if pid not in existing]
    if missing:
        StockLevel.objects.bulk_create(
            [StockLevel(product_id=pid) for pid in missing], ignore_conflicts=True
        )
    rows = StockLevel.objects.select_for_update().filter(product_id__in=ids)
    return {row.product_id: row for row in rows.order_by("pk")}


def _apply(
    level: StockLevel,
    *,
    delta_on_hand: int,
    delta_reserved: int,
    reason: str,
    reference: str,
    by,
) -> StockLevel:
    on_hand = level.on_hand + delta_on_hand
    reserved = level.reserved + delta_reserved
    if reserved < 0:
        raise Conflict(
            f"product {level.product_id}: reserved would become {reserved} "
            f"(now {level.reserved}, change {delta_reserved})",
            field="delta_reserved",
        )
    if delta_reserved > 0 and reserved > on_hand:
        raise Conflict(
            f"product {level.product_id}: only {level.available} units available, "
            f"{delta_reserved} requested",
            field="delta_reserved",
            available=level.available,
        )
    level.on_hand, level.reserved = on_hand, reserved
    level.save(update_fields=["on_hand", "reserved", "updated_at"])
    StockMovement.objects.create(
        product_id=level.product_id,
        delta_on_hand=delta_on_hand,
        delta_reserved=delta_reserved,
        reason=reason[:64],
        reference=reference[:64],
        changed_by=by,
    )
    return level


def _check_reason(reason: str) -> None:
    if not reason or not reason.strip():
        raise InvalidInput(
            "a reason is required for every stock change", field="reason"
        )


@transaction.atomic
def stock_adjust(
    *,
    product: Product,
    delta_on_hand: int = 0,
    delta_reserved: int = 0,
    reason: str,
    reference: str = "",
    by=None,
) -> StockLevel:
    """Add ``delta_on_hand`` / ``delta_reserved`` units to a product's stock row.

    The row is created when missing and locked with ``select_for_update``; a
    ``StockMovement`` records the change.

    Parameters
    ----------
    product : Product
    delta_on_hand, delta_reserved : int, units (may be negative).
    reason : str, why (e.g. ``order_reserved``, ``write_off``); required.
    reference : str, e.g. the invoice number.
    by : User or None.

    Raises
    ------
    InvalidInput
        Deltas are not integers or ``reason`` is empty.
    Conflict
        Reserved units would become negative, or a reservation exceeds the units
        available (on hand minus reserved).
    """
    for name, value in (
        ("delta_on_hand", delta_on_hand),
        ("delta_reserved", delta_reserved),
    ):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput(f"{name} must be an integer, got {value!r}", field=name)
    _check_reason(reason)
    level = stock_lock(product_ids=[product.pk])[product.pk]
    return _apply(
        level,
        delta_on_hand=delta_on_hand,
        delta_reserved=delta_reserved,
        reason=reason,
        reference=reference,
        by=by,
    )


@transaction.atomic
def stock_adjust_many(
    *,
    changes: Iterable[tuple[int, int, int]],
    reason: str,
    reference: str = "",
    by=None,
) -> dict[int, StockLevel]:
    """Apply ``(product_id, delta_on_hand, delta_reserved)`` changes atomically.

    All rows are locked first, in pk order; any failure rolls every change back.

    Raises
    ------
    InvalidInput, Conflict
        As :func:`stock_adjust`, for the first product that fails.
    """
    _check_reason(reason)
    changes = list(changes)
    levels = stock_lock(product_ids=[c[0] for c in changes])
    for product_id, d_on_hand, d_reserved in sorted(changes):
        _apply(
            levels[product_id],
            delta_on_hand=int(d_on_hand),
            delta_reserved=int(d_reserved),
            reason=reason,
            reference=reference,
            by=by,
        )
    return levels


@transaction.atomic
def stock_set(
    *,
    product: Product,
    on_hand: int,
    is_assumed: bool,
    assumption: str = "",
    reason: str,
    by=None,
) -> StockLevel:
    """Set a product's units on hand (a count or an assumed level).

    Parameters
    ----------
    on_hand : int, units, >= 0.
    is_assumed : bool, True when the level comes from a rule, not a stock count;
        ``assumption`` then says which rule.

    Raises
    ------
    InvalidInput
        ``on_hand`` is not a non-negative integer, ``reason`` is empty, or an
        assumed level has no ``assumption`` text.
    Conflict
        ``on_hand`` would fall below the units already reserved.
    """
    if isinstance(on_hand, bool) or not isinstance(on_hand, int) or on_hand < 0:
        raise InvalidInput(
            f"on_hand must be an integer >= 0, got {on_hand!r}", field="on_hand"
        )
    _check_reason(reason)
    if is_assumed and not assumption.strip():
        raise InvalidInput(
            "an assumed stock level needs an assumption text", field="assumption"
        )
    level = stock_lock(product_ids=[product.pk])[product.pk]
    if on_hand < level.reserved:
        raise Conflict(
            f"product {product.pk}: on_hand {on_hand} is below the {level.reserved} "
            "units reserved",
            field="on_hand",
        )
    delta = on_hand - level.on_hand
    level.on_hand = on_hand
    level.is_assumed = is_assumed
    level.assumption = assumption[:255] if is_assumed else ""
    level.save(update_fields=["on_hand", "is_assumed", "assumption", "updated_at"])
    StockMovement.objects.create(
        product=product, delta_on_hand=delta, reason=reason[:64], changed_by=by
    )
    return level
