"""Misunderstood messages: flag the customer messages the bot got wrong, and turn the
reviewed ones into training examples of the right intent (retraining is a task).

A customer message is flagged (``Message.review``) when the bot asked to clarify,
handed the conversation off without being asked to, answered with a confidence below
``CHATBOT["review_confidence"]``, or the customer gave the reply a thumbs-down.
"""

from __future__ import annotations

from django.db import transaction

from core.exceptions import InvalidInput, NotFound

from ..conf import chatbot_settings
from ..models import Conversation, IntentExample, Message

R = Message.Review
RS = Message.ReviewStatus
# Replies given by the support flow's rules whatever the intent model thought (the
# ticket's status after a handoff, the contact e-mail): nothing to learn from them.
ANSWERED_BY_RULES = {"ticket_status", "contact_saved", "contact_declined",
                     "declined_handoff"}  # fmt: skip


def review_reason(turn) -> str:
    """Why the customer's message behind ``turn`` needs a review ('' if it does not).

    Parameters
    ----------
    turn : chatbot.actions.Turn, the bot's reply (intent, confidence, action).
    """
    if turn.action in ANSWERED_BY_RULES:
        return ""
    if turn.action == "clarify" or turn.intent == "clarify":
        return R.CLARIFY
    if turn.handoff and turn.intent not in ("contact_human_agent", "complaint"):
        return R.HANDOFF
    limit = chatbot_settings()["review_confidence"]
    if turn.confidence is not None and turn.confidence < limit:
        return R.LOW_CONFIDENCE
    return ""


def review_flag(*, message: Message, turn) -> None:
    """Put ``message`` (the customer's) in the review queue if the bot missed it."""
    reason = review_reason(turn)
    if reason:
        message.review = reason
        message.review_status = RS.OPEN
        message.save(update_fields=["review", "review_status"])


def intent_choices() -> list[str]:
    """The intents a reviewer may pick: those of the active model, else the known."""
    from .nlu import intent_model_labels

    labels = intent_model_labels()
    if not labels:
        labels = IntentExample.objects.values_list("intent", flat=True).distinct()
    return sorted(set(labels))


@transaction.atomic
def misunderstood_add_examples(*, messages, intent: str, by=None) -> int:
    """Add each message's text as a training example of ``intent`` (reviewed).

    Returns the number of new examples (a text already an example of the intent
    counts once). The model learns them at the next training run (see
    :func:`misunderstood_retrain`).

    Raises
    ------
    InvalidInput
        ``intent`` is not one of :func:`intent_choices`, or a message is not a
        customer's message or was redacted.
    """
    if intent not in intent_choices():
        raise InvalidInput(f"unknown intent {intent!r}", field="intent")
    added = 0
    for message in messages:
        if message.role != Message.Role.USER or message.text == "[redacted]":
            raise InvalidInput(
                f"message #{message.pk} is not a customer's message", field="message"
            )
        text = " ".join(message.text.split())[:500]
        _, created = IntentExample.objects.get_or_create(
            text=text, intent=intent, defaults={"source": "review"}
        )
        added += int(created)
    Message.objects.filter(pk__in=[m.pk for m in messages]).update(
        review_status=RS.ADDED
    )
    return added


def misunderstood_dismiss(*, messages) -> int:
    """Take messages out of the queue without adding them (returns how many)."""
    return Message.objects.filter(pk__in=[m.pk for m in messages]).update(
        review_status=RS.DISMISSED
    )


def misunderstood_retrain(*, by=None):
    """Start the ``chatbot.train`` task (its TaskRun is returned)."""
    from core.launch import task_launch

    return task_launch(name="chatbot.train", by=by)


def message_feedback(
    *, conversation: Conversation, message_id: int, helpful: bool
) -> Message:
    """A thumbs-up or -down on one of the bot's replies in ``conversation``.

    A thumbs-down puts the customer message it answered in the review queue.

    Raises
    ------
    NotFound
        No bot reply ``message_id`` in this conversation.
    """
    reply = conversation.messages.filter(pk=message_id, role=Message.Role.BOT).first()
    if reply is None:
        raise NotFound(f"no reply {message_id} in this conversation", field="message")
    slots = dict(reply.slots or {})
    slots["feedback"] = "up" if helpful else "down"
    reply.slots = slots
    reply.save(update_fields=["slots"])
    if not helpful:
        asked = (
            conversation.messages.filter(role=Message.Role.USER, id__lt=reply.pk)
            .order_by("-id")
            .first()
        )
        if asked is not None:
            asked.review = R.THUMBS_DOWN
            asked.review_status = RS.OPEN
            asked.save(update_fields=["review", "review_status"])
    return reply
