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
