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
        AGENT = "agent", "support agent"

    class Review(models.TextChoices):
        """Why a customer's message waits in the "misunderstood" queue."""

        NONE = "", "-"
        LOW_CONFIDENCE = "low_confidence", "low confidence"
        CLARIFY = "clarify", "bot asked to clarify"
        HANDOFF = "handoff", "handed off"
        THUMBS_DOWN = "thumbs_down", "thumbs-down"

    class ReviewStatus(models.TextChoices):
        OPEN = "open", "to review"
        ADDED = "added", "added as an example"
        DISMISSED = "dismissed"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    role = models.CharField(max_length=5, choices=Role.choices)
    text = models.TextField()
    intent = models.CharField(max_length=40, blank=True, db_index=True)
    confidence = models.FloatField(null=True, blank=True)
    model_version = models.CharField(max_length=64, blank=True)
    slots = models.JSONField(default=dict, blank=True)
    quick_replies = models.JSONField(default=list, blank=True)
    action = models.CharField(max_length=40, blank=True)
    latency_ms = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # On customer messages the bot got wrong (see chatbot.services.review).
    review = models.CharField(
        max_length=16, choices=Review.choices, blank=True, default="", db_index=True
    )
    review_status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.OPEN
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.role}: {self.text[:60]}"


class MisunderstoodMessage(Message):
    """Customer messages the bot did not get right: the review queue's rows."""

    class Meta:
        proxy = True
        ordering = ["-created_at", "-id"]
        verbose_name = "misunderstood message"


class SupportTicket(TimeStampedModel):
    """A handoff to a person: the support inbox's row.

    ``due_at`` is the reply-by time from the SLA of its priority
    (``CHATBOT["ticket_sla_hours"]``); ``summary`` says what the conversation was
    about (:func:`chatbot.services.tickets.ticket_summary`).
    """

    class Status(models.TextChoices):
        OPEN = "open"
        IN_PROGRESS = "in_progress", "in progress"
        WAITING = "waiting", "answered, waiting for the customer"
        CLOSED = "closed"

    class Priority(models.IntegerChoices):
        LOW = 1, "low"
        NORMAL = 2, "normal"
        HIGH = 3, "high"
        URGENT = 4, "urgent"

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
    priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, default=Priority.NORMAL, db_index=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="support_tickets",
        limit_choices_to={"is_staff": True},
    )
    due_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="reply due by (from the SLA)"
    )
    contact_email = models.EmailField(
        blank=True, help_text="where replies are e-mailed (asked at the handoff)"
    )
    first_reply_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"ticket #{self.pk} ({self.get_reason_display()})"

    def get_reason_display(self) -> str:
        return self.reason.replace("_", " ")

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return (
            self.due_at is not None
            and self.status in (self.Status.OPEN, self.Status.IN_PROGRESS)
            and self.due_at < timezone.now()
        )


class TicketNote(models.Model):
    """An internal note on a ticket, or a reply sent to the customer."""

    class Kind(models.TextChoices):
        NOTE = "note", "internal note"
        REPLY = "reply", "reply to the customer"

    ticket = models.ForeignKey(
        SupportTicket, on_delete=models.CASCADE, related_name="notes"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.NOTE)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    text = models.TextField()
    emailed_to = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on ticket #{self.ticket_id}"


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
