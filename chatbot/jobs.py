"""Jobs of the chatbot started from the admin (see core.jobs): retrain the intents."""

from __future__ import annotations

from django.urls import reverse

from core.jobs import Job, register


def _links(run) -> list[tuple[str, str]]:
    return [
        ("Intent evaluations", reverse("admin:chatbot_evaluationrun_changelist")),
        (
            "Misunderstood messages",
            reverse("admin:chatbot_misunderstoodmessage_changelist"),
        ),
    ]


register(
    Job(
        name="chatbot-train",
        task="chatbot.train",
        title="Retrain the chatbot's intent model",
        description="Train on the Bitext data, the shop's own examples and the "
        "messages added from the 'misunderstood messages' review; the held-out "
        "accuracy is measured, and an identical model is reused instead of retrained.",
        audience="support lead",
        permission="chatbot.add_intentexample",
        results=_links,
    )
)
