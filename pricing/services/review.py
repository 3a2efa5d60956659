"""Reviewing suggestions: approve (now or from a date), edit, reject, roll back.

A list price changes only through ``shop.services.catalog.product_set_price`` (which
records the history), and only for a suggestion a person approved. Bulk approval leaves
out suggestions whose expected-profit interval crosses zero ("uncertain") unless asked,
and never approves a suggestion whose rules conflict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from core.exceptions import Conflict, InvalidInput, NotFound
from core.formatting import money
from shop.models import PriceChange
from shop.services.catalog import product_set_price

from ..conf import pricing_settings
from ..models import PriceSuggestion
from ..selectors import rule_for_product

CENT = Decimal("0.01")
Status = PriceSuggestion.Status


@dataclass
class ReviewResult:
    """What a review did: the rows changed and the ids left alone, by reason."""

    rows: list = field(default_factory=list)
    skipped: dict[str, list[int]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def summary(self) -> str:
        """'3 suggestion(s) done; 2 left out (uncertain: 2).'"""
        text = f"{len(self.rows)} suggestion(s) done"
        left = sum(len(v) for v in self.skipped.values())
        if left:
            why = ", ".join(f"{k}: {len(v)}" for k, v in sorted(self.skipped.items()))
            text += f"; {left} left out ({why})"
        return text + "."


def _lock(ids: list[int], statuses=(Status.PROPOSED,)) -> list[PriceSuggestion]:
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
        if r.status not in statuses:
            raise Conflict(
                f"suggestion {r.pk} is {r.status}; only "
                f"{' or '.join(statuses)} suggestions can be taken here",
                field="suggestion_ids",
            )
    return rows


def _named(product) -> str:
    """A product as staff know it: its stock code and description, not its id."""
    return f"{product.stock_code} {product.description}".strip()


def _apply(s: PriceSuggestion, *, by, note: str) -> PriceSuggestion:
    product = s.product
    if product.list_price.quantize(CENT) != s.current_price:
        raise Conflict(
            f"the list price of {_named(product)} changed from "
            f"{money(s.current_price)} to {money(product.list_price)} since "
            f"suggestion {s.pk} was made; generate a new one",
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
    s.reviewed_by = s.reviewed_by or by
    s.reviewed_at = s.reviewed_at or now
    s.applied_at, s.price_change = now, change
    s.effective_from = s.effective_from or now
    s.review_note = (note or s.review_note)[:255]
    s.status = Status.APPLIED
    s.save()
    return s


def _effective(effective_from: datetime | None) -> datetime | None:
    """None (now) or a future moment; a moment in the past is refused."""
    if effective_from is None:
        return None
    if timezone.is_naive(effective_from):
        raise InvalidInput(
            "effective_from must carry a time zone", field="effective_from"
        )
    now = timezone.now()
    if effective_from <= now:
        if (now - effective_from).total_seconds() < 86400:
            return None  # today: take effect now
        raise InvalidInput(
            f"effective_from {effective_from:%Y-%m-%d} is in the past; choose today "
            "or a later date",
            field="effective_from",
        )
    return effective_from


def _approve_or_schedule(s, *, by, note: str, when: datetime | None) -> None:
    if when is None:
        _apply(s, by=by, note=note)
        return
    s.reviewed_by, s.reviewed_at = by, timezone.now()
    s.effective_from, s.status = when, Status.SCHEDULED
    s.review_note = note[:255]
    s.save()


@transaction.atomic
def suggestions_approve(
    *,
    suggestion_ids: list[int],
    by,
    note: str = "",
    include_uncertain: bool = False,
    effective_from: datetime | None = None,
) -> ReviewResult:
    """Approve proposed suggestions; apply their prices now or from a date.

    Parameters
    ----------
    suggestion_ids : list of int
    by : User, the reviewer.
    include_uncertain : bool, also approve suggestions flagged ``uncertain`` (their
        expected-profit interval crosses 0); left out (and reported) by default.
    effective_from : tz-aware datetime or None, when the prices take effect; None or
        today applies them now, a later date schedules them (``suggestions_apply_due``).
        None also lets a date typed on a suggestion's own page (its
        ``effective_from``) decide for that suggestion.

    Returns
    -------
    ReviewResult: the rows applied or scheduled, the ids left out by reason
    (``uncertain``, ``rule_conflict``: rules leave no feasible price).

    Raises
    ------
    NotFound
        An id does not exist.
    Conflict
        A suggestion is not proposed any more, or its product's price changed since.
    InvalidInput
        ``effective_from`` is in the past or naive.
    """
    when = _effective(effective_from)
    out = ReviewResult()
    for s in _lock(suggestion_ids):
        if s.rule_conflict:
            out.skipped.setdefault("rule_conflict", []).append(s.pk)
            continue
        if s.uncertain and not include_uncertain:
            out.skipped.setdefault("uncertain", []).append(s.pk)
            continue
        own = _effective(s.effective_from) if effective_from is None else when
        _approve_or_schedule(s, by=by, note=note or "approved as suggested", when=own)
        out.rows.append(s)
    return out


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
def suggestions_edit(
    *,
    prices: dict[int, object],
    by,
    note: str = "",
    effective_from: datetime | None = None,
) -> ReviewResult:
    """Approve suggestions at a reviewer's own prices ({suggestion id: price GBP}).

    The edited price must be positive and keep the minimum margin over a known cost;
    the other rules are the reviewer's call and are not enforced (an edited price is
    also how a suggestion whose rules conflict gets approved).

    Raises
    ------
    InvalidInput, NotFound, Conflict
    """
    when = _effective(effective_from)
    out = ReviewResult()
    for s in _lock(list(prices)):
        s.edited_price = _clean_price(prices[s.pk], s)
        s.status = Status.EDITED
        _approve_or_schedule(
            s,
            by=by,
            note=note or f"approved at edited price {s.edited_price}",
            when=when,
        )
        out.rows.append(s)
    return out


@transaction.atomic
def suggestions_reject(*, suggestion_ids: list[int], by, note: str = ""):
    """Reject proposed suggestions (no price changes)."""
    rows = _lock(suggestion_ids)
    now = timezone.now()
    for s in rows:
        s.status, s.reviewed_by, s.reviewed_at = Status.REJECTED, by, now
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
    return ReviewResult(rows=rows)


def suggestions_apply_due(*, now: datetime | None = None) -> dict:
    """Apply the scheduled suggestions whose date has come (the daily job).

    A scheduled suggestion whose product's price changed in the meantime is not
    applied: it is marked superseded and the reason noted.

    Returns
    -------
    dict with counts ``applied`` and ``superseded``.
    """
    now = now or timezone.now()
    due = PriceSuggestion.objects.filter(
        status=Status.SCHEDULED, effective_from__lte=now
    ).values_list("pk", flat=True)
    counts = {"applied": 0, "superseded": 0}
    for pk in list(due):
        with transaction.atomic():
            (s,) = _lock([pk], statuses=(Status.SCHEDULED,))
            if s.product.list_price.quantize(CENT) != s.current_price:
                s.status = Status.SUPERSEDED
                s.review_note = (
                    f"not applied on {s.effective_from:%Y-%m-%d}: the list price "
                    f"changed to {s.product.list_price} in the meantime"
                )[:255]
                s.save(update_fields=["status", "review_note", "updated_at"])
                counts["superseded"] += 1
                continue
            _apply(s, by=s.reviewed_by, note=s.review_note)
            counts["applied"] += 1
    return counts


@transaction.atomic
def suggestions_roll_back(
    *, suggestion_ids: list[int], by, note: str = ""
) -> ReviewResult:
    """Undo approved suggestions: restore the previous price of an applied one (the
    history records the change back), or cancel a scheduled one.

    Raises
    ------
    NotFound
        An id does not exist.
    Conflict
        A suggestion is neither applied nor scheduled, or its product's price changed
        again since it was applied (a roll back would overwrite that change).
    """
    rows = _lock(suggestion_ids, statuses=(Status.APPLIED, Status.SCHEDULED))
    now = timezone.now()
    for s in rows:
        if s.status == Status.APPLIED:
            price = s.product.list_price.quantize(CENT)
            if price != s.final_price:
                raise Conflict(
                    f"the list price of {_named(s.product)} is {money(price)}, not "
                    f"the {money(s.final_price)} suggestion {s.pk} set; it changed "
                    "again since, so it is not rolled back",
                    field="suggestion_ids",
                )
            s.rollback_change = product_set_price(
                product=s.product,
                new_price=s.current_price,
                by=by,
                origin=PriceChange.Origin.MANUAL,
                suggestion_ref=f"pricing:{s.pk}",
                reason=f"roll back of price suggestion {s.pk}: {note}"[:2000],
            )
        s.status, s.rolled_back_at = Status.ROLLED_BACK, now
        s.review_note = (note or f"rolled back by {by}")[:255]
        s.save()
    return ReviewResult(rows=rows)
