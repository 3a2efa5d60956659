"""The answer of each intent that is not an order action, a handoff or a product.

Every intent has exactly one source of its answer:

* ``POLICY_INTENTS``: built from the support policy (:mod:`chatbot.services.policy`),
  so the bot quotes what the admin says and what the order checks apply;
* ``faq_intents`` (``chatbot.conf``): the most similar of the intent's own FAQ entries
  (editable in the admin), never another intent's entry;
* ``OWN_ANSWERS``: a fixed answer of the intent;
* ``CANNOT_HERE``: something the shop's site or the chat can't do: the bot says so
  and names who can (the policy's contact details), never a neighbour's text.
"""

from __future__ import annotations

from .actions import Context, Turn, faq, product_search
from .conf import chatbot_settings
from .replies import INTENT_LABELS, SMALL_TALK
from .services import policy as rules
from .services import products as products_service

POLICY_INTENTS = {
    "delivery_options",
    "delivery_period",
    "check_refund_policy",
    "check_cancellation_fee",
    "contact_customer_service",
}

OWN_ANSWERS = {
    "place_order": "To order, find the items in the shop (or ask me, e.g. 'do you "
    "sell cake tins?'), add them to your basket and check out while signed in. "
    "Larger quantities of the same item cost less per unit.",
    "switch_account": "To use another account, sign out (top right of the page) and "
    "sign in with the other account's username and password.",
    "set_up_shipping_address": "You give the delivery address at checkout, for each "
    "order. To change the address of an order that hasn't shipped, say 'change the "
    "delivery address' with its order number.",
}

# What the customer asked for, in words, for intents the site and chat can't do.
CANNOT_HERE = {
    "create_account": "open a new customer account",
    "delete_account": "close your account or erase your data",
    "edit_account": "change your account details",
    "recover_password": "reset your password",
    "registration_problems": "sort out a sign-up problem",
    "newsletter_subscription": "change newsletter subscriptions",
    "review": "take product reviews",
    "change_order": "change the items of an order once it's placed (if it hasn't "
    "shipped, I can cancel it so you can order again)",
}


def cannot_here(intent: str) -> Turn:
    """ "I can't do that here, here is who can" for ``intent``."""
    policy = rules.policy_get()
    what = CANNOT_HERE.get(intent, "help with that")
    return Turn(
        f"Sorry, I can't {what} here. {rules.contact_text(policy).capitalize()} can "
        "help, or I can pass you to a person now.",
        action="cannot_here",
        quick_replies=["Talk to a person"]
        + (["Cancel an order"] if intent == "change_order" else []),
    )


def policy_answer(ctx: Context, text: str, intent: str) -> Turn:
    """Delivery, returns policy, cancellation fee and contact: from the policy."""
    policy = rules.policy_get()
    if intent in ("delivery_options", "delivery_period"):
        body = rules.delivery_answer(text, policy, intent=intent)
        topics = rules.delivery_topics(text) or ["general"]
        return Turn(body, action="delivery_info", data={"topics": topics})
    if intent == "check_refund_policy":
        return Turn(rules.refund_policy_text(policy), action="policy")
    if intent == "check_cancellation_fee":
        return Turn(rules.cancellation_fee_text(policy), action="policy")
    return Turn(
        f"You can reach {rules.contact_text(policy)}. Or I can pass this "
        "conversation to a person now.",
        action="contact",
        quick_replies=["Talk to a person"],
    )


def intent_answer(ctx: Context, text: str, intent: str) -> Turn:
    """The reply to an informational ``intent`` (see the module docstring)."""
    if intent in POLICY_INTENTS:
        return policy_answer(ctx, text, intent)
    if intent in chatbot_settings()["faq_intents"]:
        turn = faq(ctx, text, intent)
        if turn is not None:
            return turn
    if intent == "place_order" and products_service.content_words(
        products_service.shopping_query(text)
    ):  # "I want to buy a television": a product request, answered from the shop
        return product_search(ctx, text)
    if intent in OWN_ANSWERS:
        return Turn(OWN_ANSWERS[intent], action="answer")
    if intent == "out_of_scope":
        return out_of_scope(ctx, text)
    return cannot_here(intent)


def out_of_scope(ctx: Context, text: str) -> Turn:
    """A question outside the shop: say so and what the bot can do instead (a close
    FAQ entry of no intent, e.g. "where are you based?", answers it instead)."""
    entry = faq(ctx, text, "out_of_scope")
    if (
        entry is not None
        and entry.data.get("score", 0)
        >= chatbot_settings()["faq_out_of_scope_similarity"]
    ):
        return entry
    return Turn(
        SMALL_TALK["out_of_scope"],
        action="out_of_scope",
        intent="out_of_scope",
        quick_replies=list(INTENT_LABELS.values())[:4],
    )
