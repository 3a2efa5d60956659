"""The chat API end to end: dialogue, order actions, security, bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chatbot.models import Conversation, Message, SupportTicket
from shop.models import Order
from tests.factories import make_customer, make_order, make_product

START = "/api/v1/chat/conversations/"


def start(client) -> str:
    response = client.post(START, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reply"]["quick_replies"]
    return body["conversation"]["id"]


def say(client, conversation: str, text: str, status: int = 200) -> dict:
    response = client.post(
        f"{START}{conversation}/messages/", {"text": text}, format="json"
    )
    assert response.status_code == status, response.content
    return response.json()


def stored(reply: dict) -> Message:
    """The bot message of ``reply`` as stored (intent and confidence are staff-only
    in the API, see test_labels_are_for_staff_only)."""
    return Message.objects.get(pk=reply["id"])


@pytest.fixture
def shop(db):
    """Two signed-in customers with orders in different states."""
    mug = make_product(description="RED RETROSPOT MUG")
    alice = make_customer(with_user=True)
    bob = make_customer(with_user=True)
    orders = {
        "placed": make_order(alice, [(mug, 2, "2.10")], invoice_no="536365"),
        "shipped": make_order(
            alice, [(mug, 1, "2.10")], invoice_no="536366", status=Order.Status.SHIPPED
        ),
        "delivered": make_order(
            alice,
            [(mug, 1, "2.10")],
            invoice_no="536367",
            status=Order.Status.DELIVERED,
            placed_at=timezone.now() - timedelta(days=6),
        ),
        "old": make_order(
            alice,
            [(mug, 1, "2.10")],
            invoice_no="536368",
            status=Order.Status.DELIVERED,
            placed_at=timezone.now() - timedelta(days=200),
        ),
        "bobs": make_order(bob, [(mug, 5, "2.10")], invoice_no="540000"),
    }
    return {"alice": alice, "bob": bob, "orders": orders}


@pytest.fixture
def alice_client(api_client, shop):
    api_client.force_authenticate(shop["alice"].user)
    return api_client


def test_start_greet_and_transcript(api_client, chat_model):
    conversation = start(api_client)
    body = say(api_client, conversation, "hello there")
    message = stored(body["reply"])
    assert message.intent == "greeting" and message.model_version == chat_model.label
    assert 0.5 <= message.confidence <= 1.0
    transcript = api_client.get(f"{START}{conversation}/").json()
    assert [m["role"] for m in transcript["messages"]] == ["bot", "user", "bot"]


def test_order_status_needs_sign_in(api_client, chat_model, shop):
    conversation = start(api_client)
    body = say(api_client, conversation, "where is my order 536365")
    assert body["reply"]["action"] == "sign_in_required"
    assert "536365" not in body["reply"]["text"]


def test_own_order_status_and_other_customers_order_looks_missing(
    alice_client, chat_model, shop
):
    conversation = start(alice_client)
    own = say(alice_client, conversation, "where is my order 536366")["reply"]
    assert stored(own).intent == "track_order" and own["action"] == "order_status"
    assert "536366" in own["text"] and "shipped" in own["text"]
    other = say(alice_client, conversation, "where is my order 540000")["reply"]
    missing = say(alice_client, conversation, "where is my order 599999")["reply"]
    assert other["action"] == missing["action"] == "order_not_found"
    assert other["text"].replace("540000", "N") == missing["text"].replace(
        "599999", "N"
    )
    # Bob's order is untouched and nothing about it leaked.
    cancel = say(alice_client, conversation, "cancel order 540000")["reply"]
    assert cancel["action"] == "order_not_found"
    say(alice_client, conversation, "yes")
    assert Order.objects.get(invoice_no="540000").status == Order.Status.PLACED


def test_cancel_asks_number_confirms_then_cancels(alice_client, chat_model, shop):
    conversation = start(alice_client)
    ask = say(alice_client, conversation, "I want to cancel my order")["reply"]
    assert stored(ask).intent == "cancel_order"
    assert ask["action"] == "ask_order_number"
    confirm = say(alice_client, conversation, "536365")["reply"]
    assert confirm["action"] == "confirm_cancel"
    assert confirm["text"].endswith("Cancel order 536365? yes/no")
    assert Order.objects.get(invoice_no="536365").status == Order.Status.PLACED
    done = say(alice_client, conversation, "yes")["reply"]
    assert done["action"] == "cancel_done"
    assert Order.objects.get(invoice_no="536365").status == Order.Status.CANCELLED
    credit = Order.objects.get(invoice_no="C536365")
    assert credit.kind == Order.Kind.CANCELLATION
    assert all(line.quantity < 0 for line in credit.lines.all())


def test_cancel_declined_and_shipped_order_refused(alice_client, chat_model, shop):
    conversation = start(alice_client)
    say(alice_client, conversation, "please cancel order 536365")
    assert say(alice_client, conversation, "no")["reply"]["action"] == "declined"
    assert Order.objects.get(invoice_no="536365").status == Order.Status.PLACED
    refused = say(alice_client, conversation, "cancel order 536366")["reply"]
    assert refused["action"] == "cancel_refused"
    assert Order.objects.get(invoice_no="536366").status == Order.Status.SHIPPED


def test_change_address_flow(alice_client, chat_model, shop):
    conversation = start(alice_client)
    ask = say(alice_client, conversation, "change the shipping address of order 536365")
    assert ask["reply"]["action"] == "ask_address"
    confirm = say(alice_client, conversation, "12 Rose Lane, Leeds LS1 4AB")["reply"]
    assert confirm["action"] == "confirm_address"
    assert say(alice_client, conversation, "yes")["reply"]["action"] == "address_done"
    assert Order.objects.get(invoice_no="536365").shipping_address.startswith("12 Rose")


def test_return_request_on_delivered_order(alice_client, chat_model, shop):
    conversation = start(alice_client)
    confirm = say(
        alice_client, conversation, "i want to return an item from order 536367"
    )
    assert confirm["reply"]["action"] == "confirm_return"
    assert (
        say(alice_client, conversation, "yes please")["reply"]["action"]
        == "return_done"
    )
    assert (
        Order.objects.get(invoice_no="536367").status == Order.Status.RETURN_REQUESTED
    )


def test_return_outside_the_window_is_refused_and_nothing_changes(
    alice_client, chat_model, shop
):
    conversation = start(alice_client)
    reply = say(alice_client, conversation, "I want to return order 536368")["reply"]
    assert reply["action"] == "return_refused", reply
    assert "30 days" in reply["text"] and "no longer" in reply["text"]
    say(alice_client, conversation, "yes")
    assert Order.objects.get(invoice_no="536368").status == Order.Status.DELIVERED


def test_labels_are_for_staff_only(api_client, alice_client, chat_model, shop):
    from django.contrib.auth import get_user_model

    for client in (api_client, alice_client):
        conversation = start(client)
        body = say(client, conversation, "hello there")
        for field in ("intent", "confidence", "model_version"):
            assert field not in body["reply"], field
        transcript = client.get(f"{START}{conversation}/").json()
        assert all("intent" not in m for m in transcript["messages"])
    staff = get_user_model().objects.create_user("lead", is_staff=True)
    client.force_authenticate(staff)
    conversation = start(client)
    body = say(client, conversation, "hello there")
    assert body["reply"]["intent"] == "greeting" and body["reply"]["confidence"]


def test_invalid_order_number_is_explained(alice_client, chat_model, shop):
    conversation = start(alice_client)
    reply = say(alice_client, conversation, "track order 00004587345")["reply"]
    assert reply["action"] == "invalid_order_number" and "6 digits" in reply["text"]


def test_faq_answer_from_knowledge_base(api_client, chat_model):
    conversation = start(api_client)
    reply = say(api_client, conversation, "what is your policy on returning items?")
    assert reply["reply"]["action"] in {"faq", "policy"}
    assert "30 days" in reply["reply"]["text"]


def test_bad_input_has_defined_answers(api_client, chat_model):
    conversation = start(api_client)
    assert say(api_client, conversation, "")["reply"]["action"] == "empty"
    assert say(api_client, conversation, "   ")["reply"]["action"] == "empty"
    long = say(api_client, conversation, "where is my order " * 556)["reply"]
    assert long["action"] == "too_long"
    too_big = say(api_client, conversation, "x" * 20_001, status=400)
    assert too_big["error"] == "invalid_input"
    assert say(api_client, conversation, None, status=400)["error"] == "invalid_input"
    binary = say(api_client, conversation, "PK\x03\x04\x00\x00\x08\x00binary\x00")
    assert binary["reply"]["action"] == "unreadable"
    assert Message.objects.filter(text__startswith="PK\x03\x04\ufffd").exists()
    script = "<script>alert('x')</script><b>hi</b>"
    say(api_client, conversation, script)
    assert Message.objects.filter(text=script).exists()  # stored as text, shown escaped


def test_html_is_escaped_in_admin(admin_client, api_client, chat_model):
    conversation = start(api_client)
    say(api_client, conversation, "<script>alert('pwned')</script> where is my order")
    row = Conversation.objects.get(public_id=conversation)
    page = admin_client.get(f"/admin/chatbot/conversation/{row.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<script>alert('pwned')</script>" not in html
    assert "&lt;script&gt;alert(" in html
    assert admin_client.get("/admin/chatbot/conversation/").status_code == 200


def test_other_language_gets_polite_handoff(api_client, chat_model):
    conversation = start(api_client)
    body = say(
        api_client, conversation, "Bonjour, où est ma commande ? Je veux l'annuler"
    )
    assert body["reply"]["action"] == "handoff" and body["handoff"] is True
    assert "French" in body["reply"]["text"]
    ticket = SupportTicket.objects.get(conversation__public_id=conversation)
    assert ticket.reason == "language" and "commande" in ticket.transcript


def test_one_word_and_nonsense_clarify_then_handoff(api_client, chat_model):
    conversation = start(api_client)
    first = say(api_client, conversation, "refund")["reply"]
    assert first["action"] == "clarify" and "Talk to a person" in first["quick_replies"]
    second = say(api_client, conversation, "xqzv")["reply"]
    assert second["action"] == "handoff"
    ticket = SupportTicket.objects.get(conversation__public_id=conversation)
    assert "refund" in ticket.transcript and "xqzv" in ticket.transcript


def test_out_of_scope_does_not_act(api_client, chat_model):
    conversation = start(api_client)
    reply = say(api_client, conversation, "what's the weather like in paris today")
    assert stored(reply["reply"]).intent in {"out_of_scope", "clarify"}
    assert reply["reply"]["action"] in {"out_of_scope", "clarify"}


def test_human_agent_creates_ticket(api_client, chat_model):
    conversation = start(api_client)
    reply = say(api_client, conversation, "I want to speak to a real person")["reply"]
    assert stored(reply).intent == "contact_human_agent"
    assert reply["action"] == "handoff"
    assert (
        SupportTicket.objects.filter(conversation__public_id=conversation).count() == 1
    )


def test_burst_is_throttled_with_json_429(api_client, chat_model, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "chat", "3/min")
    conversation = start(api_client)  # 1
    say(api_client, conversation, "hi")  # 2
    say(api_client, conversation, "hi")  # 3
    body = say(api_client, conversation, "hi", status=429)
    assert body["error"] == "throttled"


def test_conversation_of_another_user_is_not_found(api_client, chat_model, shop):
    api_client.force_authenticate(shop["alice"].user)
    conversation = start(api_client)
    api_client.force_authenticate(shop["bob"].user)
    assert say(api_client, conversation, "hi", status=404)["error"] == "not_found"
    assert api_client.get(f"{START}{conversation}/").status_code == 404


def test_anonymous_conversation_is_bound_to_its_session(api_client, chat_model, shop):
    """Issue 16.6: knowing an anonymous chat's id neither reads nor takes it over."""
    from rest_framework.test import APIClient

    conversation = start(api_client)
    say(api_client, conversation, "my secret question")
    intruder = APIClient()
    intruder.force_authenticate(shop["bob"].user)
    assert say(intruder, conversation, "hi", status=404)["error"] == "not_found"
    assert intruder.get(f"{START}{conversation}/").status_code == 404
    stranger = APIClient()  # another anonymous visitor (no session cookie)
    assert stranger.get(f"{START}{conversation}/").status_code == 404
    say(stranger, conversation, "hi", status=404)
    say(api_client, conversation, "hello")  # the creator keeps access
    messages = api_client.get(f"{START}{conversation}/").json()["messages"]
    assert [m["text"] for m in messages if m["role"] == "user"] == [
        "my secret question",
        "hello",
    ]
    assert Conversation.objects.get(public_id=conversation).user_id is None


def test_anonymous_chat_follows_the_visitor_who_signs_in(api_client, chat_model, shop):
    """Issues 17.7 / 16.6: Django gives the session a new key at sign-in; the chat
    started in this browser follows the customer, another browser's does not."""
    from rest_framework.test import APIClient

    from chatbot.services.conversations import SESSION_CHATS, conversations_adopt

    other = APIClient()  # another anonymous visitor
    theirs = start(other)
    say(other, theirs, "someone else's question")
    conversation = start(api_client)
    say(api_client, conversation, "do you ship to France?")
    old_key = api_client.session.session_key
    alice = shop["alice"]
    signed_in = api_client.post(
        "/account/login/", {"username": alice.user.username, "password": "pw-12345678"}
    )
    assert signed_in.status_code == 302
    assert api_client.session.session_key != old_key  # Django cycled the key
    assert SESSION_CHATS not in api_client.session  # the note is used once
    reply = say(api_client, conversation, "where is my order 536365?")["reply"]
    assert "536365" in reply["text"] and stored(reply).intent == "track_order"
    texts = [m["text"] for m in api_client.get(f"{START}{conversation}/").json()[
        "messages"] if m["role"] == "user"]  # fmt: skip
    assert texts == ["do you ship to France?", "where is my order 536365?"]
    adopted = Conversation.objects.get(public_id=conversation)
    assert adopted.user_id == alice.user_id and adopted.customer_id == alice.pk
    # the other browser's chat is not taken, even if its id were in the note
    assert api_client.get(f"{START}{theirs}/").status_code == 404
    forged = {SESSION_CHATS: {theirs: "not-its-session"}}
    assert conversations_adopt(session=forged, user=alice.user) == 0
    assert Conversation.objects.get(public_id=theirs).user_id is None
    say(other, theirs, "hello")  # still theirs


def test_product_search_and_question(api_client, chat_model):
    from chatbot.services.knowledge import product_index_build

    make_product(description="WHITE HANGING HEART T-LIGHT HOLDER")
    make_product(description="SET OF 3 CAKE TINS PANTRY DESIGN")
    make_product(description="ALARM CLOCK BAKELIKE RED")
    assert product_index_build() is not None
    conversation = start(api_client)
    found = say(api_client, conversation, "do you sell t-light holders")["reply"]
    assert found["action"] == "product_search"
    assert found["data"]["products"][0]["description"].startswith("WHITE HANGING")
    info = say(api_client, conversation, "how much is the alarm clock bakelike red")
    assert "Alarm Clock Bakelike Red" in info["reply"]["text"]


def test_recommendation_failure_is_graceful(api_client, chat_model, monkeypatch):
    import recommender.services as rec

    make_product(description="JUMBO BAG RED RETROSPOT")

    def broken(**kwargs):
        raise RuntimeError("model missing")

    monkeypatch.setattr(rec, "similar_products", broken)
    conversation = start(api_client)
    reply = say(
        api_client, conversation, "what goes well with the jumbo bag red retrospot"
    )
    assert reply["reply"]["action"] == "recommendation_unavailable"


def test_customer_erasure_redacts_transcripts(alice_client, chat_model, shop):
    from core.signals import customer_erased

    conversation = start(alice_client)
    say(
        alice_client,
        conversation,
        "where is my order 536365? my email is alice@example.com",
    )
    customer_erased.send(sender=None, customer_id=shop["alice"].pk)
    texts = set(
        Message.objects.filter(conversation__public_id=conversation).values_list(
            "text", flat=True
        )
    )
    assert texts == {"[redacted]"}


def test_not_trained_answers_politely(api_client, db):
    conversation = start(api_client)
    assert say(api_client, conversation, "where is my order")["reply"]["action"] == (
        "not_trained"
    )


CURRENT = f"{START}current/"


def test_a_new_visit_resumes_the_open_chat_with_the_teams_reply(
    api_client, chat_model, shop
):
    """V2 15.5: the widget kept the conversation id in the tab only, so the team's
    reply was lost on the next visit. ``current/`` gives the visitor's latest open
    conversation: by account when signed in (any device), by session otherwise."""
    from rest_framework.test import APIClient

    from chatbot.services.tickets import ticket_reply

    assert api_client.get(CURRENT).status_code == 204  # nothing to resume yet
    api_client.force_authenticate(shop["alice"].user)
    conversation = start(api_client)
    say(api_client, conversation, "I want to speak to a real person")
    ticket = SupportTicket.objects.get(conversation__public_id=conversation)
    ticket_reply(ticket=ticket, text="Your lantern ships today.")
    device = APIClient()  # another day, another browser: signed in again
    device.force_authenticate(shop["alice"].user)
    body = device.get(CURRENT).json()
    assert body["conversation"]["id"] == conversation
    assert body["messages"][-1]["role"] == "agent"
    assert body["messages"][-1]["text"] == "Your lantern ships today."
    bob = APIClient()
    bob.force_authenticate(shop["bob"].user)
    assert bob.get(CURRENT).status_code == 204  # never another customer's
    Conversation.objects.filter(public_id=conversation).update(status="closed")
    assert device.get(CURRENT).status_code == 204  # a closed one starts afresh


def test_an_anonymous_visit_resumes_by_its_session_only(api_client, chat_model):
    from rest_framework.test import APIClient

    conversation = start(api_client)
    say(api_client, conversation, "do you ship to France?")
    again = api_client.get(CURRENT)  # same browser (session cookie), new tab
    assert again.status_code == 200 and again.json()["conversation"]["id"] == (
        conversation
    )
    assert APIClient().get(CURRENT).status_code == 204  # another browser
    Conversation.objects.filter(public_id=conversation).update(
        updated_at=timezone.now() - timedelta(days=31)
    )
    assert api_client.get(CURRENT).status_code == 204  # older than resume_days


def test_after_a_handoff_the_ticket_follows_the_customer(api_client, chat_model):
    """V2 15.5: the ticket's summary was the handoff reason only ("wrote in another
    language") though the customer then described the problem; an e-mail address
    given two messages after the bot asked was read as a newsletter request; and
    with the ticket open the bot offered "a person" again."""
    conversation = start(api_client)
    first = say(api_client, conversation, "Bonjour, où est ma commande ?")["reply"]
    assert first["action"] == "handoff" and "e-mail address" in first["text"]
    lantern = "The glass lantern I ordered arrived broken and cracked"
    second = say(api_client, conversation, lantern)["reply"]
    ticket = SupportTicket.objects.get(conversation__public_id=conversation)
    assert "lantern" in ticket.summary, ticket.summary
    for reply in (
        second,
        say(api_client, conversation, "I want to change my newsletter subscription")[
            "reply"
        ],
    ):
        assert "Talk to a person" not in reply["quick_replies"], reply
        assert "pass" not in reply["text"] and "Would you like" not in reply["text"]
        assert f"ticket #{ticket.pk}" in reply["text"], reply["text"]
    saved = say(api_client, conversation, "my email is anna.k@example.com")["reply"]
    assert saved["action"] == "contact_saved"
    ticket.refresh_from_db()
    assert ticket.contact_email == "anna.k@example.com"
    assert SupportTicket.objects.count() == 1
