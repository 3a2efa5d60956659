"""Admin: conversations with transcripts, tickets, FAQ, intent examples, evaluations.

All customer text is rendered through ``format_html`` / the admin's auto-escaping, so
HTML or script typed into the chat shows as text.
"""

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join
from solo.admin import SingletonModelAdmin

from .charts import score_bars
from .models import (
    Conversation,
    EvaluationRun,
    FAQEntry,
    IntentExample,
    Message,
    SupportPolicy,
    SupportTicket,
)


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ("created_at", "role", "text", "intent", "confidence", "model_version",
              "action")  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("public_id", "created_at", "customer", "status", "message_count",
                    "last_intent")  # fmt: skip
    list_filter = ("status",)
    search_fields = ("public_id", "customer__external_id", "messages__text")
    readonly_fields = ("public_id", "user", "customer", "session_key", "state",
                       "failures", "redacted_at", "transcript")  # fmt: skip
    inlines = [MessageInline]

    @admin.display(description="messages")
    def message_count(self, obj) -> int:
        return obj.messages.count()

    @admin.display(description="last intent")
    def last_intent(self, obj) -> str:
        last = obj.messages.exclude(intent="").order_by("-created_at").first()
        return f"{last.intent} ({last.confidence or 0:.2f})" if last else ""

    @admin.display(description="transcript")
    def transcript(self, obj):
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td><b>{}</b></td><td style='white-space:pre-wrap'>{}</td>"
            "<td>{}</td></tr>",
            (
                (
                    f"{m.created_at:%H:%M:%S}",
                    m.role,
                    m.text,
                    f"{m.intent} {m.confidence:.2f}"
                    if m.confidence is not None
                    else "",
                )
                for m in obj.messages.all()
            ),
        )
        return format_html("<table>{}</table>", rows)


@admin.register(SupportTicket)
class SupportTicketAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "reason", "status", "customer", "summary")
    list_filter = ("status", "reason")
    search_fields = ("summary", "transcript", "customer__external_id")
    readonly_fields = ("conversation", "customer", "reason", "transcript_view")
    exclude = ("transcript",)

    @admin.display(description="transcript")
    def transcript_view(self, obj):
        return format_html("<pre style='white-space:pre-wrap'>{}</pre>", obj.transcript)


@admin.register(FAQEntry)
class FAQEntryAdmin(admin.ModelAdmin):
    list_display = ("key", "question", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("key", "question", "answer", "tags")


@admin.action(description="Retrain the intent model (Celery task chatbot.train)")
def retrain(modeladmin, request, queryset):
    from .services.training import chatbot_retrain_schedule

    chatbot_retrain_schedule(always=True)
    messages.info(request, "Training queued; the current model serves until it ends.")


@admin.register(IntentExample)
class IntentExampleAdmin(admin.ModelAdmin):
    list_display = ("text", "intent", "source", "is_active")
    list_filter = ("intent", "source", "is_active")
    search_fields = ("text",)
    actions = [retrain]

    def _changed(self, request) -> None:
        from .services.training import chatbot_retrain_schedule

        if chatbot_retrain_schedule():
            messages.info(request, "Examples changed: retraining queued.")
        else:
            messages.info(
                request,
                "Examples changed: run the 'Retrain' action or manage.py "
                "train_chatbot to use them.",
            )

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        self._changed(request)

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        self._changed(request)


@admin.register(EvaluationRun)
class EvaluationRunAdmin(admin.ModelAdmin):
    list_display = ("created_at", "model_version", "dataset", "n_examples", "accuracy",
                    "macro_f1", "latency_p50_ms", "latency_p95_ms")  # fmt: skip
    list_filter = ("model_version",)
    readonly_fields = ("artifact", "model_version", "dataset", "n_examples", "accuracy",
                       "macro_f1", "latency_p50_ms", "latency_p95_ms", "f1_chart",
                       "history_chart")  # fmt: skip
    exclude = ("per_intent",)

    @admin.display(description="F1 per intent")
    def f1_chart(self, obj):
        values = sorted(
            ((k, v.get("f1", 0.0)) for k, v in (obj.per_intent or {}).items()),
            key=lambda kv: kv[1],
        )
        return score_bars(values, title="F1 per intent (worst first)")

    @admin.display(description="accuracy of recent runs on this dataset")
    def history_chart(self, obj):
        runs = EvaluationRun.objects.filter(dataset=obj.dataset).order_by("-created_at")
        values = [(f"{r.model_version} #{r.pk}", r.accuracy or 0.0) for r in runs[:15]]
        return score_bars(values[::-1], title="Accuracy (oldest first)")


@admin.register(SupportPolicy)
class SupportPolicyAdmin(SingletonModelAdmin):
    """The rules the bot applies and quotes; a change applies to the next message."""

    fieldsets = (
        ("Returns", {"fields": ("return_window_days", "assumed_delivery_days")}),
        (
            "Cancellation and address change (before the order ships)",
            {
                "fields": (
                    "cancel_after_payment",
                    "cancellation_fee",
                    "address_change_after_payment",
                )
            },
        ),
        (
            "Delivery (GBP; working days)",
            {
                "fields": (
                    ("standard_price", "free_delivery_over"),
                    ("standard_days_min", "standard_days_max"),
                    ("next_day_available", "next_day_price", "next_day_cutoff"),
                    ("international_available", "international_price_from"),
                    ("international_days_min", "international_days_max"),
                )
            },
        ),
        (
            "Who can help",
            {"fields": ("support_email", "support_phone", "support_hours")},
        ),
    )
