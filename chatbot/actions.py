"""What the bot does for an intent: order actions, FAQ, products, recommendations,
handoff. Every order read or write goes through the shop's selectors and services and
only ever for the signed-in customer's own orders.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from core.exceptions import DomainError
from core.formatting import money
from shop.models import Order, Product
from shop.selectors import order_get_for_customer, orders_for_customer
from shop.services import orders as order_services

from . import context
from .conf import chatbot_settings
from .nlu.slots import match_products
from .services import knowledge
from .services import policy as rules
from .services import products as products_service

logger = logging.getLogger(__name__)

ORDER_INTENTS = {
    "track_order",
    "cancel_order",
    "change_shipping_address",
    "return_item",
    "get_refund",
    "track_refund",
    "check_invoice",
    "get_invoice",
}
INVOICE_INTENTS = {"check_invoice", "get_invoice"}
S = Order.Status
STATUS_TEXT = {
    # as the checkout says: payment is taken when the order ships
    S.PLACED: "has been placed and is being prepared; payment is taken when it "
    "ships, and you can cancel it until then",
    S.PAID: "is paid and being prepared for dispatch",
    S.SHIPPED: "has been shipped and is on its way",
    S.DELIVERED: "has been delivered",
    S.CANCELLED: "was cancelled",
    S.RETURN_REQUESTED: "has a return requested; we will e-mail a label",
    S.RETURNED: "has been returned to us; the refund follows within 3 working days",
    S.REFUNDED: "has been refunded",
}


@dataclass
class Turn:
    """The bot's reply to one message."""

    text: str
    intent: str = ""
    confidence: float | None = None
    model_version: str | None = None
    quick_replies: list[str] = field(default_factory=list)
    action: str = ""
    slots: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    handoff: bool = False


@dataclass
class Context:
    """Who is asking, in which conversation (``state`` is saved after the turn)."""

    conversation: object
    user: object | None
    customer: object | None

    @property
    def state(self) -> dict:
        return self.conversation.state


def not_found_text(invoice: str) -> str:
    # The same words for a missing order and for another customer's order.
    return (
        f"I can't find an order {invoice} in your account. Please check the number "
        "(6 digits, e.g. 536365)."
    )


def customer_order(ctx: Context, invoice: str) -> Order | None:
    if ctx.customer is None:
        return None
    return order_get_for_customer(customer=ctx.customer, invoice_no=invoice)


def recent_invoices(ctx: Context, n: int = 3) -> list[str]:
    if ctx.customer is None:
        return []
    qs = orders_for_customer(customer=ctx.customer).filter(kind=Order.Kind.SALE)
    return list(qs.values_list("invoice_no", flat=True)[:n])


# --- order intents -------------------------------------------------------------------
def _products(n: int) -> str:
    """``1 product``, ``3 products``: the order's lines (distinct products)."""
    return f"{n} product" if n == 1 else f"{n} products"


def order_status(ctx: Context, order: Order) -> Turn:
    lines = order.lines.all()
    total = sum((line.unit_price * line.quantity for line in lines), 0)
    text = (
        f"Order {order.invoice_no} (placed {order.placed_at:%d %b %Y}, "
        f"{_products(len(lines))}, {money(total)}) "
        f"{STATUS_TEXT.get(order.status, order.status)}."
    )
    return Turn(text, action="order_status", data={"status": order.status})


def refund_status(ctx: Context, order: Order) -> Turn:
    if order.status == S.REFUNDED:
        text = f"Order {order.invoice_no} has been refunded to your original payment."
    elif order.status in (S.RETURN_REQUESTED, S.RETURNED):
        text = f"Order {order.invoice_no} {STATUS_TEXT[order.status]}."
    elif order.status == S.CANCELLED:
        text = (
            f"Order {order.invoice_no} was cancelled; any payment taken is returned "
            "to your card within 5-10 working days."
        )
    else:
        text = f"There is no refund open on order {order.invoice_no}."
    return Turn(text, action="refund_status", data={"status": order.status})


def invoice(ctx: Context, order: Order) -> Turn:
    """Where the VAT invoice of the customer's ``order`` is (its account page)."""
    from django.urls import reverse

    total = order_services.order_total(order=order)
    url = reverse("storefront:order", args=[order.invoice_no])
    return Turn(
        f"The VAT invoice of order {order.invoice_no} (placed "
        f"{order.placed_at:%d %b %Y}, {money(total)}) is on the order's page in "
        f"'My account': {url}. You can print it or save it as a PDF from there.",
        action="invoice",
        data={"invoice_no": order.invoice_no, "url": url},
    )


def propose(ctx: Context, intent: str, order: Order) -> Turn:
    """Check the support policy allows the change, then ask for a yes/no.

    Cancellation and address change are checked against the order's status, returns
    against its delivery date and the return window
    (:mod:`chatbot.services.policy`); nothing changes before the customer's "yes".
    """
    policy = rules.policy_get()
    invoice = order.invoice_no
    if intent == "cancel_order":
        verdict = rules.cancel_verdict(order, policy)
        if not verdict.allowed:
            return Turn(
                verdict.reason,
                action="cancel_refused",
                quick_replies=["Return an item", "Talk to a person"],
            )
        return _confirm(
            ctx, "cancel", invoice, f"{verdict.reason} Cancel order {invoice}? yes/no"
        )
    if intent == "change_shipping_address":
        verdict = rules.address_change_verdict(order, policy)
        if not verdict.allowed:
            return Turn(verdict.reason, action="address_refused")
        ctx.state["awaiting"] = {"slot": "address", "invoice": invoice}
        return Turn(
            f"What is the new delivery address for order {invoice}?",
            action="ask_address",
        )
    # return_item / get_refund
    verdict = rules.return_verdict(order, policy)
    if not verdict.allowed:
        return Turn(
            verdict.reason + " If an item is faulty, a person can help.",
            action="return_refused",
            quick_replies=["Talk to a person"],
        )
    return _confirm(
        ctx,
        "return",
        invoice,
        f"{verdict.reason} Request a return (and refund) for order {invoice}? yes/no",
    )


def _confirm(ctx: Context, action: str, invoice: str, question: str, **extra) -> Turn:
    ctx.state["pending"] = {"action": action, "invoice": invoice, **extra}
    return Turn(question, action=f"confirm_{action}", quick_replies=["Yes", "No"])


def confirm_address(ctx: Context, invoice: str, address: str) -> Turn:
    return _confirm(
        ctx,
        "address",
        invoice,
        f"Change the delivery address of order {invoice} to: {address}? yes/no",
        address=address,
    )


def execute(ctx: Context, pending: dict) -> Turn:
    """Carry out a confirmed change through the shop's services."""
    invoice = pending["invoice"]
    order = customer_order(ctx, invoice)
    if order is None:
        return Turn(not_found_text(invoice), action="order_not_found")
    by = ctx.user if getattr(ctx.user, "is_authenticated", False) else None
    try:
        if pending["action"] == "cancel":
            order_services.order_cancel(order=order, by=by, reason="requested in chat")
            text = (
                f"Done: order {invoice} is cancelled. Any payment is returned to "
                "your card within 5-10 working days."
            )
        elif pending["action"] == "address":
            order_services.order_change_address(
                order=order, address=pending["address"], by=by
            )
            text = f"Done: order {invoice} will be delivered to {pending['address']}."
        else:
            order_services.order_request_return(
                order=order, by=by, reason="requested in chat"
            )
            text = (
                f"Done: a return is requested for order {invoice}. We'll e-mail you a "
                "returns label; the refund follows within 3 working days of receipt."
            )
    except DomainError as exc:
        return Turn(
            f"Sorry, I couldn't do that: {exc.message}",
            action=f"{pending['action']}_failed",
        )
    return Turn(text, action=f"{pending['action']}_done")


# --- products ------------------------------------------------------------------------
def mentioned_product(text: str) -> Product | None:
    pks, names = knowledge.catalogue_names()
    hits = match_products(
        text, names, cutoff=chatbot_settings()["product_match_cutoff"]
    )
    if not hits:
        return None
    return Product.objects.sellable().filter(pk=pks[hits[0][0]]).first()


def _product_rows(products, stock: dict | None = None) -> list[dict]:
    stock = stock if stock is not None else products_service.stock_of(products)
    return [
        {
            "product_id": p.pk,
            "stock_code": p.stock_code,
            "name": p.name,
            "description": p.description,
            "price": f"{p.list_price:.2f}",
            "currency": p.currency,
            "available": stock.get(p.pk),
        }
        for p in products
    ]


def _stock_words(available: int | None) -> str:
    if available is None:
        return "stock level not known"
    return "in stock" if available > 0 else "out of stock"


def _listing(products, stock: dict | None = None) -> str:
    stock = stock if stock is not None else products_service.stock_of(products)
    return "\n".join(
        f"- {p.name}: {money(p.list_price, p.currency)} each, "
        f"{_stock_words(stock.get(p.pk))}"
        for p in products
    )


def _products_turn(ctx: Context, intro: str, products, action: str, **data) -> Turn:
    stock = products_service.stock_of(products)
    context.focus_products(ctx, products)
    return Turn(
        intro + "\n" + _listing(products, stock),
        action=action,
        data={"products": _product_rows(products, stock), **data},
    )


is_device_command = products_service.is_device_command


def no_such_product(ctx: Context, match) -> Turn:
    """The shop doesn't sell it: say so and offer the closest real categories."""
    names = [c.name for c in match.categories]
    what = match.query.strip() or "that"  # the request's words, when short
    text = f"Sorry, we don't sell {what}."
    if names:
        text += " The closest things we have are in: " + ", ".join(names) + "."
    return Turn(
        text,
        action="product_not_sold",
        quick_replies=[f"Show me {n.lower()}" for n in names[:3]],
        data={
            "categories": [{"name": c.name, "slug": c.slug} for c in match.categories],
            "unknown_words": match.unknown_words,
        },
    )


def product_search(ctx: Context, text: str) -> Turn:
    """Sellable products that fit the request, with price and stock, or an honest
    "we don't sell that" with the closest categories."""
    match = products_service.product_find(text)
    if not match.fits:
        return no_such_product(ctx, match)
    return _products_turn(
        ctx, "Here is what we have:", match.products, "product_search"
    )


def product_info(ctx: Context, product: Product) -> Turn:
    available = products_service.stock_of([product])[product.pk]
    context.focus_products(ctx, [product])
    stock = (
        "I can't see its stock level right now"
        if available is None
        else f"it is {_stock_words(available)}"
    )
    return Turn(
        f"{product.name} (code {product.stock_code}) costs "
        f"{money(product.list_price, product.currency)} each; {stock}.",
        action="product_info",
        data={"products": _product_rows([product], {product.pk: available})},
    )


def product_question(ctx: Context, text: str) -> Turn:
    product = mentioned_product(text)
    if product is None:
        shown = context.products_in_focus(ctx)
        if shown and context.product_followup_kind(text):
            return product_followup(ctx, text)
        return product_search(ctx, text)
    return product_info(ctx, product)


def product_followup(ctx: Context, text: str) -> Turn | None:
    """ "Is it in stock?", "how much is it?", "show me cheaper ones" about the products
    just shown; None when the message is not such a follow-up."""
    kind = context.product_followup_kind(text)
    shown = context.products_in_focus(ctx)
    if kind is None or not shown:
        return None
    named = mentioned_product(text)
    if named is not None and named.pk not in {p.pk for p in shown}:
        return None  # a question about another product
    if kind == "cheaper":
        cheaper = products_service.cheaper_than(shown[0])
        if not cheaper:
            return Turn(
                f"{shown[0].name} at {money(shown[0].list_price)} is already the "
                "lowest price I have for something like it.",
                action="product_cheaper_none",
            )
        return _products_turn(ctx, "Cheaper ones like it:", cheaper, "product_cheaper")
    if len(shown) == 1 or named is not None or context.SINGULAR.search(text):
        return product_info(ctx, named or shown[0])
    return _products_turn(ctx, "The ones I just showed:", shown, "product_info")


def recommendation(ctx: Context, text: str) -> Turn:
    from recommender.services import recommend_for_customer, similar_products

    product = mentioned_product(text)
    try:
        if product is not None:
            result = similar_products(product=product, k=5)
            intro = f"Customers who like {product.name} also like:"
        elif ctx.customer is not None:
            result = recommend_for_customer(customer=ctx.customer, k=5)
            intro = "You might like:"
        else:
            ctx.state["awaiting"] = {"slot": "product", "intent": "recommendation"}
            return Turn(
                "Which product would you like ideas for? Name one (e.g. 'what goes "
                "with the red retrospot jumbo bag'), or sign in for personal picks.",
                action="ask_product",
            )
    except Exception:  # the recommender is optional here: never fail the chat
        logger.exception("recommender unavailable for the chatbot")
        return Turn(
            "Recommendations aren't available right now; try 'find <product>' instead.",
            action="recommendation_unavailable",
        )
    items = result.items[:5]
    if not items:
        return Turn("I have no suggestions yet.", action="recommendation_empty")
    products = Product.objects.sellable().in_bulk([i["product_id"] for i in items])
    ordered = [products[i["product_id"]] for i in items if i["product_id"] in products]
    if not ordered:
        return Turn("I have no suggestions yet.", action="recommendation_empty")
    return _products_turn(
        ctx,
        intro,
        ordered,
        "recommendation",
        strategy=result.strategy,
        recommender_version=result.model_version,
    )


# --- knowledge -----------------------------------------------------------------------
def faq(ctx: Context | None, text: str, intent: str) -> Turn | None:
    """The most similar of ``intent``'s own FAQ entries, or None when it has none;
    the entry's policy placeholders ("{return_window_days}") read the support policy
    now."""
    entry, score = knowledge.faq_answer(text=text, intent=intent)
    if entry is None:
        return None
    answer = rules.faq_text_fill(entry.answer, rules.policy_get())
    return Turn(answer, action="faq", data={"faq": entry.key, "score": score})
