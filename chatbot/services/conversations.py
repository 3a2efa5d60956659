"""Conversations: start one, post a message and get the bot's reply, hand off, erase."""

from __future__ import annotations

import time

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.exceptions import InvalidInput, NotFound
from shop.selectors import customer_for_user

from ..models import Conversation, Message, SupportTicket, TicketNote
from ..replies import START_QUICK_REPLIES
from .review import review_flag
from .tickets import ticket_customer_wrote

MAX_STORED_CHARS = 10_000
WELCOME = (
    "Hello! I'm the shop's assistant. Ask me about your orders, returns, delivery, "
    "payment or our products."
)


def _user_or_none(user):
    return user if getattr(user, "is_authenticated", False) else None


def conversation_start(
    *, user=None, session_key: str = ""
) -> tuple[Conversation, Message]:
    """Open a conversation (anonymous allowed) and post the welcome message."""
    from ..nlu.encoder import warm_up

    warm_up()
    user = _user_or_none(user)
    conversation = Conversation.objects.create(
        user=user,
        customer=customer_for_user(user=user) if user else None,
        session_key=session_key or "",
    )
    welcome = Message.objects.create(
        conversation=conversation,
        role=Message.Role.BOT,
        text=WELCOME,
        action="welcome",
        quick_replies=START_QUICK_REPLIES,
    )
    return conversation, welcome


# Session entry of an anonymous visitor's chats: {public_id: the session key bound}.
SESSION_CHATS = "chatbot_anonymous_conversations"
SESSION_CHATS_KEPT = 5


def conversation_remember(*, session, conversation: Conversation) -> None:
    """Note an anonymous visitor's conversation in their session (the last
    ``SESSION_CHATS_KEPT``), so it can follow them when they sign in
    (:func:`conversations_adopt`). Session data is kept on the server (or signed),
    so a visitor cannot add another visitor's conversation to it."""
    if conversation.user_id is not None or not conversation.session_key:
        return
    chats = dict(session.get(SESSION_CHATS) or {})
    chats[str(conversation.public_id)] = conversation.session_key
    session[SESSION_CHATS] = dict(list(chats.items())[-SESSION_CHATS_KEPT:])


def conversations_adopt(*, session, user) -> int:
    """Give ``user``, who has just signed in, the anonymous conversations of this
    browser; returns how many.

    Django gives the session a new key at sign-in (``cycle_key``) and keeps its data,
    so a conversation bound to the old key would be lost. Only the conversations
    noted in this session by :func:`conversation_remember`, still anonymous and still
    bound to the session key they were noted with, are taken; the note is removed.
    When another user was signed in, Django empties the session instead and nothing
    is taken.
    """
    chats = session.pop(SESSION_CHATS, None) or {}
    user = _user_or_none(user)
    if user is None or not chats:
        return 0
    bound = Q()
    for public_id, key in chats.items():
        bound |= Q(public_id=public_id, session_key=key)
    customer = customer_for_user(user=user)
    with transaction.atomic():
        ids = list(
            Conversation.objects.select_for_update()
            .filter(bound, user__isnull=True)
            .values_list("pk", flat=True)
        )
        Conversation.objects.filter(pk__in=ids).update(
            user=user, customer=customer, updated_at=timezone.now()
        )
        if customer is not None:
            SupportTicket.objects.filter(
                conversation_id__in=ids, customer__isnull=True
            ).update(customer=customer)
    return len(ids)


def conversation_current(*, user=None, session_key: str = "") -> Conversation:
    """The requester's conversation to resume on a new visit: their latest one not
    closed, active within ``CHATBOT["resume_days"]`` days; a signed-in user's by
    their account (staff too: only their own), a visitor's by their session (the
    ``sessionid`` cookie outlives the browser tab). So a reply from the support team
    is read on the next visit, not only in the tab that asked.

    Raises
    ------
    NotFound
        No such conversation (field ``conversation``).
    """
    from datetime import timedelta

    from ..conf import chatbot_settings

    user = _user_or_none(user)
    since = timezone.now() - timedelta(days=float(chatbot_settings()["resume_days"]))
    mine = (
        Q(user=user)
        if user is not None
        else Q(user__isnull=True, session_key=session_key or "-")
    )
    conversation = (
        Conversation.objects.filter(mine, updated_at__gte=since)
        .exclude(status=Conversation.Status.CLOSED)
        .order_by("-updated_at", "-pk")
        .first()
    )
    if conversation is None:
        raise NotFound("no conversation to resume", field="conversation")
    return conversation


def conversation_get(*, public_id, user=None, session_key: str = "") -> Conversation:
    """The conversation ``public_id`` if its creator (or staff) asks for it.

    A conversation is bound to whoever started it: a signed-in user's to that user, an
    anonymous visitor's to the session it was started in (``session_key``, the Django
    session of the request). Staff may read any. Knowing the id is not enough, so a
    signed-in user cannot take over an anonymous visitor's conversation.

    Raises
    ------
    NotFound
        Unknown id, or a conversation of someone else (same answer for both).
    """
    conversation = Conversation.objects.filter(public_id=public_id).first()
    user = _user_or_none(user)
    if conversation is None or not _is_creator(conversation, user, session_key):
        raise NotFound("conversation not found", field="conversation")
    return conversation


def _is_creator(conversation: Conversation, user, session_key: str) -> bool:
    if user is not None and user.is_staff:
        return True
    if conversation.user_id is not None:
        return user is not None and user.pk == conversation.user_id
    return bool(session_key) and session_key == conversation.session_key


def message_post(*, conversation: Conversation, text: str, user=None) -> Message:
    """Store the customer's message, compute the reply, store and return it.

    Order answers and actions use the customer of the *requesting* user, never the
    one stored on the conversation.

    Raises
    ------
    InvalidInput
        ``text`` is not a string.
    """
    from ..actions import Context
    from ..dialogue import respond

    if not isinstance(text, str):
        raise InvalidInput("text must be a string", field="text")
    start = time.perf_counter()
    user = _user_or_none(user)
    customer = customer_for_user(user=user) if user else None
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        asked = Message.objects.create(
            conversation=conversation,
            role=Message.Role.USER,
            # PostgreSQL text cannot hold NUL: kept visible as U+FFFD.
            text=text[:MAX_STORED_CHARS].replace("\x00", "\ufffd"),
        )
        turn = respond(Context(conversation, user, customer), text)
        review_flag(message=asked, turn=turn)
        if conversation.status == Conversation.Status.HANDED_OFF:
            ticket_customer_wrote(conversation=conversation, action=turn.action)
        if turn.handoff:
            conversation.status = Conversation.Status.HANDED_OFF
        conversation.save()
        return Message.objects.create(
            conversation=conversation,
            role=Message.Role.BOT,
            text=turn.text,
            intent=turn.intent or "",
            confidence=turn.confidence,
            model_version=turn.model_version or "",
            slots={**turn.slots, **({"data": turn.data} if turn.data else {})},
            quick_replies=turn.quick_replies,
            action=turn.action,
            latency_ms=(time.perf_counter() - start) * 1000,
        )


@transaction.atomic
def customer_transcripts_redact(*, customer_id: int) -> int:
    """Redact the texts of every conversation and ticket of a customer (erasure).

    Returns the number of conversations redacted.
    """
    conversations = Conversation.objects.filter(customer_id=customer_id)
    Message.objects.filter(conversation__in=conversations).update(
        text="[redacted]", slots={}
    )
    SupportTicket.objects.filter(customer_id=customer_id).update(
        transcript="[redacted]", summary="[redacted]"
    )
    SupportTicket.objects.filter(conversation__in=conversations).update(
        transcript="[redacted]", summary="[redacted]"
    )
    tickets = SupportTicket.objects.filter(
        Q(customer_id=customer_id) | Q(conversation__in=conversations)
    )
    tickets.update(contact_email="")
    TicketNote.objects.filter(ticket__in=tickets).update(
        text="[redacted]", emailed_to=""
    )
    return conversations.update(redacted_at=timezone.now(), state={})
