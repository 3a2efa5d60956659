"""Experiments in the admin: create a draft with its variants, start, stop, read the
results (lift over time, guardrails, SRM) and ship a variant."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from core.adminkit import (
    Decision,
    DecisionAdminMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInlineMixin,
    column,
    kv_table,
)
from core.exceptions import InvalidInput
from core.formatting import MISSING
from shop.clock import shop_now

from . import services
from .admin_readout import config_text, readout_html
from .conf import SURFACES
from .models import Experiment, ExperimentAudit, Impression, SurfaceConfig, Variant
from .selectors import experiment_readout

DRAFT = Experiment.Status.DRAFT


def _form_error(exc: InvalidInput, fields) -> ValidationError:
    if exc.field in fields:
        return ValidationError({exc.field: exc.message})
    return ValidationError(exc.message)


class ExperimentForm(forms.ModelForm):
    surfaces = forms.MultipleChoiceField(
        choices=list(SURFACES.items()), widget=forms.CheckboxSelectMultiple
    )
    guardrails = forms.MultipleChoiceField(
        choices=Experiment.Guardrail.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=list(Experiment.Guardrail.values),
    )

    class Meta:
        model = Experiment
        fields = [
            "name",
            "hypothesis",
            "surfaces",
            "planned_start",
            "planned_stop",
            "primary_metric",
            "guardrails",
            "attribution_days",
            "pre_period_days",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # planned dates are read on the shop clock (the one that stamps starts,
        # stops and impressions): on historical demo data it is the data's last day
        now = timezone.localtime(shop_now())
        clock = f"; on the shop clock, now {now:%Y-%m-%d %H:%M}"
        for name in ("planned_start", "planned_stop"):
            if name in self.fields:
                self.fields[name].help_text += clock
        if not self.instance.pk and "planned_start" in self.fields:
            self.fields["planned_start"].initial = now.replace(second=0, microsecond=0)

    def clean(self):
        data = super().clean()
        try:
            data["surfaces"] = services.check_surfaces(data.get("surfaces"))
            services.check_overlap(
                data["surfaces"],
                planned_start=data.get("planned_start"),
                planned_stop=data.get("planned_stop"),
                exclude_pk=self.instance.pk,
            )
        except InvalidInput as exc:
            raise _form_error(exc, self.fields) from None
        try:
            services.check_planned_window(
                data.get("planned_start"), data.get("planned_stop")
            )
        except InvalidInput as exc:
            raise _form_error(exc, self.fields) from None
        if not data.get("attribution_days"):
            raise ValidationError({"attribution_days": "at least 1 day"})
        return data


class VariantForm(forms.ModelForm):
    holdout = forms.BooleanField(
        required=False, help_text="no recommendations at all (a holdout)"
    )
    strategy = forms.ChoiceField(
        choices=[("model", "active model"), ("bestsellers", "bestsellers")],
        initial="model",
    )
    max_items = forms.IntegerField(
        required=False, min_value=1, max_value=100, help_text="at most this many items"
    )

    class Meta:
        model = Variant
        fields = ["name", "share", "is_control", "description"]
        widgets = {
            "name": forms.TextInput(attrs={"size": 14}),
            "share": forms.NumberInput(attrs={"style": "width:6em", "step": "0.05"}),
            "description": forms.TextInput(attrs={"size": 22}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        config = self.instance.serving_config or {}
        self.fields["holdout"].initial = bool(config.get("holdout"))
        self.fields["strategy"].initial = config.get("strategy", "model")
        self.fields["max_items"].initial = config.get("k")

    def serving_config(self) -> dict:
        data = self.cleaned_data
        config = {"strategy": data.get("strategy") or "model"}
        if data.get("holdout"):
            config = {"holdout": True}
        elif data.get("max_items"):
            config["k"] = int(data["max_items"])
        return config

    def save(self, commit=True):
        self.instance.serving_config = self.serving_config()
        return super().save(commit)


class VariantFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            rows.append({**data, "serving_config": form.serving_config()})
        try:
            services.check_variants(rows)
        except InvalidInput as exc:
            raise ValidationError(f"{exc.field}: {exc.message}") from None


class VariantInline(admin.TabularInline):
    model = Variant
    form = VariantForm
    formset = VariantFormSet
    extra = 2
    min_num = 0

    def _draft(self, obj) -> bool:
        return obj is None or obj.status == DRAFT

    def has_add_permission(self, request, obj=None):
        return self._draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._draft(obj) and super().has_delete_permission(request, obj)

    def get_extra(self, request, obj=None, **kwargs):
        return 2 if obj is None else 0


class VariantRecordInline(ReadOnlyInlineMixin, admin.TabularInline):
    """The variants of a started experiment: what each serves, read only."""

    model = Variant
    fields = ["name", "share_text", "is_control", "serving", "description"]
    readonly_fields = fields
    verbose_name = "variant"

    @admin.display(description="share")
    def share_text(self, obj):
        return f"{obj.share:.0%}"

    @admin.display(description="serving configuration")
    def serving(self, obj):
        return config_text(obj.serving_config)


class AuditInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = ExperimentAudit
    fields = ["at", "action", "by", "details_table"]
    readonly_fields = fields
    verbose_name = "audit record"

    @admin.display(description="details")
    def details_table(self, obj):
        return kv_table(obj.details)


def _start(request, rows):
    for row in rows:
        services.experiment_start(experiment=row, by=request.user)
    return f"Started {len(rows)} experiment(s): variants are served from now on."


def _stop(request, rows):
    for row in rows:
        services.experiment_stop(experiment=row, by=request.user)
    return f"Stopped {len(rows)} experiment(s); every record is kept."


@admin.register(Experiment)
class ExperimentAdmin(DecisionAdminMixin, admin.ModelAdmin):
    form = ExperimentForm
    inlines = [VariantInline, AuditInline]
    list_display = [
        "name",
        "status",
        "surfaces_text",
        "variants_text",
        "started_at",
        "stopped_at",
    ]
    list_filter = ["status"]
    search_fields = ["name", "hypothesis"]
    decisions = (
        Decision(
            "start",
            "Start the experiment",
            run=_start,
            applies=lambda obj: obj.status == DRAFT,
            style="primary",
        ),
        Decision(
            "stop",
            "Stop (keep every record)",
            run=_stop,
            applies=lambda obj: obj.status == Experiment.Status.RUNNING,
            style="danger",
        ),
    )

    @admin.display(description="surfaces")
    def surfaces_text(self, obj):
        return ", ".join(obj.surfaces or []) or MISSING

    @admin.display(description="variants (share)")
    def variants_text(self, obj):
        return (
            "; ".join(
                f"{v.name} {v.share:.0%}: {config_text(v.serving_config)}"
                for v in obj.variants.all()
            )
            or MISSING
        )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("variants")

    change_form_template = "admin/experiments/experiment_change_form.html"
    LOCKED = ["name", "hypothesis", "surfaces_text", "planned_start",
              "planned_stop", "primary_metric", "guardrails_text",
              "attribution_days", "pre_period_days", "status", "started_at",
              "stopped_at", "shipped_variant"]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != DRAFT:
            return self.LOCKED
        return ["status", "started_at", "stopped_at"]

    def get_fieldsets(self, request, obj=None):
        if obj is not None and obj.status != DRAFT:
            return [("Experiment", {"fields": self.LOCKED})]
        fields = [*ExperimentForm.Meta.fields, "status", "started_at", "stopped_at"]
        return [(None, {"fields": fields})]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != DRAFT:
            return False  # a started experiment is a record: decisions only
        return super().has_change_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if obj is not None and obj.status != DRAFT:
            readout = experiment_readout(experiment=obj)
            request.experiment_winner = readout.winner  # labels its Ship button
            extra["readout"] = readout_html(obj, readout)
        return super().change_view(request, object_id, form_url, extra)

    @admin.display(description="guardrails")
    def guardrails_text(self, obj):
        names = dict(Experiment.Guardrail.choices)
        return ", ".join(names.get(g, g) for g in obj.guardrails or []) or MISSING

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (obj.status != DRAFT or obj.impressions.exists()):
            return False
        return super().has_delete_permission(request, obj)

    # --- ship: one button per variant -------------------------------------------------

    def _decision(self, name: str) -> Decision:
        if name.startswith("ship-"):
            pk = int(name.removeprefix("ship-"))
            return _ship_decision(Variant.objects.get(pk=pk))
        return super()._decision(name)

    def decision_buttons(self, request, obj) -> list[dict]:
        buttons = super().decision_buttons(request, obj)
        if obj is None or obj.status not in (
            Experiment.Status.RUNNING,
            Experiment.Status.STOPPED,
        ):
            return buttons
        opts = self.model._meta
        winner = getattr(request, "experiment_winner", None)
        for variant in obj.variants.all():
            decision = _ship_decision(variant)
            label = decision.label + (" (the winner)" if variant.name == winner else "")
            if self._may(request, decision):
                url = reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_decide",
                    args=[obj.pk, decision.name],
                )
                buttons.append(
                    {"name": decision.name, "label": label,
                     "style": decision.style, "note": False, "url": url}
                )  # fmt: skip
        return buttons

    def get_inline_instances(self, request, obj=None):
        if obj is None:  # no audit records before the experiment exists
            return [VariantInline(self.model, self.admin_site)]
        if obj.status == DRAFT:
            return [VariantInline(self.model, self.admin_site),
                    AuditInline(self.model, self.admin_site)]  # fmt: skip
        return [VariantRecordInline(self.model, self.admin_site),
                AuditInline(self.model, self.admin_site)]  # fmt: skip

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


def _ship_decision(variant: Variant) -> Decision:
    def run(request, rows):
        for row in rows:
            services.experiment_ship(experiment=row, variant=variant, by=request.user)
        return (
            f"Shipped {variant.name}: its serving configuration now serves "
            f"everyone on {', '.join(variant.experiment.surfaces)}."
        )

    return Decision(
        f"ship-{variant.pk}",
        f"Ship {variant.name}",
        run=run,
        applies=lambda obj: (
            obj.status in (Experiment.Status.RUNNING, Experiment.Status.STOPPED)
        ),
        style="default",
        bulk=False,
    )


@admin.register(SurfaceConfig)
class SurfaceConfigAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["surface", "config_table", "shipped_from", "updated_at"]

    @admin.display(description="serving configuration")
    def config_table(self, obj):
        return kv_table(obj.serving_config)


@admin.register(Impression)
class ImpressionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "served_at",
        "surface",
        "experiment",
        "variant",
        "unit",
        "items",
        column("latency_ms", lambda v: f"{v:,.1f} ms", "latency"),
    ]
    list_filter = ["surface", "experiment"]
    search_fields = ["recommendation_id", "unit"]
    list_select_related = ["experiment", "variant"]

    @admin.display(description="items")
    def items(self, obj):
        return format_html("{}", len(obj.product_ids or []))
