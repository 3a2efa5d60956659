"""Multi-turn dialogue: one message in, one :class:`~chatbot.actions.Turn` out.

Per-conversation state (``Conversation.state``, JSON) holds what the bot waits for:

* ``pending``: a change awaiting "yes"/"no" (``{"action": "cancel", "invoice": ...}``);
* ``awaiting``: a missing slot (``{"slot": "order_number", "intent": ...}`` or
  ``{"slot": "address", "invoice": ...}``).

Order of checks per message: empty / too long -> pending confirmation -> awaited slot
-> language (non-English: polite handoff) -> after a handoff, "anyone there?" gets the
ticket's status -> a complaint or frustration gets an apology and a person offered
(:mod:`chatbot.support`) -> intent (below the confidence threshold, or a lone word
that is not small talk: clarify; after ``max_failures`` clarifications in a row:
handoff) -> the intent's action.
"""

from __future__ import annotations

import re

from core.exceptions import NotTrained

from . import actions, answers, context, support
from .actions import ORDER_INTENTS, Context, Turn
from .conf import chatbot_settings
from .nlu import slots as slot_parser
from .nlu.language import detect_language, language_name
from .replies import CAN_DO, INTENT_LABELS, SMALL_TALK, SORRY_IN
from .services.nlu import Parse, nlu_parse
from .support import handoff

YES = {"yes", "y", "yeah", "yep", "yup", "sure", "ok", "okay", "confirm", "correct",
       "please do", "yes please", "go ahead", "do it"}  # fmt: skip
NO = {"no", "n", "nope", "nah", "don't", "dont", "stop", "no thanks", "abort",
      "never mind", "nevermind"}  # fmt: skip
ONE_WORD_OK = {"greeting", "thanks", "goodbye"}
HANDOFF_INTENTS = {"contact_human_agent", "complaint"}
PRODUCT_INTENTS = {"product_search", "product_question", "recommendation"}
_WORDS = re.compile(r"[\w']+")


# Words that may follow a "yes" without making it conditional ("yes please cancel
# it"); "yes but ..." or "yes, where is my order" is not a confirmation.
YES_TAIL = {"please", "thanks", "thank", "you", "do", "it", "go", "ahead", "sure",
            "cancel", "return", "change", "that's", "thats", "right", "correct", "ok",
            "okay", "confirm", "the", "order", "is", "that", "fine"}  # fmt: skip


def yes_no(text: str) -> bool | None:
    """True for a yes, False for a no, None for anything else (an unclear answer is
    never taken as a yes)."""
    words = _WORDS.findall(text.lower())
    norm = " ".join(words)
    if norm in YES or (
        words and words[0] in YES and len(words) <= 6 and set(words[1:]) <= YES_TAIL
    ):
        return True
    if norm in NO or norm.startswith("no "):
        return False
    return None


def is_binary(text: str) -> bool:
    """True for a message that is not text: NUL bytes, or more than 10 % control,
    private-use, unassigned or replacement characters."""
    import unicodedata

    if "\x00" in text:
        return True
    odd = sum(
        1
        for ch in text
        if ch == "\ufffd"
        or (unicodedata.category(ch) in {"Cc", "Co", "Cn", "Cs"} and ch not in "\n\r\t")
    )
    return odd > 0.1 * len(text)


def respond(ctx: Context, text: str) -> Turn:
    """The bot's reply to ``text`` in the conversation of ``ctx`` (state updated)."""
    conf = chatbot_settings()
    text = (text or "").strip()
    if not text:
        return Turn(
            f"Please type a message, for example 'where is my order?'. {CAN_DO}",
            action="empty",
            quick_replies=list(INTENT_LABELS.values())[:4],
        )
    if len(text) > conf["max_message_chars"]:
        return Turn(
            f"That message is {len(text):,} characters long; please keep it under "
            f"{conf['max_message_chars']:,} characters and ask one thing at a time. "
            + CAN_DO,
            action="too_long",
            quick_replies=list(INTENT_LABELS.values())[:4],
        )
    if is_binary(text):
        return Turn(
            "I can only read typed text, and that message looks like a file or "
            f"unreadable characters. {CAN_DO}",
            action="unreadable",
            quick_replies=list(INTENT_LABELS.values())[:4],
        )
    slots = slot_parser.extract(text)
    turn = _continue(ctx, text, slots)
    if turn is None:
        turn = _understand(ctx, text, slots, conf)
    turn = support.with_open_ticket(ctx, turn)
    turn.slots = turn.slots or slots.as_dict()
    return turn


def _continue(ctx: Context, text: str, slots) -> Turn | None:
    """Handle an answer to a pending yes/no or an awaited slot, if this is one."""
    state = ctx.state
    if context.is_other(text) and not slots.order_numbers:
        turn = _other_one(ctx)
        if turn is not None:
            state.pop("pending", None)
            state.pop("awaiting", None)
            return turn
    pending = state.pop("pending", None)
    if pending:
        answer = yes_no(text)
        if pending.get("action") == "handoff":
            return support.offer_answer(ctx, pending, text, answer)
        if answer is True:
            return actions.execute(ctx, pending)
        if answer is False:
            return Turn("OK, I haven't changed anything.", action="declined")
    awaiting = state.pop("awaiting", None)
    if awaiting and awaiting.get("slot") == "email":
        return support.contact_answer(ctx, awaiting, text, slots)
    if slots.emails:  # an address given later for an open ticket without one
        turn = support.contact_for_open_ticket(ctx, text, slots)
        if turn is not None:
            return turn
    if awaiting and awaiting.get("slot") == "address":
        if yes_no(text) is False or len(text) < 8:
            return Turn("OK, the address stays as it is.", action="declined")
        return actions.confirm_address(ctx, awaiting["invoice"], text)
    if awaiting and awaiting.get("slot") == "order_number":
        if slots.order_numbers or context.order_reference(ctx, text):
            return order_intent(ctx, awaiting["intent"], slots, text=text)
        if slots.invalid_order_numbers:
            state["awaiting"] = awaiting
            return _bad_number(slots)
    if awaiting and awaiting.get("slot") == "product":
        product = actions.mentioned_product(text)
        if product is not None:
            return actions.recommendation(ctx, product.description)
    if not slots.order_numbers:
        return actions.product_followup(ctx, text)
    return None


def _other_one(ctx: Context) -> Turn | None:
    """ "No, the other one": the next order (the last request redone for it) or the
    next product shown; None when nothing is in focus."""
    current = context.focus(ctx)
    if current.get("kind") == "order":
        invoice = context.other_order(ctx)
        if invoice is None:
            return None
        found = slot_parser.Slots(order_numbers=[invoice])
        return order_intent(ctx, current.get("intent") or "track_order", found)
    product = context.other_product(ctx)
    return actions.product_info(ctx, product) if product is not None else None


def _understand(ctx: Context, text: str, slots, conf) -> Turn:
    language = detect_language(text)
    if language != "en":
        sorry = SORRY_IN.get(language, "")
        turn = handoff(ctx, reason="language", summary=f"message in {language}")
        turn.text = (
            f"{sorry} I can only chat in English so far, and it looks like you wrote "
            f"in {language_name(language)}. {turn.text} In English, {CAN_DO}"
        ).strip()
        return turn
    try:
        parse = nlu_parse(text)
    except NotTrained:
        return Turn(
            "I'm not fully set up yet. Please e-mail help@example-giftshop.co.uk or "
            "call 0161 496 0000 and a person will help you.",
            action="not_trained",
        )
    turn = _route(ctx, text, slots, parse, conf)
    turn.intent = turn.intent or parse.intent
    turn.confidence = parse.confidence if turn.confidence is None else turn.confidence
    turn.model_version = parse.model_version
    return turn


def _is_lone_word(text: str, slots) -> bool:
    words = _WORDS.findall(text)
    return len(words) <= 1 and not slots.order_numbers and not slots.emails


def _route(ctx: Context, text: str, slots, parse: Parse, conf) -> Turn:
    if ctx.conversation.status == ctx.conversation.Status.HANDED_OFF:
        turn = support.after_handoff(ctx, text, parse, conf)
        if turn is not None:
            return turn
    if support.is_upset(text, parse, conf):
        return support.upset(
            ctx,
            text,
            parse,
            conf,
            answer=lambda: _answer(ctx, text, slots, parse, conf),
        )
    if support.asks_for_person(text):
        turn = handoff(ctx, reason="contact_human_agent")
        turn.intent = "contact_human_agent"
        return turn
    return _answer(ctx, text, slots, parse, conf)


def _answer(ctx: Context, text: str, slots, parse: Parse, conf) -> Turn:
    intent = parse.intent
    lone = _is_lone_word(text, slots) and intent not in ONE_WORD_OK
    if slots.order_numbers and _is_lone_word(text, slot_parser.Slots()):
        ctx.conversation.failures = 0
        if ctx.customer is not None:  # "cancel it" next refers to this order
            context.focus_order(ctx, slots.order_numbers[0], "track_order")
        return Turn(
            f"What would you like to do with order {slots.order_numbers[0]}?",
            action="ask_intent",
            quick_replies=[
                f"Track {slots.order_numbers[0]}",
                f"Cancel {slots.order_numbers[0]}",
                f"Return {slots.order_numbers[0]}",
            ],
        )
    if not lone and (
        intent == "out_of_scope"
        or parse.confidence < conf["out_of_scope_threshold"]
        or (intent in PRODUCT_INTENTS and actions.is_device_command(text))
    ):
        ctx.conversation.failures = 0
        return answers.out_of_scope(ctx, text)
    if parse.confidence < conf["confidence_threshold"] or lone:
        return clarify(ctx, parse, conf)
    ctx.conversation.failures = 0
    if intent in ORDER_INTENTS:
        return order_intent(ctx, intent, slots, text=text)
    if intent in HANDOFF_INTENTS:
        return handoff(ctx, reason=intent, summary=text[:200])
    if intent in SMALL_TALK:
        quick = list(INTENT_LABELS.values())[:4] if intent == "greeting" else []
        return Turn(SMALL_TALK[intent], action=intent, quick_replies=quick)
    if intent == "product_search":
        return actions.product_search(ctx, text)
    if intent == "product_question":
        return actions.product_question(ctx, text)
    if intent == "recommendation":
        return actions.recommendation(ctx, text)
    return answers.intent_answer(ctx, text, intent)


def clarify(ctx: Context, parse: Parse, conf) -> Turn:
    """Ask what the customer means; hand off after repeated failures."""
    conversation = ctx.conversation
    conversation.failures += 1
    if conversation.failures >= conf["max_failures"]:
        conversation.failures = 0
        turn = handoff(ctx, reason="not_understood", summary="bot did not understand")
        turn.text = "Sorry, I'm not getting this right. " + turn.text
        turn.intent = "clarify"
        return turn
    options = [INTENT_LABELS[i] for i, _ in parse.top if i in INTENT_LABELS]
    options = options or list(INTENT_LABELS.values())[:3]
    return Turn(
        "Sorry, I'm not sure what you mean. Could you say a bit more? "
        "For example: " + "; ".join(options) + ".",
        action="clarify",
        intent="clarify",
        quick_replies=options + ["Talk to a person"],
    )


def order_intent(ctx: Context, intent: str, slots, *, text: str = "") -> Turn:
    """Order status, refund status, cancel, address change, return or invoice for an
    order: the number in the message, else the one ``text`` refers to ("my last
    order", "it": :func:`chatbot.context.order_reference`), else asked for."""
    if ctx.customer is None and intent in ("return_item", "get_refund"):
        turn = answers.policy_answer(ctx, "", "check_refund_policy")
        turn.text += " To start a return, sign in and tell me the order number."
        turn.intent = intent
        return turn
    if ctx.customer is None:
        return Turn(
            "To look at or change an order I need to know it's you: please sign in, "
            "then ask again.",
            action="sign_in_required",
            intent=intent,
        )
    invoice = (
        slots.order_numbers[0]
        if slots.order_numbers
        else context.order_reference(ctx, text)
    )
    if invoice is None:
        ctx.state["awaiting"] = {"slot": "order_number", "intent": intent}
        if slots.invalid_order_numbers:
            return _bad_number(slots)
        intro = ""
        if intent in ("return_item", "get_refund"):  # "how long do I have to return?"
            days = answers.rules.policy_get().return_window_days
            intro = f"Returns are accepted within {days} days of delivery. "
        return Turn(
            intro + "Which order is it about? Please give the 6-digit order number "
            "(e.g. 536365), or say 'my last order'.",
            action="ask_order_number",
            quick_replies=actions.recent_invoices(ctx),
        )
    order = actions.customer_order(ctx, invoice)
    if order is None:
        return Turn(actions.not_found_text(invoice), action="order_not_found")
    context.focus_order(ctx, invoice, intent)
    if intent == "track_order":
        return actions.order_status(ctx, order)
    if intent == "track_refund":
        return actions.refund_status(ctx, order)
    if intent in actions.INVOICE_INTENTS:
        return actions.invoice(ctx, order)
    return actions.propose(ctx, intent, order)


def _bad_number(slots) -> Turn:
    bad = slots.invalid_order_numbers[0]
    return Turn(
        f"{bad} doesn't look like one of our order numbers: they have 6 digits, "
        "like 536365. Which order is it?",
        action="invalid_order_number",
    )
