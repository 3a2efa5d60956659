"""Models of the chatbot app: conversations, messages, tickets, FAQ, examples, evals."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from core.models import ModelArtifact, TimeStampedModel


class Conversation(TimeStampedModel):
    """One chat. ``state`` holds the dialogue state (pending slot/confirmation)."""

    class Status(models.TextChoices):
        OPEN = "open"
        HANDED_OFF = "handed_off"
        CLOSED = "closed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_conversations",
    )
    customer = models.ForeignKey(
        "shop.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_conversations",
    )
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    state = models.JSONField(default=dict, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)
    redacted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"conversation {self.public_id}"


class Message(models.Model):
    """One turn: the customer's text or the bot's reply, with the NLU's reading."""

    class Role(models.TextChoices):
        USER = "user"
        BOT = "bot"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    role = models.CharField(max_length=4, choices=Role.choices)
    text = models.TextField()
    intent = models.CharField(max_length=40, blank=True, db_index=True)
    confidence = models.FloatField(null=True, blank=True)
    model_version = models.CharField(max_length=64, blank=True)
    slots = models.JSONField(default=dict, blank=True)
    quick_replies = models.JSONField(default=list, blank=True)
    action = models.CharField(max_length=40, blank=True)
    latency_ms = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.role}: {self.text[:60]}"


class SupportTicket(TimeStampedModel):
    """A handoff to a person, with the transcript at the time of the handoff."""

    class Status(models.TextChoices):
        OPEN = "open"
        IN_PROGRESS = "in_progress"
        CLOSED = "closed"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="tickets"
    )
    customer = models.ForeignKey(
        "shop.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="support_tickets",
    )
    reason = models.CharField(max_length=40)
    summary = models.CharField(max_length=255, blank=True)
    transcript = models.TextField(blank=True)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"ticket #{self.pk} ({self.reason}, {self.status})"


class FAQEntry(TimeStampedModel):
    """A knowledge-base answer, retrieved by similarity of the question."""

    key = models.SlugField(max_length=64, unique=True)
    question = models.CharField(max_length=255)
    answer = models.TextField()
    tags = models.CharField(max_length=255, blank=True, help_text="comma separated")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["key"]
        verbose_name = "FAQ entry"
        verbose_name_plural = "FAQ entries"

    def __str__(self) -> str:
        return self.question


class IntentExample(TimeStampedModel):
    """A training utterance of the shop's own intents (merged with Bitext)."""

    text = models.CharField(max_length=500)
    intent = models.CharField(max_length=40, db_index=True)
    source = models.CharField(max_length=16, default="admin", help_text="seed|admin")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["intent", "text"]
        constraints = [
            models.UniqueConstraint(fields=["text", "intent"], name="intent_example_uq")
        ]

    def __str__(self) -> str:
        return f"{self.intent}: {self.text}"


class EvaluationRun(TimeStampedModel):
    """Accuracy, macro-F1, per-intent P/R/F1 and latency of a model on a data set."""

    artifact = models.ForeignKey(
        ModelArtifact, null=True, blank=True, on_delete=models.SET_NULL
    )
    model_version = models.CharField(max_length=64, blank=True)
    dataset = models.CharField(max_length=255)
    n_examples = models.PositiveIntegerField(default=0)
    accuracy = models.FloatField(null=True)
    macro_f1 = models.FloatField(null=True)
    per_intent = models.JSONField(default=dict, blank=True)
    latency_p50_ms = models.FloatField(null=True, blank=True)
    latency_p95_ms = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.model_version} on {self.dataset}: acc {self.accuracy}"
