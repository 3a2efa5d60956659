"""Catalogue services: the one place list prices change."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from core.exceptions import InvalidInput

from ..models import PriceChange, Product

PRICE_QUANTUM = Decimal("0.001")


def _clean_price(value) -> Decimal:
    try:
        price = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidInput(
            f"new_price {value!r} is not a number", field="new_price"
        ) from None
    if not price.is_finite() or price < 0:
        raise InvalidInput(
            f"new_price must be a finite amount >= 0 GBP, got {value}",
            field="new_price",
        )
    return price.quantize(PRICE_QUANTUM)


@transaction.atomic
def product_set_price(
    *,
    product: Product,
    new_price: Decimal,
    by=None,
    origin: str,
    suggestion_ref: str = "",
    reason: str = "",
    changed_at: datetime | None = None,
) -> PriceChange:
    """Change a product's list price and record the change.

    Parameters
    ----------
    product : Product
    new_price : Decimal, in the product's currency (GBP in the real data); quantized
        to 0.001 (the precision of ``Product.list_price``).
    by : User or None, who made the change (None for imports and automatic runs).
    origin : str, one of ``PriceChange.Origin``: ``import``, ``manual``, ``suggestion``.
    suggestion_ref : str, id of the applied price suggestion (origin ``suggestion``).
    reason : str, free text saved with the change.
    changed_at : datetime or None, tz-aware; defaults to now.

    Returns
    -------
    PriceChange
        The recorded change (old price, new price, who, when, why). A change to the
        same price is recorded too: it is an explicit decision.

    Raises
    ------
    InvalidInput
        ``new_price`` is not a finite amount >= 0, or ``origin`` is unknown.
    """
    if origin not in PriceChange.Origin.values:
        raise InvalidInput(
            f"origin must be one of {', '.join(PriceChange.Origin.values)}; "
            f"got {origin!r}",
            field="origin",
        )
    if origin == PriceChange.Origin.SUGGESTION and not suggestion_ref:
        raise InvalidInput(
            "suggestion_ref is required when origin is 'suggestion'",
            field="suggestion_ref",
        )
    price = _clean_price(new_price)
    locked = Product.objects.select_for_update().get(pk=product.pk)
    old = locked.list_price
    locked.list_price = price
    locked.save(update_fields=["list_price", "updated_at"])
    product.list_price = price
    return PriceChange.objects.create(
        product=locked,
        old_price=old,
        new_price=price,
        currency=locked.currency,
        changed_at=changed_at or timezone.now(),
        changed_by=by,
        origin=origin,
        suggestion_ref=suggestion_ref,
        reason=reason,
    )
