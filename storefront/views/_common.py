"""Small helpers shared by the storefront's views."""

from __future__ import annotations

from shop.selectors import customer_for_user


def session_key(request) -> str:
    """The session's key, creating the session if the visitor has none yet."""
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key or ""


def tracking(request) -> dict:
    """``customer`` and ``session_key`` of the visitor, for event recording."""
    customer = customer_for_user(user=request.user)
    return {
        "customer": customer,
        "session_key": "" if customer else session_key(request),
    }


CLICKS_KEY = "rec_clicks"
CLICKS_KEPT = 200
AFTER_ADD_KEY = "after_add"


def first_click(request, recommendation_id: str, product_id: int) -> bool:
    """True the first time this session follows ``recommendation_id`` to
    ``product_id`` (then remembered): a click is one event per (recommendation,
    product) per session, whatever reloads or redirects bring the same link back.
    The session keeps the last ``CLICKS_KEPT`` pairs."""
    key = f"{recommendation_id}:{product_id}"
    seen = list(request.session.get(CLICKS_KEY, []))
    if key in seen:
        return False
    request.session[CLICKS_KEY] = [*seen, key][-CLICKS_KEPT:]
    return True


def mark_added(request, product_id: int) -> None:
    """The basket's "added" redirect back to the product page is not a new view."""
    request.session[AFTER_ADD_KEY] = int(product_id)


def back_after_add(request, product_id: int) -> bool:
    """True when this request is the redirect after adding ``product_id`` (the
    mark is dropped by the next product page, whichever it is)."""
    return request.session.pop(AFTER_ADD_KEY, None) == int(product_id)
