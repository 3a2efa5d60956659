"""Every intent gets its own answer or action, never a neighbour's (issue 17.1).

The NLU is replaced by a parse of the intent under test, so each intent's handling is
checked whatever the small test model would make of the text.
"""

from __future__ import annotations

import pytest

from chatbot import dialogue
from chatbot.actions import Context
from chatbot.answers import CANNOT_HERE
from chatbot.conf import chatbot_settings
from chatbot.models import Conversation
from chatbot.nlu.intents import BITEXT_INTENTS, SHOP_INTENTS
from chatbot.services.nlu import Parse
from shop.models import Order
from tests.factories import make_customer, make_order, make_product

# Intents that share an answer on purpose (one topic, two labels in Bitext).
SAME_ANSWER = [
    {"check_invoice", "get_invoice"},
    {"complaint", "contact_human_agent"},
    {"get_refund", "return_item"},  # a refund is asked for by returning the order
    {"product_question", "product_search"},  # a question naming no product: search
]
# Order intents: answered from the customer's order, so they need a signed-in customer.
ORDER_TEXT = "about order 536365"


@pytest.fixture
def faq(db, memo_encoder):
    from chatbot.services import data

    data.faq_seed()


@pytest.fixture
def forced(monkeypatch):
    """``forced(intent)``: the NLU reads every message as ``intent`` (p = 0.97)."""
    box = {}

    def parse(text):
        return Parse(intent=box["intent"], confidence=0.97, top=[(box["intent"], 0.97)])

    monkeypatch.setattr(dialogue, "nlu_parse", parse)

    def force(intent):
        box["intent"] = intent

    return force


def reply(customer, text):
    user = customer.user if customer is not None else None
    conversation = Conversation.objects.create(user=user, customer=customer)
    turn = dialogue.respond(Context(conversation, user, customer), text)
    conversation.save()
    return turn


@pytest.fixture
def alice(db):
    customer = make_customer(with_user=True)
    mug = make_product(description="RED RETROSPOT MUG")
    make_order(customer, [(mug, 2, "2.10")], invoice_no="536365")
    return customer


ALL_INTENTS = sorted(set(BITEXT_INTENTS) | set(SHOP_INTENTS))


def test_there_are_27_bitext_intents():
    assert len(BITEXT_INTENTS) == 27


def test_every_intent_has_its_own_answer(faq, forced, alice):
    texts = {}
    owned = chatbot_settings()["faq_intents"]
    for intent in ALL_INTENTS:
        forced(intent)
        turn = reply(alice, f"a question {ORDER_TEXT}")
        assert turn.text and turn.action not in {"clarify", ""}, intent
        assert turn.intent == intent, (intent, turn.intent)
        if turn.action == "faq":  # only ever one of the intent's own entries
            assert turn.data["faq"] in owned[intent], (intent, turn.data)
        if intent in CANNOT_HERE:
            assert turn.action == "cannot_here" and "can't" in turn.text, intent
            assert "help@" in turn.text and "person" in turn.text, intent
        texts[intent] = turn.text
    for a in ALL_INTENTS:
        for b in ALL_INTENTS:
            together = any({a, b} <= group for group in SAME_ANSWER)
            if a < b and not together and texts[a] == texts[b]:
                pytest.fail(f"{a} and {b} give the same answer: {texts[a]!r}")


def test_intents_without_an_answer_say_who_can(faq, forced, db):
    for intent in CANNOT_HERE:
        forced(intent)
        turn = reply(None, "could you do this for me")
        assert turn.action == "cannot_here", intent
        assert "Talk to a person" in turn.quick_replies


def test_change_order_is_not_the_damage_answer(faq, forced, alice):
    forced("change_order")
    turn = reply(alice, "Can you help me remove an item from my order?")
    assert "photo" not in turn.text and "damage" not in turn.text
    assert "cancel" in turn.text
    forced("change_order")
    turn = reply(alice, "I want to add something to order 536790")
    assert "Manchester" not in turn.text and turn.action == "cannot_here"


def test_invoice_request_naming_the_order_is_answered(faq, forced, alice):
    forced("get_invoice")
    turn = reply(alice, "I need a copy of the invoice for order 536365")
    assert turn.action == "invoice" and "536365" in turn.text
    assert "/account/orders/536365/" in turn.text
    other = make_order(make_customer(), [], invoice_no="536999")
    turn = reply(alice, f"invoice for order {other.invoice_no} please")
    assert turn.action == "order_not_found"


def test_delivery_questions_get_the_option_asked(faq, forced, db):
    forced("delivery_options")
    next_day = reply(None, "Can I get next day delivery?")
    assert "next-day" in next_day.text and "outside the UK" not in next_day.text
    abroad = reply(None, "do you ship to France?")
    assert "outside the UK" in abroad.text and "next-day" not in abroad.text
    cost = reply(None, "how much is shipping")
    assert "£4.95" in cost.text
    forced("delivery_period")
    assert "working days" in reply(None, "how long does delivery take").text


def test_order_intents_act_on_the_customers_order(faq, forced, alice):
    forced("cancel_order")
    turn = reply(alice, "cancel order 536365")
    assert turn.action == "confirm_cancel"
    assert Order.objects.get(invoice_no="536365").status == Order.Status.PLACED


def test_bad_input_says_what_the_bot_can_do(faq, forced, db):
    from chatbot.replies import CAN_DO

    forced("track_order")
    for text, action in [
        ("", "empty"),
        ("   ", "empty"),
        ("where is my order " * 100, "too_long"),
        ("\x00\x01\x02PK\x03\x04binary\x00", "unreadable"),
        ("\ufffd\ufffd\ufffd\ufffd%PDF", "unreadable"),
    ]:
        turn = reply(None, text)
        assert turn.action == action, (text[:20], turn.action)
        assert CAN_DO in turn.text


def test_out_of_scope_says_what_the_bot_can_do_and_never_searches(faq, forced, db):
    forced("out_of_scope")
    turn = reply(None, "can you turn on the lights in my kitchen")
    assert turn.action == "out_of_scope" and "I can help with" in turn.text
    assert not turn.data.get("products")


def test_low_confidence_sentence_is_out_of_scope(faq, monkeypatch, db, settings):
    settings.CHATBOT = {"out_of_scope_threshold": 0.4}
    monkeypatch.setattr(
        dialogue,
        "nlu_parse",
        lambda text: Parse(intent="product_search", confidence=0.3, top=[]),
    )
    turn = reply(None, "what is the capital of peru")
    assert turn.action == "out_of_scope"


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("yes", True),
        ("yes please cancel it", True),
        ("Yes, go ahead", True),
        ("yes but where is my other order", None),
        ("yes, what about delivery?", None),
        ("maybe", None),
        ("no", False),
        ("no thanks", False),
    ],
)
def test_only_a_clear_yes_confirms(text, answer):
    assert dialogue.yes_no(text) is answer


def test_an_unconfirmed_action_is_never_taken(faq, forced, alice):
    conversation = Conversation.objects.create(user=alice.user, customer=alice)
    ctx = Context(conversation, alice.user, alice)
    forced("cancel_order")
    assert dialogue.respond(ctx, "cancel order 536365").action == "confirm_cancel"
    forced("delivery_options")
    dialogue.respond(ctx, "yes but how much is delivery first?")
    forced("greeting")
    dialogue.respond(ctx, "yes")  # the question is no longer open
    assert Order.objects.get(invoice_no="536365").status == Order.Status.PLACED
