"""The support policy as rules: returns, cancellation, address change, delivery.

Every rule reads the one :class:`~chatbot.models.SupportPolicy` row (edited by the
support lead in the admin) and an order; it returns a :class:`Verdict` saying whether
the customer may do it and, in words, why. The bot quotes these words, so what it says
and what it does can never disagree.

The order status state machine (``shop.services.orders.TRANSITIONS``) is the outer
limit: a policy can forbid a move the state machine allows, never allow one it forbids.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from core.formatting import money
from shop.models import Order, OrderStatusChange
from shop.services.orders import order_can_transition

from ..models import SupportPolicy

S = Order.Status


@dataclass(frozen=True)
class Verdict:
    """Whether a request is allowed, and the customer-facing reason."""

    allowed: bool
    reason: str
    deadline: datetime | None = None


def policy_get() -> SupportPolicy:
    """The shop's support policy (created with the defaults on first use)."""
    return SupportPolicy.get_solo()


def contact_text(policy: SupportPolicy) -> str:
    """Who can help, and how to reach them."""
    return (
        f"our customer service team: {policy.support_email} or {policy.support_phone} "
        f"({policy.support_hours}, UK time)"
    )


# --- returns -------------------------------------------------------------------------
def order_delivered_at(order: Order, policy: SupportPolicy) -> datetime | None:
    """When ``order`` was delivered, or None when it has not been yet.

    The recorded move to ``delivered`` if there is one; an order that is delivered
    (or past it) without that record (imported history) counts as delivered
    ``assumed_delivery_days`` after it was placed.
    """
    if order.status in (S.PLACED, S.PAID, S.SHIPPED, S.CANCELLED):
        return None
    change = (
        OrderStatusChange.objects.filter(order=order, to_status=S.DELIVERED)
        .order_by("changed_at")
        .first()
    )
    if change is not None:
        return change.changed_at
    return order.placed_at + timedelta(days=policy.assumed_delivery_days)


def return_verdict(
    order: Order, policy: SupportPolicy, *, now: datetime | None = None
) -> Verdict:
    """May ``order`` be returned now? (window counted from delivery, in days)."""
    now = now or timezone.now()
    invoice = order.invoice_no
    if order.status == S.SHIPPED:
        return Verdict(
            True,
            f"Order {invoice} is on its way; you can return it "
            f"within {policy.return_window_days} days of delivery.",
        )
    if not order_can_transition(order=order, to_status=S.RETURN_REQUESTED):
        if order.status in (S.PLACED, S.PAID):
            reason = (
                f"Order {invoice} hasn't shipped yet, so there is nothing to "
                "return; you can cancel it instead."
            )
        elif order.status == S.CANCELLED:
            reason = f"Order {invoice} was cancelled, so there is nothing to return."
        else:
            reason = f"Order {invoice} already has a return ({order.status})."
        return Verdict(False, reason)
    delivered = order_delivered_at(order, policy)
    deadline = delivered + timedelta(days=policy.return_window_days)
    if now > deadline:
        return Verdict(
            False,
            f"Order {invoice} was delivered on {timezone.localtime(delivered):%d %b %Y}"
            f" and returns are accepted within {policy.return_window_days} days of "
            f"delivery (until {timezone.localtime(deadline):%d %b %Y}), so it can no "
            "longer be returned.",
            deadline,
        )
    return Verdict(
        True,
        f"Order {invoice} can be returned until "
        f"{timezone.localtime(deadline):%d %b %Y} ({policy.return_window_days} days "
        "after delivery).",
        deadline,
    )


# --- cancellation and address --------------------------------------------------------
def _before_shipping(order: Order, *, after_payment: bool) -> bool:
    return order.status == S.PLACED or (order.status == S.PAID and after_payment)


def cancel_verdict(order: Order, policy: SupportPolicy) -> Verdict:
    """May ``order`` be cancelled in its current status?"""
    invoice = order.invoice_no
    if order_can_transition(order=order, to_status=S.CANCELLED) and _before_shipping(
        order, after_payment=policy.cancel_after_payment
    ):
        fee = (
            f" A cancellation fee of {money(policy.cancellation_fee)} applies."
            if policy.cancellation_fee > 0
            else " Cancelling is free."
        )
        return Verdict(True, f"Order {invoice} hasn't shipped yet.{fee}")
    if order.status == S.PAID:
        reason = (
            f"Order {invoice} is paid and being prepared, and paid orders "
            "can't be cancelled any more; you can return it once it arrives."
        )
    elif order.status == S.CANCELLED:
        reason = f"Order {invoice} is already cancelled."
    elif order.status in (S.SHIPPED, S.DELIVERED):
        reason = (
            f"Order {invoice} has already {order.status}, so it can no longer "
            "be cancelled; you can return it instead."
        )
    else:
        reason = f"Order {invoice} is {order.status.replace('_', ' ')}; it can't be "
        reason += "cancelled."
    return Verdict(False, reason)


def address_change_verdict(order: Order, policy: SupportPolicy) -> Verdict:
    """May the delivery address of ``order`` change in its current status?"""
    invoice = order.invoice_no
    if _before_shipping(order, after_payment=policy.address_change_after_payment):
        return Verdict(True, f"Order {invoice} hasn't shipped yet.")
    if order.status == S.PAID:
        return Verdict(
            False,
            f"Order {invoice} is paid and being packed; its address "
            "can no longer change.",
        )
    return Verdict(
        False,
        f"Order {invoice} is {order.status.replace('_', ' ')}; the delivery address "
        "can only change before it ships.",
    )


# --- delivery ------------------------------------------------------------------------
_NEXT_DAY = re.compile(
    r"next[\s-]*day|tomorrow|express|overnight|24\s*h|faster|quick(?:er|ly)?|urgent"
    r"|asap|same[\s-]*day|fast",
    re.I,
)
_ABROAD = re.compile(
    r"international|abroad|overseas|outside (?:the )?uk|worldwide|ship to (?!the uk)"
    r"|deliver to (?!the uk)|europe|\beu\b|usa|america|france|germany|spain|ireland"
    r"|italy|netherlands|australia|canada|country|countries",
    re.I,
)
_COST = re.compile(r"cost|price|how much|fee|charge|free|pay for|£|gbp", re.I)
_TIME = re.compile(
    r"how long|how many (?:working )?days|\bwhen\b|\bdays\b|times?\b|arriv|\btakes?\b",
    re.I,
)


def delivery_topics(text: str) -> list[str]:
    """What a delivery question asks about: ``next_day``, ``international``,
    ``cost``, ``time`` (any of them; none means a general question)."""
    checks = (
        ("next_day", _NEXT_DAY),
        ("international", _ABROAD),
        ("cost", _COST),
        ("time", _TIME),
    )
    return [name for name, pattern in checks if pattern.search(text)]


def _standard(policy: SupportPolicy, *, cost: bool, time: bool) -> str:
    parts = []
    if cost or not time:
        free = (
            f", free on orders over {money(policy.free_delivery_over)}"
            if policy.free_delivery_over is not None
            else ""
        )
        parts.append(f"UK standard delivery costs {money(policy.standard_price)}{free}")
    if time or not cost:
        parts.append(
            f"UK standard delivery takes {policy.standard_days_min}-"
            f"{policy.standard_days_max} working days"
        )
    return "; ".join(parts) + "."


def _next_day(policy: SupportPolicy) -> str:
    if not policy.next_day_available:
        return (
            "Sorry, we don't offer next-day delivery at the moment; UK standard "
            f"delivery takes {policy.standard_days_min}-{policy.standard_days_max} "
            "working days."
        )
    return (
        f"Yes: UK next-day courier costs {money(policy.next_day_price)}; order before "
        f"{policy.next_day_cutoff:%H:%M} (UK time) on a working day and it arrives the "
        "next working day."
    )


def _international(policy: SupportPolicy) -> str:
    if not policy.international_available:
        return "Sorry, we only deliver within the UK at the moment."
    return (
        "Yes, we deliver outside the UK by tracked courier, from "
        f"{money(policy.international_price_from)}, in "
        f"{policy.international_days_min}-{policy.international_days_max} working "
        "days; import VAT and duty may be charged by the destination country."
    )


def delivery_answer(text: str, policy: SupportPolicy, *, intent: str = "") -> str:
    """Answer a delivery question with the options it asks about.

    ``intent`` ``delivery_period`` makes a general question about time, otherwise
    about the options and their cost.
    """
    topics = set(delivery_topics(text))
    if not topics & {"cost", "time"}:
        topics.add("time" if intent == "delivery_period" else "cost")
    parts = []
    if "next_day" in topics:
        parts.append(_next_day(policy))
    if "international" in topics:
        parts.append(_international(policy))
    if not parts:
        parts.append(_standard(policy, cost="cost" in topics, time="time" in topics))
        if intent != "delivery_period":
            parts.append(
                f"Next-day courier {money(policy.next_day_price)}."
                if policy.next_day_available
                else ""
            )
            parts.append(
                "International tracked courier from "
                f"{money(policy.international_price_from)}."
                if policy.international_available
                else "We deliver within the UK only."
            )
    return " ".join(p for p in parts if p)


def refund_policy_text(policy: SupportPolicy) -> str:
    return (
        f"Unused items can be returned within {policy.return_window_days} days of "
        "delivery for a full refund to the original payment method; we refund within "
        "3 working days of receiving the return. To start one, tell me the order "
        "number (signed in)."
    )


def cancellation_fee_text(policy: SupportPolicy) -> str:
    fee = (
        f"a fee of {money(policy.cancellation_fee)}"
        if policy.cancellation_fee > 0
        else "free of charge"
    )
    when = "placed or paid" if policy.cancel_after_payment else "placed but not paid"
    return (
        f"Cancelling is {fee} while an order is {when} and not yet shipped. Say "
        "'cancel my order' with the order number and I'll do it for you."
    )


# --- FAQ answers that quote the policy --------------------------------------------
def _days(low: int, high: int) -> str:
    return f"{low}" if low == high else f"{low}-{high}"


def _standard_delivery(p: SupportPolicy) -> str:
    free = (
        f", free on orders over {money(p.free_delivery_over)}"
        if p.free_delivery_over is not None
        else ""
    )
    return (
        f"UK standard delivery ({_days(p.standard_days_min, p.standard_days_max)} "
        f"working days) costs {money(p.standard_price)}{free}."
    )


def _next_day_delivery(p: SupportPolicy) -> str:
    if not p.next_day_available:
        return "We don't offer next-day delivery at the moment."
    return (
        f"UK next-day courier costs {money(p.next_day_price)} if you order before "
        f"{p.next_day_cutoff:%H:%M} (UK time) on a working day."
    )


def _international_delivery(p: SupportPolicy) -> str:
    if not p.international_available:
        return "We deliver within the UK only at the moment."
    days = _days(p.international_days_min, p.international_days_max)
    return (
        "We ship to the EU and the rest of the world by tracked courier from "
        f"{money(p.international_price_from)} ({days} working days)."
    )


def _cancellation_terms(p: SupportPolicy) -> str:
    fee = (
        f"for a fee of {money(p.cancellation_fee)}"
        if p.cancellation_fee > 0
        else "free of charge"
    )
    until = "until it has shipped" if p.cancel_after_payment else "until it is paid"
    return f"You can cancel an order {fee} {until}."


# Placeholders an FAQ answer may hold, e.g. "within {return_window_days} days"; each
# is filled from the support policy when the answer is given (help text of
# FAQEntry.answer). Sentences say what applies when an option is switched off.
FAQ_PLACEHOLDERS: dict[str, Callable[[SupportPolicy], str]] = {
    "return_window_days": lambda p: str(p.return_window_days),
    "standard_price": lambda p: money(p.standard_price),
    "standard_days": lambda p: _days(p.standard_days_min, p.standard_days_max),
    "next_day_price": lambda p: money(p.next_day_price),
    "next_day_cutoff": lambda p: f"{p.next_day_cutoff:%H:%M}",
    "international_price_from": lambda p: money(p.international_price_from),
    "international_days": lambda p: _days(
        p.international_days_min, p.international_days_max
    ),
    "cancellation_fee": lambda p: money(p.cancellation_fee),
    "support_email": lambda p: p.support_email,
    "support_phone": lambda p: p.support_phone,
    "support_hours": lambda p: p.support_hours,
    "standard_delivery": _standard_delivery,
    "next_day_delivery": _next_day_delivery,
    "international_delivery": _international_delivery,
    "cancellation_terms": _cancellation_terms,
}
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def faq_placeholders_unknown(text: str) -> list[str]:
    """The ``{names}`` in ``text`` that :data:`FAQ_PLACEHOLDERS` does not know."""
    return sorted(set(_PLACEHOLDER.findall(text)) - set(FAQ_PLACEHOLDERS))


def faq_text_fill(text: str, policy: SupportPolicy) -> str:
    """``text`` with each known ``{placeholder}`` replaced by the policy's value
    ("within {return_window_days} days" -> "within 30 days"); anything else in
    braces is left as written."""

    def value(match: re.Match) -> str:
        fill = FAQ_PLACEHOLDERS.get(match.group(1))
        return fill(policy) if fill else match.group(0)

    return _PLACEHOLDER.sub(value, text)
