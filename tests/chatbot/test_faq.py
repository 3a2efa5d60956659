"""The FAQ answer follows the intent: its own entry beats a closer-worded one."""

from __future__ import annotations

import pytest

from chatbot import actions

pytestmark = pytest.mark.slow

PHRASINGS = {
    "check_payment_methods": (
        "payment-methods",
        ["How can I pay?", "What payment methods do you accept?", "can I pay by card"],
    ),
    "payment_issue": (
        "payment-problem",
        ["my card was declined", "I was charged twice", "can't pay for my order"],
    ),
    "delivery_options": (
        ("shipping-options", "international"),
        ["how much is shipping", "is there next day delivery", "delivery options"],
    ),
    "delivery_period": (
        "delivery-times",
        ["how long does delivery take", "how many days to ship to the UK"],
    ),
    "check_refund_policy": (
        "returns-policy",
        ["what is your refund policy", "can I return an item I don't want"],
    ),
    "check_cancellation_fee": (
        "cancellation",
        ["is there a cancellation fee", "will I be charged for cancelling"],
    ),
    "opening_hours": (
        "opening-hours",
        ["what are your opening hours", "are you open on sunday"],
    ),
    "get_invoice": ("invoice", ["send me the invoice", "I need a VAT receipt"]),
}


@pytest.mark.parametrize(
    ("intent", "key", "text"),
    [(i, key, t) for i, (key, texts) in PHRASINGS.items() for t in texts],
)
def test_an_intents_own_faq_entry_wins(chat_model, intent, key, text):
    turn = actions.faq(None, text, intent)
    keys = key if isinstance(key, tuple) else (key,)
    assert turn.action == "faq" and turn.data["faq"] in keys, turn.text


def test_another_intents_entry_does_not_answer(chat_model):
    # an intent without entries of its own borrows none (not even the closest one)
    assert actions.faq(None, "I forgot my password", "recover_password") is None
    assert (
        actions.faq(None, "I want to add an item to my order", "change_order") is None
    )
    # "international" is one of delivery_options' entries
    turn = actions.faq(None, "do you ship to France", "delivery_options")
    assert turn.data.get("faq") == "international"


def test_how_can_i_pay_end_to_end(api_client, chat_model):
    conversation = api_client.post("/api/v1/chat/conversations/", format="json")
    url = f"/api/v1/chat/conversations/{conversation.json()['conversation']['id']}/"
    reply = api_client.post(
        url + "messages/", {"text": "How can I pay?"}, format="json"
    ).json()["reply"]
    assert reply["text"].startswith("We accept Visa"), reply
    reply = api_client.post(
        url + "messages/", {"text": "I want to return an item"}, format="json"
    ).json()["reply"]
    assert "30 days" in reply["text"] and "sign in" in reply["text"], reply


def test_faq_answer_reads_the_policy_when_it_is_given(chat_model):
    """Issue 17.6: a changed setting shows in the FAQ answer at once."""
    from chatbot.services.policy import policy_get

    policy = policy_get()
    policy.support_hours = "every day 8am-8pm"
    policy.support_email = "care@example.org"
    policy.save()
    turn = actions.faq(None, "what are your opening hours", "opening_hours")
    assert turn.data["faq"] == "opening-hours"
    assert "every day 8am-8pm" in turn.text and "care@example.org" in turn.text
    assert "Monday to Friday" not in turn.text and "{" not in turn.text


def test_faq_index_is_checked_at_most_every_index_check_seconds(
    chat_model, settings, monkeypatch
):
    """Issue 17.9: a message does not query the FAQ table's stamp each time; an edit
    shows once ``index_check_seconds`` have passed."""
    from chatbot.models import FAQEntry
    from chatbot.services import knowledge

    clock = [1000.0]
    monkeypatch.setattr(knowledge, "_clock", lambda: clock[0])
    settings.CHATBOT = {"index_check_seconds": 10}
    question = "what are your opening hours"
    assert actions.faq(None, question, "opening_hours").data["faq"] == "opening-hours"
    FAQEntry.objects.filter(key="opening-hours").update(is_active=False)
    clock[0] += 5  # within the interval: the cached index (no query) still answers
    assert actions.faq(None, question, "opening_hours").data["faq"] == "opening-hours"
    clock[0] += 6  # past it: the stamp is read again and the index rebuilt
    assert actions.faq(None, question, "opening_hours") is None
    knowledge.knowledge_caches_clear()
