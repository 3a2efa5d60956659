"""The support inbox (issue 15.5): SLA due times, summaries, notes, replies that reach
the customer by e-mail and in the chat, the admin queue and the misunderstood-messages
review."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from chatbot.models import Conversation, IntentExample, Message, SupportTicket
from chatbot.services import review, tickets
from core.exceptions import Conflict, InvalidInput
from core.models import TaskRun
from tests.factories import make_customer

START = "/api/v1/chat/conversations/"


def _conversation(customer=None, lines=()) -> Conversation:
    conversation = Conversation.objects.create(
        customer=customer, user=getattr(customer, "user", None)
    )
    for role, text, extra in lines:
        Message.objects.create(conversation=conversation, role=role, text=text, **extra)
    return conversation


LINES = [
    ("bot", "Hello! I'm the shop's assistant.", {"action": "welcome"}),
    ("user", "hi", {}),
    ("bot", "Hello!", {"intent": "greeting", "confidence": 0.9}),
    ("user", "My order 536365 arrived with two broken mugs", {}),
    ("bot", "Order 536365 has been delivered.", {"intent": "track_order"}),
    ("user", "Your service is terrible, I've waited three weeks for a refund", {}),
    ("bot", "I'm sorry.", {"intent": "complaint", "confidence": 0.8}),
    ("user", "yes", {}),
]


def test_summary_says_what_the_conversation_was_about(db):
    conversation = _conversation(lines=LINES)
    summary = tickets.ticket_summary(conversation=conversation, reason="complaint")
    assert summary.startswith("complaint; about where is my order?")
    assert "order 536365" in summary
    # the frustrated sentence first, then the one that states the problem
    assert "“Your service is terrible" in summary
    assert "broken mugs" in summary
    assert "yes" not in summary.split("customer:")[1].lower().split("“")[0]
    assert len(summary) <= 255


def test_ticket_gets_priority_and_due_time_from_the_sla(db):
    from chatbot.services.policy import policy_get

    policy = policy_get()
    policy.sla_hours_high, policy.sla_hours_normal = 4, 24
    policy.save()  # the support lead's SLA, edited in the admin
    before = timezone.now()
    complaint = tickets.ticket_create(
        conversation=_conversation(lines=LINES), reason="complaint"
    )
    asked = tickets.ticket_create(
        conversation=_conversation(lines=LINES[:4]), reason="contact_human_agent"
    )
    assert complaint.priority == SupportTicket.Priority.HIGH
    assert asked.priority == SupportTicket.Priority.NORMAL
    high_hours = (complaint.due_at - before).total_seconds() / 3600
    normal_hours = (asked.due_at - before).total_seconds() / 3600
    assert 3.99 < high_hours < 4.01 and 23.99 < normal_hours < 24.01
    policy.sla_hours_normal = 0
    policy.save()
    with pytest.raises(InvalidInput, match="positive number of hours"):
        tickets.ticket_due_at(priority=2, start=before)


def test_sla_is_edited_on_the_support_policy_page(admin_client, db):
    page = admin_client.get("/admin/chatbot/supportpolicy/")
    assert page.status_code == 200
    assert b'name="sla_hours_urgent"' in page.content


def test_contact_email_comes_from_the_customer_or_is_stored_on_both(db):
    known = make_customer(email="ann@example.com")
    ticket = tickets.ticket_create(
        conversation=_conversation(known, LINES), reason="complaint"
    )
    assert ticket.contact_email == "ann@example.com"
    nobody = make_customer()
    ticket = tickets.ticket_create(
        conversation=_conversation(nobody, LINES), reason="complaint"
    )
    assert ticket.contact_email == ""
    with pytest.raises(InvalidInput, match="not an e-mail"):
        tickets.ticket_contact_set(ticket=ticket, email="bob at example")
    tickets.ticket_contact_set(ticket=ticket, email="bob@example.com")
    nobody.refresh_from_db()
    assert nobody.email == "bob@example.com"


def test_reply_is_emailed_and_shown_in_the_customers_chat(api_client, db):
    customer = make_customer(with_user=True, email="cara@example.com")
    conversation = _conversation(customer, LINES)
    ticket = tickets.ticket_create(conversation=conversation, reason="complaint")
    note = tickets.ticket_reply(ticket=ticket, text="Sorry! A refund is on its way.")
    assert note.emailed_to == "cara@example.com"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["cara@example.com"]
    assert "refund is on its way" in mail.outbox[0].body
    ticket.refresh_from_db()
    assert ticket.status == "waiting" and ticket.first_reply_at is not None
    api_client.force_authenticate(customer.user)
    shown = api_client.get(f"{START}{conversation.public_id}/").json()["messages"]
    assert shown[-1]["role"] == "agent"
    assert shown[-1]["text"] == "Sorry! A refund is on its way."
    assert "replied" in tickets.ticket_status_text(ticket)


def test_reply_to_an_erased_customer_is_refused(db):
    customer = make_customer(email="dan@example.com")
    ticket = tickets.ticket_create(
        conversation=_conversation(customer, LINES), reason="complaint"
    )
    customer.erased_at = timezone.now()
    customer.save()
    ticket.refresh_from_db()
    with pytest.raises(Conflict, match="erased"):
        tickets.ticket_reply(ticket=ticket, text="hello")
    assert mail.outbox == []
    assert not Message.objects.filter(role="agent").exists()
    with pytest.raises(InvalidInput, match="empty"):
        tickets.ticket_reply(ticket=ticket, text="  ")


def test_status_text_tells_the_reply_time_or_the_delay(db):
    ticket = tickets.ticket_create(conversation=_conversation(lines=LINES), reason="x")
    text = tickets.ticket_status_text(ticket)
    assert f"ticket #{ticket.pk} is open" in text and "will reply by" in text
    ticket.due_at = timezone.now() - timedelta(hours=2)
    ticket.save()
    assert "Sorry for the wait" in tickets.ticket_status_text(ticket)
    assert ticket.is_overdue


# --- admin -------------------------------------------------------------------------
@pytest.fixture
def inbox(db):
    late = tickets.ticket_create(
        conversation=_conversation(make_customer(email="e@example.com"), LINES),
        reason="complaint",
    )
    SupportTicket.objects.filter(pk=late.pk).update(
        due_at=timezone.now() - timedelta(hours=1)
    )
    fresh = tickets.ticket_create(
        conversation=_conversation(lines=LINES[:4]), reason="contact_human_agent"
    )
    closed = tickets.ticket_create(
        conversation=_conversation(lines=LINES[:4]), reason="not_understood"
    )
    tickets.tickets_close(tickets=[closed])
    return {"late": late, "fresh": fresh, "closed": closed}


def _ids(response) -> set[int]:
    return {t.pk for t in response.context["cl"].result_list}


def test_inbox_lists_open_tickets_and_overdue_ones(admin_client, inbox):
    url = "/admin/chatbot/supportticket/"
    page = admin_client.get(url)
    assert page.status_code == 200
    assert _ids(page) == {inbox["late"].pk, inbox["fresh"].pk}
    assert [t.pk for t in page.context["cl"].result_list][0] == inbox["late"].pk
    assert "overdue, due" in page.content.decode()
    assert _ids(admin_client.get(url + "?overdue=1")) == {inbox["late"].pk}
    assert _ids(admin_client.get(url + "?status=closed")) == {inbox["closed"].pk}


def test_dashboard_counts_overdue_tickets(admin_client, inbox):
    from core.dashboard import queue_cards

    user = admin_client.get("/admin/").wsgi_request.user
    cards = {c["queue"].name: c for c in queue_cards(user)}
    assert cards["tickets-open"]["count"] == 2
    assert cards["tickets-open"]["urgent"] == 1
    assert cards["tickets-open"]["urgent_url"].endswith("?overdue=1")
    assert cards["misunderstood"]["url"] == "/admin/chatbot/misunderstoodmessage/"


def test_reply_box_and_note_on_the_ticket_page(admin_client, inbox):
    ticket = inbox["late"]
    url = f"/admin/chatbot/supportticket/{ticket.pk}/change/"
    page = admin_client.get(url)
    assert b'name="reply"' in page.content and b"Assign to me" in page.content
    form = {"status": "in_progress", "priority": "4", "assignee": "",
            "contact_email": "e@example.com", "reply": "We are on it.",
            "note": "Customer is upset; refund approved by Sam.",
            "notes-TOTAL_FORMS": "0", "notes-INITIAL_FORMS": "0"}  # fmt: skip
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.content[:2000]
    ticket.refresh_from_db()
    assert ticket.status == "waiting" and ticket.priority == 4
    # a new priority moves the due time to that priority's SLA from the opening
    assert abs((ticket.due_at - ticket.created_at) - timedelta(hours=2)) < timedelta(
        seconds=1
    )
    kinds = list(ticket.notes.values_list("kind", flat=True))
    assert kinds == ["note", "reply"]
    assert mail.outbox[0].to == ["e@example.com"]


def test_admin_refuses_a_reply_to_an_erased_customer(admin_client, inbox):
    ticket = inbox["late"]
    ticket.customer.erased_at = timezone.now()
    ticket.customer.save()
    url = f"/admin/chatbot/supportticket/{ticket.pk}/change/"
    form = {"status": "open", "priority": "3", "assignee": "", "contact_email": "",
            "reply": "hello", "note": "", "notes-TOTAL_FORMS": "0",
            "notes-INITIAL_FORMS": "0"}  # fmt: skip
    response = admin_client.post(url, form)
    assert response.status_code == 200
    assert "erased" in response.content.decode()
    assert mail.outbox == [] and not ticket.notes.exists()


# --- misunderstood messages ---------------------------------------------------------
def test_clarify_handoff_and_thumbs_down_fill_the_review_queue(db):
    from chatbot.actions import Turn

    conversation = _conversation(lines=LINES)
    user_messages = list(conversation.messages.filter(role="user"))
    cases = [
        (Turn("?", action="clarify", intent="clarify", confidence=0.3), "clarify"),
        (Turn("..", action="handoff", handoff=True, intent=""), "handoff"),
        (
            Turn("..", action="faq", intent="delivery_options", confidence=0.55),
            "low_confidence",
        ),  # fmt: skip
        (Turn("..", action="faq", intent="delivery_options", confidence=0.95), ""),
    ]
    rules = Turn("..", action="ticket_status", intent="greeting", confidence=0.3)
    assert review.review_reason(rules) == ""  # answered by the handoff's rules
    for message, (turn, reason) in zip(user_messages, cases, strict=True):
        review.review_flag(message=message, turn=turn)
        message.refresh_from_db()
        assert message.review == reason
    reply = conversation.messages.filter(role="bot").last()
    review.message_feedback(conversation=conversation, message_id=reply.pk,
                            helpful=False)  # fmt: skip
    asked = conversation.messages.filter(role="user", id__lt=reply.pk).last()
    asked.refresh_from_db()
    assert asked.review == "thumbs_down"


def test_add_misunderstood_message_as_an_example_then_retrain(
    admin_client, chat_model, queued_tasks
):
    conversation = _conversation(lines=LINES)
    message = conversation.messages.filter(role="user")[1]
    Message.objects.filter(pk=message.pk).update(review="clarify")
    url = "/admin/chatbot/misunderstoodmessage/"
    page = admin_client.get(url)
    assert [m.pk for m in page.context["cl"].result_list] == [message.pk]
    assert b'<option value="track_order">' in page.content  # intents from a list
    post = {"action": "add_as_example", "_selected_action": [message.pk]}
    admin_client.post(url, {**post, "intent": "no_such_intent"})  # not in the list
    assert not IntentExample.objects.filter(text__contains="broken mugs").exists()
    with pytest.raises(InvalidInput, match="unknown intent"):
        review.misunderstood_add_examples(messages=[message], intent="no_such_intent")
    admin_client.post(url, {**post, "intent": "complaint"})
    example = IntentExample.objects.get(text__contains="broken mugs")
    assert example.intent == "complaint" and example.source == "review"
    assert admin_client.get(url).context["cl"].result_count == 0
    response = admin_client.post(
        url,
        {
            "action": "retrain_from_review",
            "_selected_action": [message.pk],
            "review_status": "all",
        },  # fmt: skip
        follow=True,
    )
    run = TaskRun.objects.get(task_name="chatbot.train")
    assert (
        run.status == "pending" and f"task run #{run.pk}" in response.content.decode()
    )


def test_thumbs_down_over_the_api_flags_the_question(api_client, db):
    customer = make_customer(with_user=True)
    conversation = _conversation(customer, LINES)
    api_client.force_authenticate(customer.user)
    reply = conversation.messages.filter(role="bot", intent="track_order").get()
    url = f"{START}{conversation.public_id}/messages/{reply.pk}/feedback/"
    assert api_client.post(url, {"helpful": False}, format="json").status_code == 204
    asked = conversation.messages.get(text__contains="broken mugs")
    assert asked.review == "thumbs_down" and asked.review_status == "open"
    assert api_client.post(url, {"helpful": "x"}, format="json").status_code == 400
    user_message = f"{START}{conversation.public_id}/messages/{asked.pk}/feedback/"
    assert api_client.post(user_message, {"helpful": False}).status_code == 404
    api_client.force_authenticate(make_customer(with_user=True).user)  # not theirs
    assert api_client.post(url, {"helpful": False}, format="json").status_code == 404
