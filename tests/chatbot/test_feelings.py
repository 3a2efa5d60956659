"""Feelings and people (issue 17.5): apologies, the offer of a person, the contact
e-mail at a handoff, and the ticket's status after it."""

from __future__ import annotations

import pytest

from chatbot.models import SupportTicket
from chatbot.nlu.feelings import frustration_cues, is_frustrated
from chatbot.services import tickets
from chatbot.support import asks_for_person
from tests.factories import make_customer

START = "/api/v1/chat/conversations/"


@pytest.mark.parametrize(
    "text",
    [
        "Your service is terrible, I've waited three weeks",
        "I have been waiting 10 days for my parcel",
        "This is ridiculous!!",
        "my order STILL HASN'T ARRIVED",
        "nobody answers the phone",
        "I want to make a complaint",
        "I'm really fed up with this",
    ],
)
def test_frustration_is_recognised(text):
    assert is_frustrated(text), text


@pytest.mark.parametrize(
    "text",
    [
        "where is my order 536365?",
        "the mug was not bad at all",
        "do you sell t-light holders",
        "I waited for the sale",
        "hello",
    ],
)
def test_calm_messages_are_not_frustrated(text):
    assert frustration_cues(text) == [], text


def test_asks_for_person():
    assert asks_for_person("can I speak to a human please")
    assert asks_for_person("let me talk to someone")
    assert not asks_for_person("talk me through the returns policy")


def _start(client) -> str:
    response = client.post(START, format="json")
    assert response.status_code == 201
    return response.json()["conversation"]["id"]


def _say(client, conversation: str, text: str) -> dict:
    response = client.post(
        f"{START}{conversation}/messages/", {"text": text}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["reply"]


def test_frustration_gets_an_apology_and_a_person_then_status(api_client, chat_model):
    conversation = _start(api_client)
    reply = _say(
        api_client, conversation, "Your service is terrible, I've waited three weeks"
    )
    assert reply["action"] == "offer_handoff"
    assert "sorry" in reply["text"].lower() and "person" in reply["text"]
    assert not SupportTicket.objects.exists()  # nothing done before a yes
    reply = _say(api_client, conversation, "yes please")
    assert reply["action"] == "handoff"
    ticket = SupportTicket.objects.get()
    assert f"ticket #{ticket.pk}" in reply["text"]
    assert ticket.priority == SupportTicket.Priority.HIGH
    assert "waited three weeks" in ticket.summary
    assert "e-mail address" in reply["text"]  # anonymous: no e-mail known
    reply = _say(api_client, conversation, "it's sam@example.com")
    assert reply["action"] == "contact_saved"
    ticket.refresh_from_db()
    assert ticket.contact_email == "sam@example.com"
    reply = _say(api_client, conversation, "anyone there?")
    assert reply["action"] == "ticket_status"
    assert f"ticket #{ticket.pk} is open" in reply["text"]
    assert "will reply by" in reply["text"]
    tickets.ticket_reply(ticket=ticket, text="We have refunded your order.")
    reply = _say(api_client, conversation, "any news?")
    assert reply["action"] == "ticket_status"
    assert "We have refunded your order." in reply["text"]


def test_declining_the_offer_opens_no_ticket(api_client, chat_model):
    conversation = _start(api_client)
    assert _say(api_client, conversation, "This is ridiculous!!")["action"] == (
        "offer_handoff"
    )
    reply = _say(api_client, conversation, "no thanks")
    assert reply["action"] == "declined_handoff"
    assert not SupportTicket.objects.exists()


def test_upset_and_asking_for_a_person_is_handed_off_at_once(api_client, chat_model):
    conversation = _start(api_client)
    reply = _say(
        api_client, conversation, "This is unacceptable, let me speak to a human"
    )
    assert reply["action"] == "handoff"
    assert reply["text"].startswith("I'm really sorry")
    assert SupportTicket.objects.get().reason in ("complaint", "frustration")


def test_signed_in_customer_with_an_email_is_not_asked_for_one(api_client, chat_model):
    customer = make_customer(with_user=True, email="lee@example.com")
    api_client.force_authenticate(customer.user)
    conversation = _start(api_client)
    reply = _say(api_client, conversation, "I want to talk to a person")
    assert reply["action"] == "handoff"
    assert "lee@example.com" in reply["text"]
    ticket = SupportTicket.objects.get()
    assert ticket.contact_email == "lee@example.com"
    assert ticket.customer == customer


def test_signed_in_customer_without_email_gets_it_stored(api_client, chat_model):
    customer = make_customer(with_user=True)
    api_client.force_authenticate(customer.user)
    conversation = _start(api_client)
    assert _say(api_client, conversation, "I want to talk to a person")["action"] == (
        "handoff"
    )
    _say(api_client, conversation, "kim@example.com")
    customer.refresh_from_db()
    assert customer.email == "kim@example.com"


def test_asking_for_someone_hands_off_whatever_the_intent(api_client, chat_model):
    conversation = _start(api_client)
    reply = _say(
        api_client, conversation, "I need to speak to someone from customer service"
    )
    assert reply["action"] == "handoff"
    assert SupportTicket.objects.get().reason == "contact_human_agent"
    reply = _say(api_client, conversation, "when will someone reply?")
    assert reply["action"] == "ticket_status"


def test_customer_writing_after_the_teams_reply_reopens_the_ticket(
    api_client, chat_model
):
    conversation = _start(api_client)
    _say(api_client, conversation, "I want to talk to a person")
    _say(api_client, conversation, "no, reply here")
    ticket = SupportTicket.objects.get()
    tickets.ticket_reply(ticket=ticket, text="Could you tell us the order number?")
    _say(api_client, conversation, "any news?")  # shows the reply, nothing to do
    ticket.refresh_from_db()
    assert ticket.status == "waiting"
    _say(api_client, conversation, "It was order 536365, the lid is cracked")
    ticket.refresh_from_db()
    assert ticket.status == "open" and ticket.due_at > ticket.first_reply_at
    assert "the lid is cracked" in ticket.transcript
