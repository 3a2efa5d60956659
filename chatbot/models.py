"""Models of the chatbot app: conversations, messages, tickets, FAQ, examples, evals,
and the support policy the bot applies."""

from __future__ import annotations

import uuid
from datetime import time
from decimal import Decimal

from django.conf import settings
from django.db import models
from solo.models import SingletonModel

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
    answer = models.TextField(
        help_text="Terms of the support policy are written as placeholders, filled "
        "in when the bot answers: {return_window_days}, {standard_price}, "
        "{standard_days}, {next_day_price}, {next_day_cutoff}, "
        "{international_price_from}, {international_days}, {cancellation_fee}, "
        "{support_email}, {support_phone}, {support_hours}, and whole sentences "
        "{standard_delivery}, {next_day_delivery}, {international_delivery}, "
        "{cancellation_terms}."
    )
    tags = models.CharField(max_length=255, blank=True, help_text="comma separated")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["key"]
        verbose_name = "FAQ entry"
        verbose_name_plural = "FAQ entries"

    def __str__(self) -> str:
        return self.question

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from .services.policy import faq_placeholders_unknown

        unknown = faq_placeholders_unknown(self.answer or "")
        if unknown:
            names = ", ".join(f"{{{name}}}" for name in unknown)
            raise ValidationError(
                {"answer": f"unknown placeholder(s) {names}; see the help text"}
            )


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
        accuracy = "–" if self.accuracy is None else f"{self.accuracy:.1%}"
        return f"{self.model_version} on {self.dataset}: accuracy {accuracy}"


class SupportPolicy(SingletonModel):
    """The shop's customer-service rules the bot checks and quotes (one row).

    Edited by the support lead in the admin ("Support policy"); the bot reads it per
    message (:func:`chatbot.services.policy.policy_get`), so a change applies at once.
    Money is GBP; days are calendar days unless a field says working days.
    """

    return_window_days = models.PositiveSmallIntegerField(
        default=30,
        help_text="days after delivery within which an order can be returned",
    )
    assumed_delivery_days = models.PositiveSmallIntegerField(
        default=5,
        help_text="days after the order date taken as its delivery date when no "
        "delivery was recorded (imported order history)",
    )
    cancel_after_payment = models.BooleanField(
        default=True,
        help_text="paid orders can still be cancelled until they ship (placed orders "
        "always can)",
    )
    address_change_after_payment = models.BooleanField(
        default=True,
        help_text="the delivery address of a paid order can still change until it "
        "ships (placed orders always can)",
    )
    cancellation_fee = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text="GBP charged for cancelling an order before it ships",
    )
    standard_price = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=Decimal("4.95"),
        help_text="GBP, UK standard delivery",
    )
    free_delivery_over = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        default=Decimal("50.00"),
        help_text="GBP order value above which UK standard delivery is free (blank: "
        "never free)",
    )
    standard_days_min = models.PositiveSmallIntegerField(
        default=3, help_text="working days, UK standard delivery (shortest)"
    )
    standard_days_max = models.PositiveSmallIntegerField(
        default=5, help_text="working days, UK standard delivery (longest)"
    )
    next_day_available = models.BooleanField(
        default=True, help_text="UK next-working-day courier offered"
    )
    next_day_price = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("9.95"), help_text="GBP"
    )
    next_day_cutoff = models.TimeField(
        default=time(13, 0), help_text="UK time; orders after it leave the next day"
    )
    international_available = models.BooleanField(
        default=True, help_text="deliveries outside the UK offered"
    )
    international_price_from = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("14.95"), help_text="GBP"
    )
    international_days_min = models.PositiveSmallIntegerField(
        default=4, help_text="working days, tracked international courier (shortest)"
    )
    international_days_max = models.PositiveSmallIntegerField(
        default=10, help_text="working days, tracked international courier (longest)"
    )
    support_email = models.EmailField(default="help@example-giftshop.co.uk")
    support_phone = models.CharField(max_length=40, default="0161 496 0000")
    support_hours = models.CharField(
        max_length=120, default="Monday to Friday 9am-5:30pm, Saturday 10am-2pm"
    )
    # The support inbox's SLA: hours from a handoff to the reply being due, by the
    # ticket's priority (chatbot.services.tickets.ticket_due_at).
    sla_hours_urgent = models.PositiveSmallIntegerField(
        default=2, help_text="hours to reply to an urgent ticket"
    )
    sla_hours_high = models.PositiveSmallIntegerField(
        default=8, help_text="hours to reply to a high-priority ticket (complaints)"
    )
    sla_hours_normal = models.PositiveSmallIntegerField(
        default=24, help_text="hours to reply to a normal ticket"
    )
    sla_hours_low = models.PositiveSmallIntegerField(
        default=72, help_text="hours to reply to a low-priority ticket"
    )

    class Meta:
        verbose_name = "support policy"

    def __str__(self) -> str:
        return "Support policy"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        if self.standard_days_min > self.standard_days_max:
            errors["standard_days_max"] = "must be at least the shortest time"
        if self.international_days_min > self.international_days_max:
            errors["international_days_max"] = "must be at least the shortest time"
        for label in ("urgent", "high", "normal", "low"):
            if not getattr(self, f"sla_hours_{label}"):
                errors[f"sla_hours_{label}"] = "must be at least 1 hour"
        if errors:
            raise ValidationError(errors)
