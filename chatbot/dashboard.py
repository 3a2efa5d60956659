"""The support desk on the admin home (see core.dashboard): open and overdue tickets,
misunderstood messages to review, and the intent model.

Written against both shapes of the support inbox: with a due time (``due_at``, the
inbox's ``?overdue=1`` filter and its default "not closed" list) the card counts
overdue tickets; before it, open and in-progress tickets by status.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from core.adminkit import changelist_url
from core.dashboard import (
    ModelHealth,
    Queue,
    daily_counts,
    register_health,
    register_queue,
)

from . import models
from .models import SupportTicket

ACTIVE = ("open", "in_progress")
HAS_DUE = any(f.name == "due_at" for f in SupportTicket._meta.fields)


def _not_closed():
    if HAS_DUE:
        return SupportTicket.objects.exclude(status="closed")
    return SupportTicket.objects.filter(status__in=ACTIVE)


def _overdue() -> int:
    return SupportTicket.objects.filter(
        status__in=ACTIVE, due_at__lt=timezone.now()
    ).count()


def _tickets_url() -> str:
    if HAS_DUE:
        return reverse("admin:chatbot_supportticket_changelist")
    return changelist_url(SupportTicket, status__in=",".join(ACTIVE))


def _intents(artifact) -> str:
    m = artifact.metrics or {}
    if m.get("holdout_accuracy") is None:
        return ""
    text = f"held-out accuracy {m['holdout_accuracy']:.1%}"
    if m.get("holdout_macro_f1") is not None:
        text += f", macro-F1 {m['holdout_macro_f1']:.3f}"
    if m.get("intents"):
        text += f" over {m['intents']} intents"
    return text


register_queue(
    Queue(
        name="tickets-open",
        title="Open support tickets",
        audience="support lead",
        permission="chatbot.view_supportticket",
        url=_tickets_url,
        count=lambda: _not_closed().count(),
        urgent=_overdue if HAS_DUE else None,
        urgent_label="overdue (past the reply time)",
        urgent_url=lambda: (
            reverse("admin:chatbot_supportticket_changelist") + "?overdue=1"
        ),
        trend=lambda: daily_counts(SupportTicket.objects.all(), "created_at"),
        trend_label="tickets opened per day, last 14 days",
        hint="Most urgent and overdue first." if HAS_DUE else "",
    )
)

if hasattr(models, "MisunderstoodMessage"):
    Misunderstood = models.MisunderstoodMessage

    def _to_review():
        return (
            Misunderstood.objects.filter(role="user", review_status="open")
            .exclude(review="")
            .exclude(text="[redacted]")
        )

    register_queue(
        Queue(
            name="misunderstood",
            title="Misunderstood messages to review",
            audience="support lead",
            permission="chatbot.view_misunderstoodmessage",
            url=lambda: reverse("admin:chatbot_misunderstoodmessage_changelist"),
            count=lambda: _to_review().count(),
            trend=lambda: daily_counts(_to_review(), "created_at"),
            trend_label="still to review, by day received",
            hint="Add a message as an example of an intent; retraining is a task.",
        )
    )

register_health(
    ModelHealth(
        kind="chatbot.intents",
        title="Chatbot intents",
        metric=_intents,
        train_task="chatbot.train",
        permission="chatbot.view_evaluationrun",
    )
)
