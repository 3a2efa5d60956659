"""Recording behaviour events (views, add-to-cart, purchases, searches)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from core.exceptions import InvalidInput

from ..models import Customer, Event, Product

# A client clock may run a little fast; events further in the future are refused.
MAX_CLOCK_SKEW = timedelta(minutes=5)
PRODUCT_KINDS = {Event.Kind.VIEW, Event.Kind.ADD_TO_CART, Event.Kind.PURCHASE}


def event_record(
    *,
    kind: str,
    customer: Customer | None = None,
    session_key: str = "",
    product_id: int | None = None,
    query: str = "",
    occurred_at: datetime | None = None,
    metadata: dict | None = None,
) -> Event:
    """Store one behaviour event of a customer or an anonymous session.

    Parameters
    ----------
    kind : ``view``, ``add_to_cart``, ``purchase`` (need ``product_id``) or
        ``search`` (needs ``query``; ``product_id`` optional, e.g. the clicked hit).
    customer : the signed-in customer, or None with a ``session_key``.
    occurred_at : tz-aware datetime; defaults to now; at most 5 minutes ahead.

    Raises
    ------
    InvalidInput
        Unknown kind, missing or unknown product, missing query, neither customer
        nor session key, a naive or future timestamp; the error names the field.
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
    now = timezone.now()
    if occurred_at is None:
        occurred_at = now
    elif timezone.is_naive(occurred_at):
        raise InvalidInput(
            "occurred_at needs a time zone (e.g. 2011-06-01T10:00:00Z)",
            field="occurred_at",
        )
    elif occurred_at > now + MAX_CLOCK_SKEW:
        raise InvalidInput("occurred_at is in the future", field="occurred_at")
    return Event.objects.create(
        kind=kind,
        customer=customer,
        session_key="" if customer is not None else session_key,
        product=product,
        query=query[:255],
        occurred_at=occurred_at,
        metadata=metadata or {},
    )
