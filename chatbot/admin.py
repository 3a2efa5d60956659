"""Admin: conversations with transcripts, the support inbox (tickets with SLA, notes and
a reply box), misunderstood messages to review, FAQ, intent examples, evaluations.

All customer text is rendered through ``format_html`` / the admin's auto-escaping, so
HTML or script typed into the chat shows as text.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from solo.admin import SingletonModelAdmin

from core.adminkit import (
    Decision,
    DecisionAdminMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInlineMixin,
    admin_link,
)
from core.exceptions import DomainError
from core.formatting import MISSING, age, moment, percent

from .charts import score_bars
from .models import (
    Conversation,
    EvaluationRun,
    FAQEntry,
    IntentExample,
    Message,
    MisunderstoodMessage,
    SupportPolicy,
    SupportTicket,
    TicketNote,
)
from .services import review, tickets


class MessageInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Message
    fields = ("created_at", "role", "text", "intent", "confidence", "model_version",
              "action")  # fmt: skip
    readonly_fields = fields


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
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


class TicketNoteInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = TicketNote
    fields = ("created_at", "kind", "author", "text", "emailed_to")
    readonly_fields = fields
    verbose_name = "note or reply"
    verbose_name_plural = "notes and replies (oldest first)"


class TicketForm(forms.ModelForm):
    """The ticket's editable fields plus a reply box and an internal-note box."""

    reply = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        help_text="Sent to the customer: e-mailed to the contact address (when "
        "known) and shown in their chat. The ticket then waits for the customer.",
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        label="Internal note",
        help_text="Only the support team sees it.",
    )

    class Meta:
        model = SupportTicket
        fields = ("status", "priority", "assignee", "contact_email")

    def clean_reply(self) -> str:
        text = self.cleaned_data.get("reply", "").strip()
        refusal = tickets.ticket_reply_refusal(self.instance) if text else ""
        if refusal:
            raise forms.ValidationError(refusal)
        return text


class TicketQueueFilter(admin.SimpleListFilter):
    """Not-closed tickets by default (the inbox); ``?overdue=1`` for late ones."""

    title = "queue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return (("1", "overdue (past the reply time)"),)

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(status__in=tickets.ACTIVE, due_at__lt=timezone.now())
        return queryset


class TicketStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "not closed (default)")] + list(
            SupportTicket.Status.choices
        ) + [("all", "all")]  # fmt: skip

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            selected = (self.value() or "active") == lookup
            yield {
                "selected": selected,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: lookup}
                ),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or "active"
        if value == "active":
            return queryset.exclude(status=SupportTicket.Status.CLOSED)
        if value == "all":
            return queryset
        return queryset.filter(status=value)


def _take(request, rows):
    n = tickets.tickets_take(tickets=rows, by=request.user)
    return f"{n} ticket(s) assigned to you and in progress."


def _close(request, rows):
    return f"{tickets.tickets_close(tickets=rows, by=request.user)} ticket(s) closed."


@admin.register(SupportTicket)
class SupportTicketAdmin(DecisionAdminMixin, admin.ModelAdmin):
    """The support inbox: most urgent and overdue first, a reply box on each ticket."""

    form = TicketForm
    list_display = ("ticket", "priority_label", "due", "status", "summary_view",
                    "customer_label", "assignee")  # fmt: skip
    list_display_links = ("ticket",)
    list_filter = (TicketStatusFilter, TicketQueueFilter, "priority", "reason",
                   "assignee")  # fmt: skip
    search_fields = ("summary", "transcript", "customer__external_id", "contact_email")
    ordering = ("-priority", "due_at")
    list_select_related = ("customer", "assignee")
    readonly_fields = ("conversation_link", "customer", "reason_label", "summary",
                       "created_at", "due_at", "first_reply_at", "closed_at",
                       "chat")  # fmt: skip
    fieldsets = (
        (None, {"fields": ("summary", ("status", "priority", "assignee"),
                           ("due_at", "first_reply_at", "closed_at"),
                           ("customer", "contact_email"),
                           ("reason_label", "created_at", "conversation_link"))}),
        ("Reply", {"fields": ("reply", "note")}),
        ("Conversation", {"fields": ("chat",)}),
    )  # fmt: skip
    inlines = [TicketNoteInline]
    decisions = (
        Decision(
            "take",
            "Assign to me",
            run=_take,
            applies=lambda t: t.status in tickets.ACTIVE,
            style="primary",
        ),
        Decision("close", "Close", run=_close, applies=lambda t: t.status != "closed"),
    )

    def has_add_permission(self, request) -> bool:
        return False  # tickets come from handoffs in the chat

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="ticket", ordering="pk")
    def ticket(self, obj) -> str:
        return f"#{obj.pk}"

    @admin.display(description="priority", ordering="priority")
    def priority_label(self, obj) -> str:
        return obj.get_priority_display()

    @admin.display(description="reply due", ordering="due_at")
    def due(self, obj):
        if obj.due_at is None:
            return MISSING
        if obj.is_overdue:
            return format_html(
                '<strong style="color:#ba2121" title="{}">overdue, due {}</strong>',
                moment(obj.due_at),
                age(obj.due_at),
            )
        return format_html('<span title="{}">{}</span>', moment(obj.due_at),
                           age(obj.due_at))  # fmt: skip

    @admin.display(description="what it is about")
    def summary_view(self, obj):
        return format_html(
            '<span style="display:inline-block;min-width:12em">{}</span>', obj.summary
        )

    @admin.display(description="opened", ordering="created_at")
    def opened(self, obj):
        return format_html('<span title="{}">{}</span>', moment(obj.created_at),
                           age(obj.created_at))  # fmt: skip

    @admin.display(description="reason", ordering="reason")
    def reason_label(self, obj) -> str:
        return tickets.REASONS.get(obj.reason, obj.get_reason_display())

    @admin.display(description="customer", ordering="customer")
    def customer_label(self, obj) -> str:
        return str(obj.customer) if obj.customer_id else "guest"

    @admin.display(description="conversation")
    def conversation_link(self, obj):
        return admin_link(obj.conversation, "open the conversation")

    @admin.display(description="chat")
    def chat(self, obj):
        rows = format_html_join(
            "",
            "<tr><td style='white-space:nowrap'>{}</td><td><b>{}</b></td>"
            "<td style='white-space:pre-wrap'>{}</td></tr>",
            (
                (moment(m.created_at), m.get_role_display(), m.text)
                for m in obj.conversation.messages.all()
            ),
        )
        return format_html("<table>{}</table>", rows)

    def save_model(self, request, obj, form, change) -> None:
        if "priority" in form.changed_data:
            obj.due_at = tickets.ticket_due_at(
                priority=obj.priority, start=obj.created_at
            )
        if "status" in form.changed_data and obj.status == "closed":
            obj.closed_at = timezone.now()
        super().save_model(request, obj, form, change)
        if form.cleaned_data.get("note"):
            tickets.ticket_note_add(
                ticket=obj, text=form.cleaned_data["note"], by=request.user
            )
        if form.cleaned_data.get("reply"):
            note = tickets.ticket_reply(
                ticket=obj, text=form.cleaned_data["reply"], by=request.user
            )
            where = f"e-mailed to {note.emailed_to} and " if note.emailed_to else ""
            messages.success(request, f"Reply {where}posted in the customer's chat.")


class IntentActionForm(ActionForm):
    intent = forms.ChoiceField(
        required=False, label="intent", choices=(("", "(choose an intent)"),)
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["intent"].choices = [("", "(choose an intent)")] + [
            (i, i.replace("_", " ")) for i in review.intent_choices()
        ]


@admin.action(description="Add as an example of the intent chosen here")
def add_as_example(modeladmin, request, queryset):
    intent = request.POST.get("intent", "")
    if not intent:
        modeladmin.message_user(
            request, "Choose the intent from the list first.", messages.ERROR
        )
        return
    try:
        added = review.misunderstood_add_examples(
            messages=list(queryset), intent=intent, by=request.user
        )
    except DomainError as exc:
        modeladmin.message_user(request, exc.message, messages.ERROR)
        return
    modeladmin.message_user(
        request,
        f"{added} example(s) of {intent} added. Run 'Retrain the intent model' to "
        "use them (a background task).",
        messages.SUCCESS,
    )


@admin.action(description="Dismiss (nothing to learn)")
def dismiss(modeladmin, request, queryset):
    n = review.misunderstood_dismiss(messages=list(queryset))
    modeladmin.message_user(request, f"{n} message(s) dismissed.", messages.SUCCESS)


@admin.action(description="Retrain the intent model now (background task)")
def retrain_from_review(modeladmin, request, queryset):
    try:
        run = review.misunderstood_retrain(by=request.user)
    except DomainError as exc:
        modeladmin.message_user(request, exc.message, messages.ERROR)
        return
    url = reverse("admin:core_taskrun_change", args=[run.pk])
    modeladmin.message_user(
        request,
        format_html(
            'Training started: <a href="{}">follow task run #{}</a>.', url, run.pk
        ),  # fmt: skip
        messages.SUCCESS,
    )


class ReviewStatusFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "review_status"

    def lookups(self, request, model_admin):
        return list(Message.ReviewStatus.choices) + [("all", "all")]

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": (self.value() or "open") == lookup,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: lookup}
                ),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or "open"
        return queryset if value == "all" else queryset.filter(review_status=value)


class ReviewReasonFilter(admin.SimpleListFilter):
    title = "why"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [c for c in Message.Review.choices if c[0]]

    def queryset(self, request, queryset):
        return queryset.filter(review=self.value()) if self.value() else queryset


@admin.register(MisunderstoodMessage)
class MisunderstoodMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Customer messages the bot missed: add each as an example of the right intent."""

    list_display = ("text", "review_label", "bot_reading", "review_status",
                    "received", "conversation_link")  # fmt: skip
    list_filter = (ReviewStatusFilter, ReviewReasonFilter)
    search_fields = ("text",)
    actions = [add_as_example, dismiss, retrain_from_review]
    action_form = IntentActionForm
    fields = ("text", "review", "review_status", "created_at", "bot_reading",
              "conversation_link")  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(role=Message.Role.USER)
            .exclude(review="")
            .exclude(text="[redacted]")
            .select_related("conversation")
        )

    def get_actions(self, request):
        # Read-only rows, but the review actions apply (view permission suffices).
        actions = super().get_actions(request)
        if not request.user.has_perm("chatbot.add_intentexample"):
            actions.pop("add_as_example", None)
            actions.pop("retrain_from_review", None)
        return actions

    @admin.display(description="why", ordering="review")
    def review_label(self, obj) -> str:
        return obj.get_review_display()

    @admin.display(description="received", ordering="created_at")
    def received(self, obj) -> str:
        return moment(obj.created_at)

    @admin.display(description="the bot read it as")
    def bot_reading(self, obj) -> str:
        reply = (
            Message.objects.filter(
                conversation_id=obj.conversation_id, role="bot", id__gt=obj.pk
            )
            .order_by("id")
            .first()
        )
        if reply is None or not reply.intent:
            return MISSING
        if reply.confidence is None:
            return reply.intent
        return f"{reply.intent} ({percent(reply.confidence, places=0)})"

    @admin.display(description="conversation")
    def conversation_link(self, obj):
        return admin_link(obj.conversation, "open")


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
class EvaluationRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
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
        (
            "Support inbox: hours to reply by ticket priority (SLA)",
            {
                "fields": (
                    ("sla_hours_urgent", "sla_hours_high"),
                    ("sla_hours_normal", "sla_hours_low"),
                )
            },
        ),
    )
