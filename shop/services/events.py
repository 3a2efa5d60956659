"""Recording behaviour events (views, add-to-cart, purchases, searches)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.db.models import Min
from django.utils import timezone

from core.exceptions import InvalidInput

from ..clock import shop_now
from ..conf import shop_setting
from ..models import Customer, Event, Order, Product

# A client clock may run a little fast; events further in the future are refused.
MAX_CLOCK_SKEW = timedelta(minutes=5)
PRODUCT_KINDS = {
    Event.Kind.VIEW,
    Event.Kind.CLICK,
    Event.Kind.ADD_TO_CART,
    Event.Kind.PURCHASE,
}
_HEX32 = re.compile(r"[0-9a-f]{32}")


def _recommendation_id(value: str) -> str:
    """The 32-hex id of a recommendation response (dashes of a uuid dropped)."""
    text = str(value or "").strip().lower().replace("-", "")
    if text and not _HEX32.fullmatch(text):
        raise InvalidInput(
            "recommendation_id must be the 32-hex id of a recommendation response",
            field="recommendation_id",
        )
    return text


def _order(invoice_no: str, customer: Customer | None) -> Order | None:
    """The purchase's order: the customer's own (a guest order when anonymous)."""
    if not invoice_no:
        return None
    order = Order.objects.filter(
        invoice_no=str(invoice_no).strip(), customer=customer
    ).first()
    if order is None:
        raise InvalidInput(f"order {invoice_no} is not one of yours", field="order")
    return order


def _occurred_at(value: datetime | None) -> datetime:
    """``value`` checked against the shop's time line (``shop_now()`` when None).

    Accepted: from ``EVENTS_MAX_DAYS_BEFORE_HISTORY`` days before the shop's first
    order (before now when there is no order) to ``MAX_CLOCK_SKEW`` after now.
    """
    now = timezone.now()
    if value is None:
        return shop_now()
    if timezone.is_naive(value):
        raise InvalidInput(
            "occurred_at needs a time zone (e.g. 2011-06-01T10:00:00Z)",
            field="occurred_at",
        )
    if value > now + MAX_CLOCK_SKEW:
        raise InvalidInput("occurred_at is in the future", field="occurred_at")
    first = Order.objects.aggregate(first=Min("placed_at"))["first"] or now
    earliest = first - timedelta(
        days=int(shop_setting("EVENTS_MAX_DAYS_BEFORE_HISTORY"))
    )
    if value < earliest:
        raise InvalidInput(
            f"occurred_at {value.isoformat()} is far before the shop's history "
            f"(earliest accepted: {earliest.date().isoformat()})",
            field="occurred_at",
        )
    return value


def event_record(
    *,
    kind: str,
    customer: Customer | None = None,
    session_key: str = "",
    product_id: int | None = None,
    query: str = "",
    occurred_at: datetime | None = None,
    metadata: dict | None = None,
    recommendation_id: str = "",
    order: str = "",
) -> Event:
    """Store one behaviour event of a customer or an anonymous session.

    Parameters
    ----------
    kind : ``view``, ``click`` (on a recommended product), ``add_to_cart``,
        ``purchase`` (need ``product_id``) or ``search`` (needs ``query``;
        ``product_id`` optional, e.g. the clicked hit).
    customer : the signed-in customer, or None with a ``session_key``.
    occurred_at : tz-aware datetime; defaults to now; at most 5 minutes ahead and
        at most ``SHOP["EVENTS_MAX_DAYS_BEFORE_HISTORY"]`` days before the shop's
        first order.
    recommendation_id : str, the ``recommendation_id`` of the recommendation
        response the product came from (32 hex digits); an unknown or expired id
        is stored as it is (unattributed), never an error.
    order : str, on a purchase: the invoice number of the order placed (the
        customer's own; a guest order when anonymous).

    Raises
    ------
    InvalidInput
        Unknown kind, missing or unknown product, missing query, neither customer
        nor session key, a naive, future or far too old timestamp, a malformed
        recommendation_id, an order that is not the customer's; the error names
        the field.
    """
    if kind not in Event.Kind.values:
        raise InvalidInput(
            f"kind must be one of {', '.join(Event.Kind.values)}; got {kind!r}",
            field="kind",
        )
    session_key = (session_key or "").strip()
    if customer is None and not session_key:
        raise InvalidInput(
            "anonymous events need a session_key (or sign in)", field="session_key"
        )
    if len(session_key) > 64:
        raise InvalidInput(
            "session_key is longer than 64 characters", field="session_key"
        )
    if kind in PRODUCT_KINDS and product_id is None:
        raise InvalidInput(
            f"a {kind} event needs product_id (or product), a product id",
            field="product",
        )
    product = None
    if product_id is not None:
        product = Product.objects.filter(pk=product_id).first()
        if product is None:
            raise InvalidInput(f"product {product_id} does not exist", field="product")
    query = (query or "").strip()
    if kind == Event.Kind.SEARCH and not query:
        raise InvalidInput("a search event needs a query", field="query")
    occurred_at = _occurred_at(occurred_at)
    recommendation_id = _recommendation_id(recommendation_id)
    placed = _order(order, customer)
    return Event.objects.create(
        kind=kind,
        recommendation_id=recommendation_id,
        order=placed,
        customer=customer,
        session_key="" if customer is not None else session_key,
        product=product,
        query=query[:255],
        occurred_at=occurred_at,
        metadata=metadata or {},
    )
