"""The support desk on the admin home (see core.dashboard): open tickets and the
intent model."""

from __future__ import annotations

from core.adminkit import changelist_url
from core.dashboard import (
    ModelHealth,
    Queue,
    daily_counts,
    register_health,
    register_queue,
)

from .models import SupportTicket

OPEN = ("open", "in_progress")


def _open():
    return SupportTicket.objects.filter(status__in=OPEN)


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
        url=lambda: changelist_url(SupportTicket, status__in=",".join(OPEN)),
        count=lambda: _open().count(),
        trend=lambda: daily_counts(SupportTicket.objects.all(), "created_at"),
        trend_label="tickets opened per day, last 14 days",
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
