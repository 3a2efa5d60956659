"""The support inbox: open a ticket at a handoff, its SLA due time and summary, the
contact e-mail, internal notes, replies to the customer (e-mail and chat), closing.

Replies are sent with Django's e-mail backend (``EMAIL_URL``; the console by default)
and posted into the customer's chat as an ``agent`` message.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from core.exceptions import Conflict, InvalidInput

from ..conf import chatbot_settings
from ..models import Conversation, Message, SupportTicket, TicketNote
from ..nlu import slots as slot_parser
from ..nlu.feelings import is_frustrated
from ..replies import INTENT_LABELS

P = SupportTicket.Priority
S = SupportTicket.Status
ACTIVE = (S.OPEN, S.IN_PROGRESS)
# Bot intents that say nothing about what the customer wanted.
_NOT_TOPICS = {"", "clarify", "greeting", "thanks", "goodbye", "out_of_scope"}
_WORDS = re.compile(r"[\w']+")
_SHORT_ANSWERS = {"yes", "no", "ok", "okay", "thanks", "thank you", "hello", "hi"}
REASONS = {
    "contact_human_agent": "asked for a person",
    "complaint": "complaint",
    "frustration": "frustrated customer",
    "not_understood": "bot did not understand",
    "language": "wrote in another language",
}


def ticket_sla_hours(priority: int) -> float:
    """Hours to the first reply for ``priority``: the support policy's SLA (admin).

    Raises
    ------
    InvalidInput
        The policy has no positive number of hours for this priority.
    """
    from .policy import policy_get

    label = P(priority).label
    hours = getattr(policy_get(), f"sla_hours_{label}", None)
    if not isinstance(hours, int | float) or hours <= 0:
        raise InvalidInput(
            f"the support policy needs a positive number of hours to reply for "
            f"priority {label!r}",
            field=f"sla_hours_{label}",
        )
    return float(hours)


def ticket_due_at(*, priority: int, start: datetime) -> datetime:
    """The reply-by time of a ticket opened at ``start`` with ``priority``."""
    return start + timedelta(hours=ticket_sla_hours(priority))


def ticket_priority_for(reason: str) -> int:
    """The priority a handoff for ``reason`` gets (``CHATBOT["ticket_priority"]``)."""
    label = chatbot_settings()["ticket_priority"].get(reason, "normal")
    by_label = {p.label: p.value for p in P}
    return by_label.get(label, P.NORMAL)


def _is_key_sentence(text: str) -> bool:
    words = _WORDS.findall(text.lower())
    if len(words) < 3 or " ".join(words) in _SHORT_ANSWERS:
        return False
    rest = [w for w in words if not slot_parser.is_order_number(w)]
    return len(rest) >= 3 and text != "[redacted]"


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def ticket_summary(*, conversation: Conversation, reason: str) -> str:
    """What the conversation was about, in at most 255 characters.

    ``<reason>; about <intents>; order(s) <numbers>; customer: "<key sentence>" …
    "<another>"``: the intents the bot recognised (greetings and clarifications left
    out), the order numbers the customer named, and up to two customer sentences:
    frustrated ones first, then the latest that states the problem (what they
    wrote after the handoff, when they did), then the first. Refreshed each time
    the customer writes after the handoff (:func:`ticket_customer_wrote`).
    """
    intents: list[str] = []
    orders: list[str] = []
    sentences: list[str] = []
    for m in conversation.messages.order_by("created_at", "id"):
        if m.role == Message.Role.BOT:
            if m.intent not in _NOT_TOPICS and m.intent not in intents:
                intents.append(m.intent)
            found = (m.slots or {}).get("order_numbers", [])
        elif m.role == Message.Role.USER:
            found = slot_parser.extract(m.text).order_numbers
            if _is_key_sentence(m.text):
                sentences.append(m.text)
        else:
            continue
        orders += [o for o in found if o not in orders]
    parts = [REASONS.get(reason, reason.replace("_", " "))]
    labels = [
        INTENT_LABELS.get(i, i.replace("_", " ")).lower()
        for i in intents
        if i != reason
    ]
    labels = [label for label in labels if parts[0] not in label]
    if labels:
        parts.append("about " + ", ".join(labels[:3]))
    if orders:
        parts.append(("orders " if len(orders) > 1 else "order ") + ", ".join(orders))
    ranked = [s for s in sentences if is_frustrated(s)] + sentences[-1:] + sentences[:1]
    chosen = list(dict.fromkeys(ranked))[:2]
    head = "; ".join(parts)
    if chosen:
        room = max(40, (250 - len(head)) // len(chosen) - 8)
        head += "; customer: " + " … ".join(f"“{_clip(s, room)}”" for s in chosen)
    return _clip(head, 255)


def transcript_text(conversation: Conversation) -> str:
    """The conversation as plain text, one ``[time] role: text`` line per message."""
    return "\n".join(
        f"[{m.created_at:%Y-%m-%d %H:%M}] {m.role}: {m.text}"
        for m in conversation.messages.order_by("created_at", "id")
    )


def ticket_active(*, conversation: Conversation) -> SupportTicket | None:
    """The conversation's newest ticket that is not closed (None if there is none)."""
    return conversation.tickets.exclude(status=S.CLOSED).order_by("-created_at").first()


def ticket_create(
    *, conversation: Conversation, reason: str, summary: str = ""
) -> SupportTicket:
    """Open a support ticket for a handoff (or refresh the conversation's open one).

    The priority follows ``reason``, the due time the SLA of that priority; the
    summary is :func:`ticket_summary` (``summary`` is a fallback for an empty
    conversation); the contact e-mail is the customer's, when the shop has one.
    """
    ticket = ticket_active(conversation=conversation)
    transcript = transcript_text(conversation)
    if ticket is not None:
        ticket.transcript = transcript
        ticket.summary = ticket_summary(conversation=conversation, reason=ticket.reason)
        ticket.save(update_fields=["transcript", "summary", "updated_at"])
        return ticket
    customer = conversation.customer
    priority = ticket_priority_for(reason)
    now = timezone.now()
    return SupportTicket.objects.create(
        conversation=conversation,
        customer=customer,
        reason=reason[:40],
        summary=ticket_summary(conversation=conversation, reason=reason)
        or summary[:255],
        transcript=transcript,
        priority=priority,
        due_at=ticket_due_at(priority=priority, start=now),
        contact_email=(customer.email if customer is not None else "") or "",
    )


# Replies to these actions do not need a person (status asked, thanks, goodbye).
_NO_NEW_WORK = {"ticket_status", "thanks", "goodbye", "greeting", "contact_saved",
                "contact_declined", "handoff", "empty"}  # fmt: skip


def ticket_customer_wrote(*, conversation: Conversation, action: str = "") -> None:
    """The customer wrote again after a handoff: the ticket's transcript follows, and
    a ticket the team answered goes back to open, due again by its SLA, unless the
    bot's reply (``action``) was all they needed (their ticket's status, thanks)."""
    ticket = ticket_active(conversation=conversation)
    if ticket is None:
        return
    ticket.transcript = transcript_text(conversation)
    # the summary follows what the customer wrote after the handoff, too
    ticket.summary = ticket_summary(conversation=conversation, reason=ticket.reason)
    fields = ["transcript", "summary", "updated_at"]
    if ticket.status == S.WAITING and action not in _NO_NEW_WORK:
        ticket.status = S.OPEN
        ticket.due_at = ticket_due_at(priority=ticket.priority, start=timezone.now())
        fields += ["status", "due_at"]
    ticket.save(update_fields=fields)


def ticket_contact_set(*, ticket: SupportTicket, email: str) -> SupportTicket:
    """Store the e-mail replies go to (also on the customer, if they have none).

    Raises
    ------
    InvalidInput
        ``email`` is not an e-mail address.
    """
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvalidInput(
            f"{email!r} is not an e-mail address", field="email"
        ) from exc
    ticket.contact_email = email
    ticket.save(update_fields=["contact_email", "updated_at"])
    customer = ticket.customer
    if customer is not None and not customer.email and customer.erased_at is None:
        customer.email = email
        customer.save(update_fields=["email", "updated_at"])
    return ticket


def ticket_note_add(*, ticket: SupportTicket, text: str, by=None) -> TicketNote:
    """An internal note (never shown to the customer).

    Raises
    ------
    InvalidInput
        ``text`` is empty.
    """
    text = (text or "").strip()
    if not text:
        raise InvalidInput("the note is empty", field="note")
    return TicketNote.objects.create(
        ticket=ticket, kind=TicketNote.Kind.NOTE, author=_staff(by), text=text
    )


def _staff(user):
    return user if getattr(user, "pk", None) else None


def ticket_reply_refusal(ticket: SupportTicket) -> str:
    """Why a reply to ``ticket`` cannot be sent ('' when it can)."""
    customer = ticket.customer
    if customer is not None and customer.erased_at is not None:
        return (
            f"{ticket} belongs to a customer whose data was erased "
            f"on {customer.erased_at:%d %b %Y}; no reply can be sent."
        )
    if ticket.conversation.redacted_at is not None:
        return f"{ticket}'s conversation was erased; no reply can be sent."
    if ticket.status == S.CLOSED:
        return f"{ticket} is closed; reopen it (status) before replying."
    return ""


@transaction.atomic
def ticket_reply(*, ticket: SupportTicket, text: str, by=None) -> TicketNote:
    """Send a reply: e-mailed to the contact address (when known) and posted in the
    customer's chat as an ``agent`` message; the ticket waits for the customer.

    Raises
    ------
    InvalidInput
        ``text`` is empty.
    Conflict
        The customer was erased, the conversation redacted or the ticket closed.
    """
    text = (text or "").strip()
    if not text:
        raise InvalidInput("the reply is empty", field="reply")
    ticket = SupportTicket.objects.select_for_update().get(pk=ticket.pk)
    refusal = ticket_reply_refusal(ticket)
    if refusal:
        raise Conflict(refusal, field="reply")
    Message.objects.create(
        conversation=ticket.conversation,
        role=Message.Role.AGENT,
        text=text,
        action="agent_reply",
        slots={"data": {"ticket": ticket.pk}},
    )
    email = ticket.contact_email
    if email:
        send_mail(
            subject=f"Re: your question to our shop (ticket #{ticket.pk})",
            message=text
            + "\n\nYou can also read and answer this in the chat on our website.",
            from_email=None,
            recipient_list=[email],
        )
    now = timezone.now()
    ticket.status = S.WAITING
    ticket.first_reply_at = ticket.first_reply_at or now
    ticket.save(update_fields=["status", "first_reply_at", "updated_at"])
    return TicketNote.objects.create(
        ticket=ticket,
        kind=TicketNote.Kind.REPLY,
        author=_staff(by),
        text=text,
        emailed_to=email,
    )


def tickets_close(*, tickets, by=None) -> int:
    """Close the given tickets (already closed ones are left); returns how many."""
    ids = [t.pk for t in tickets if t.status != S.CLOSED]
    return SupportTicket.objects.filter(pk__in=ids).update(
        status=S.CLOSED, closed_at=timezone.now(), updated_at=timezone.now()
    )


def tickets_take(*, tickets, by) -> int:
    """Assign the given open tickets to ``by`` and mark them in progress."""
    ids = [t.pk for t in tickets if t.status in ACTIVE]
    return SupportTicket.objects.filter(pk__in=ids).update(
        assignee=by, status=S.IN_PROGRESS, updated_at=timezone.now()
    )


def _when(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local:%a %d %b} at {local:%H:%M}"


def reply_by_text(ticket: SupportTicket | None, *, reason: str = "") -> str:
    """``by Tue 08 Dec at 15:00 (UK time)``: the ticket's due time, or the one a new
    ticket for ``reason`` would get."""
    if ticket is not None and ticket.due_at is not None:
        due = ticket.due_at
    else:
        due = ticket_due_at(priority=ticket_priority_for(reason), start=timezone.now())
    return f"by {_when(due)} (UK time)"


def ticket_status_text(ticket: SupportTicket) -> str:
    """The ticket's status and expected reply time, in the customer's words."""
    if ticket.status == S.CLOSED:
        return (
            f"Your ticket #{ticket.pk} was closed. If something is still wrong, tell "
            "me and I'll open a new one."
        )
    reply = ticket.notes.filter(kind=TicketNote.Kind.REPLY).order_by("-id").first()
    if ticket.status == S.WAITING and reply is not None:
        return (
            f"Our team replied to your ticket #{ticket.pk} on "
            f"{_when(reply.created_at)}: “{_clip(reply.text, 300)}”"
        )
    state = "being worked on" if ticket.status == S.IN_PROGRESS else "open"
    if ticket.due_at is None:
        return f"Your ticket #{ticket.pk} is {state}; a person will reply soon."
    if ticket.due_at < timezone.now():
        return (
            f"Your ticket #{ticket.pk} is {state}. Sorry for the wait: the reply was "
            f"due by {_when(ticket.due_at)} and is late; a person will answer as soon "
            "as possible."
        )
    where = f" and by e-mail to {ticket.contact_email}" if ticket.contact_email else ""
    return (
        f"Your ticket #{ticket.pk} is {state}. A person will reply "
        f"{reply_by_text(ticket)}, here in the chat{where}."
    )
