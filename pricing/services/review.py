"""Reviewing suggestions: approve, edit, reject (in bulk); apply only on approval."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from core.exceptions import Conflict, InvalidInput, NotFound
from shop.models import PriceChange
from shop.services.catalog import product_set_price

from ..conf import pricing_settings
from ..models import PriceSuggestion
from ..selectors import rule_for_product

CENT = Decimal("0.01")


def _lock(ids: list[int]) -> list[PriceSuggestion]:
    ids = sorted({int(i) for i in ids})
    rows = list(
        PriceSuggestion.objects.select_for_update()
        .select_related("product")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    missing = sorted(set(ids) - {r.pk for r in rows})
    if missing:
        raise NotFound(
            f"price suggestion(s) {missing} do not exist", field="suggestion_ids"
        )
    for r in rows:
        if r.status != PriceSuggestion.Status.PROPOSED:
            raise Conflict(
                f"suggestion {r.pk} is {r.status}; only proposed "
                "suggestions can be reviewed",
                field="suggestion_ids",
            )
    return rows


def _apply(s: PriceSuggestion, *, by, note: str) -> PriceSuggestion:
    product = s.product
    if product.list_price.quantize(CENT) != s.current_price:
        raise Conflict(
            f"the list price of product {product.pk} changed from {s.current_price} "
            f"to {product.list_price} since suggestion {s.pk} was made; generate "
            "a new one",
            field="suggestion_ids",
        )
    change = product_set_price(
        product=product,
        new_price=s.final_price,
        by=by,
        origin=PriceChange.Origin.SUGGESTION,
        suggestion_ref=f"pricing:{s.pk}",
        reason=(note or s.review_note or s.rationale)[:2000],
    )
    now = timezone.now()
    s.reviewed_by, s.reviewed_at, s.applied_at, s.price_change = by, now, now, change
    s.review_note = note[:255]
    s.status = PriceSuggestion.Status.APPLIED
    s.save()
    return s


@transaction.atomic
def suggestions_approve(*, suggestion_ids: list[int], by, note: str = ""):
    """Approve proposed suggestions and apply their prices (price history recorded).

    Raises
    ------
    NotFound
        An id does not exist.
    Conflict
        A suggestion is not proposed any more, or its product's price changed since.
    """
    rows = _lock(suggestion_ids)
    for s in rows:
        s.status = PriceSuggestion.Status.APPROVED
        _apply(s, by=by, note=note or "approved as suggested")
    return rows


def _clean_price(value, s: PriceSuggestion) -> Decimal:
    try:
        price = Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidInput(
            f"price {value!r} of suggestion {s.pk} is not a number", field="price"
        )
    if not price.is_finite() or price <= 0:
        raise InvalidInput(
            f"price of suggestion {s.pk} must be > 0 GBP, got {price}", field="price"
        )
    if s.unit_cost is not None:
        est = s.estimate
        rule = rule_for_product(product=s.product, category=est.category if est else "")
        margin = rule.get("min_margin", pricing_settings()["MIN_MARGIN"])
        if margin is not None and price < s.unit_cost / Decimal(str(1 - margin)):
            raise InvalidInput(
                f"price {price} of suggestion {s.pk} breaks the minimum margin "
                f"{margin:.0%} over the unit cost {s.unit_cost} GBP",
                field="price",
            )
    return price


@transaction.atomic
def suggestions_edit(*, prices: dict[int, object], by, note: str = ""):
    """Approve suggestions at a reviewer's own prices ({suggestion id: price GBP}).

    The edited price must be positive and keep the minimum margin over a known cost;
    the other rules are the reviewer's call and are not enforced.

    Raises
    ------
    InvalidInput, NotFound, Conflict
    """
    rows = _lock(list(prices))
    for s in rows:
        s.edited_price = _clean_price(prices[s.pk], s)
        s.status = PriceSuggestion.Status.EDITED
        _apply(s, by=by, note=note or f"approved at edited price {s.edited_price}")
    return rows


@transaction.atomic
def suggestions_reject(*, suggestion_ids: list[int], by, note: str = ""):
    """Reject proposed suggestions (no price changes)."""
    rows = _lock(suggestion_ids)
    now = timezone.now()
    for s in rows:
        s.status, s.reviewed_by, s.reviewed_at = (
            PriceSuggestion.Status.REJECTED,
            by,
            now,
        )
        s.review_note = note[:255]
        s.save(
            update_fields=[
                "status",
                "reviewed_by",
                "reviewed_at",
                "review_note",
                "updated_at",
            ]
        )
    return rows
