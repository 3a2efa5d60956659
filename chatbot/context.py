"""Context across turns: what "it", "the latest one" and "the other one" refer to.

``Conversation.state["focus"]`` holds the thing last talked about:

* ``{"kind": "order", "invoice": "536365", "intent": "cancel_order",
  "rejected": [...]}`` after any answer about one of the customer's orders;
* ``{"kind": "product", "products": [pk, ...], "index": 0}`` after products were shown.

References resolved (English, rule-based):

* "the latest one", "my last order", "the most recent" -> the customer's newest sale;
* "it", "that one", "this order" -> the order in focus;
* "no, the other one", "not that one" -> the next of the customer's recent orders
  (or the next product shown), and the last request is redone for it;
* "is it in stock?", "how much is it?", "show me cheaper ones" -> the products just
  shown.
"""

from __future__ import annotations

import re

from shop.models import Order, Product
from shop.selectors import orders_for_customer

LATEST = re.compile(
    r"\b(?:latest|last|most recent(?:ly)?|newest|recent(?:ly)?|previous|just "
    r"(?:placed|ordered|made|bought))\b(?!\s+(?:week|month|year|time|night|christmas))",
    re.I,
)
PRONOUN = re.compile(
    r"\b(?:it|its|it's|that one|this one|that order|this order|the order|same order"
    r"|that|this|them|they|these|those|ones?)\b",
    re.I,
)
OTHER = re.compile(
    r"\b(?:the\s+other\s+(?:one|order|item|product)|(?:another|other|different)\s+"
    r"(?:one|order)|not\s+(?:that|this)(?:\s+(?:one|order))?|wrong\s+(?:one|order)"
    r"|the\s+other\b|(?:the\s+)?(?:second|older|earlier)\s+(?:one|order))",
    re.I,
)
STOCK_Q = re.compile(
    r"\b(?:in stock|available|availability|sold out|out of stock|have (?:it|them|any)"
    r"|how many (?:do you have|are left|left)|any left)\b",
    re.I,
)
PRICE_Q = re.compile(r"\b(?:how much|price|prices|cost|costs|priced)\b", re.I)
CHEAPER_Q = re.compile(
    r"\b(?:cheaper|less expensive|lower price|cheapest|more affordable|budget|too "
    r"expensive|too pricey|under\s+£?\d+)\b",
    re.I,
)


def focus(ctx) -> dict:
    return ctx.state.get("focus") or {}


def focus_order(ctx, invoice: str, intent: str) -> None:
    """Remember that the conversation is now about order ``invoice``."""
    previous = focus(ctx)
    rejected = previous.get("rejected", []) if previous.get("kind") == "order" else []
    ctx.state["focus"] = {
        "kind": "order",
        "invoice": invoice,
        "intent": intent,
        "rejected": rejected[-5:],
    }


def focus_products(ctx, products: list[Product]) -> None:
    """Remember the products just shown (in the order shown); one product of the
    list already in focus only moves the pointer ("the other one" goes on from it)."""
    current = focus(ctx)
    listed = current.get("products", []) if current.get("kind") == "product" else []
    if len(products) == 1 and products[0].pk in listed:
        current["index"] = listed.index(products[0].pk)
        return
    if products:
        ctx.state["focus"] = {
            "kind": "product",
            "products": [p.pk for p in products],
            "index": 0,
        }


def recent_sales(customer, n: int = 5) -> list[str]:
    """Invoice numbers of ``customer``'s ``n`` newest sales, newest first."""
    qs = orders_for_customer(customer=customer).filter(kind=Order.Kind.SALE)
    return list(qs.values_list("invoice_no", flat=True)[:n])


def order_reference(ctx, text: str) -> str | None:
    """The invoice a message without an order number means, or None.

    "my last order" / "the latest one" -> the newest sale of the signed-in customer;
    "it" / "that order" -> the order in focus.
    """
    if ctx.customer is None:
        return None
    if LATEST.search(text):
        recent = recent_sales(ctx.customer, 1)
        return recent[0] if recent else None
    current = focus(ctx)
    if current.get("kind") == "order" and PRONOUN.search(text):
        return current["invoice"]
    return None


def is_other(text: str) -> bool:
    return bool(OTHER.search(text))


def other_order(ctx) -> str | None:
    """The next of the customer's recent orders after the one in focus (for "no, the
    other one"), skipping any already turned down in this conversation."""
    current = focus(ctx)
    if ctx.customer is None or current.get("kind") != "order":
        return None
    turned_down = set(current.get("rejected", [])) | {current["invoice"]}
    for invoice in recent_sales(ctx.customer, 10):
        if invoice not in turned_down:
            current.setdefault("rejected", []).append(current["invoice"])
            return invoice
    return None


def other_product(ctx) -> Product | None:
    """The next product of the list just shown (for "no, the other one")."""
    current = focus(ctx)
    if current.get("kind") != "product":
        return None
    pks = current.get("products", [])
    index = current.get("index", 0) + 1
    if index >= len(pks):
        return None
    current["index"] = index
    return Product.objects.sellable().filter(pk=pks[index]).first()


def products_in_focus(ctx) -> list[Product]:
    """The products just shown (still sellable), in the order shown; the one picked
    with "the other one" first."""
    current = focus(ctx)
    if current.get("kind") != "product":
        return []
    pks = current.get("products", [])
    index = current.get("index", 0)
    pks = pks[index:] + pks[:index]
    found = Product.objects.sellable().in_bulk(pks)
    return [found[pk] for pk in pks if pk in found]


SINGULAR = re.compile(r"\b(?:it|its|it's|this one|that one)\b", re.I)
OTHER_TOPIC = re.compile(
    r"deliver|shipping|postage|p&p|\border|refund|return|invoice|account|payment"
    r"|password|cancel",
    re.I,
)


def product_followup_kind(text: str) -> str | None:
    """``cheaper``, ``stock`` or ``price`` for a follow-up about shown products
    (None for anything else, e.g. "how much is delivery?")."""
    if OTHER_TOPIC.search(text):
        return None
    if CHEAPER_Q.search(text):
        return "cheaper"
    short = len(text.split()) <= 7
    if STOCK_Q.search(text) and (PRONOUN.search(text) or short):
        return "stock"
    if PRICE_Q.search(text) and (PRONOUN.search(text) or short):
        return "price"
    return None
