"""Pricing admin: review suggestions (approve / edit / reject in bulk) with charts."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from core.exceptions import DomainError

from .charts import demand_chart, histogram_chart, objective_chart
from .models import CompetitorPrice, ElasticityEstimate, PriceSuggestion, PricingRule
from .services import suggestions_approve, suggestions_edit, suggestions_reject


@admin.register(PricingRule)
class PricingRuleAdmin(admin.ModelAdmin):
    list_display = (
        "scope",
        "category",
        "product",
        "objective",
        "min_margin",
        "max_change",
        "extrapolation",
        "endings",
        "assumed_margin",
        "is_active",
    )
    list_filter = ("scope", "is_active", "objective")
    raw_id_fields = ("product",)


@admin.register(CompetitorPrice)
class CompetitorPriceAdmin(admin.ModelAdmin):
    list_display = ("product", "competitor", "price", "observed_at")
    search_fields = ("product__stock_code", "competitor")
    raw_id_fields = ("product",)


@admin.register(ElasticityEstimate)
class ElasticityEstimateAdmin(admin.ModelAdmin):
    list_display = (
        "product",
        "category",
        "status",
        "elasticity",
        "ci_low",
        "ci_high",
        "pooled",
        "quality",
        "n_weeks",
        "n_prices",
        "n_free_lines",
        "is_current",
    )
    list_filter = ("is_current", "status", "pooled", "quality", "category")
    search_fields = ("product__stock_code", "product__description")
    list_select_related = ("product",)
    exclude = ("points",)
    readonly_fields = ("demand_curve",)

    def get_readonly_fields(self, request, obj=None):
        names = [f.name for f in self.model._meta.fields if f.name != "points"]
        return ["demand_curve"] + names

    def changelist_view(self, request, extra_context=None):
        qs = ElasticityEstimate.objects.filter(is_current=True)
        own = qs.filter(status="identified").values_list("elasticity", flat=True)
        everyone = qs.exclude(elasticity=None).values_list("elasticity", flat=True)
        counts = dict(qs.values_list("status").annotate(n=Count("id")))
        extra_context = {
            **(extra_context or {}),
            "elasticity_charts": format_html(
                "{}{}",
                mark_safe(
                    histogram_chart(  # noqa: S308 (built server-side)
                        list(own),
                        title="Own-data elasticities (identified)",
                        x_label="elasticity",
                    )
                ),
                mark_safe(
                    histogram_chart(  # noqa: S308
                        list(everyone),
                        title="All current elasticities (incl. pooled)",
                        x_label="elasticity",
                    )
                ),
            ),
            "elasticity_summary": "Current estimates by status: "
            + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
        }
        return super().changelist_view(request, extra_context=extra_context)

    @admin.display(description="fitted demand curve")
    def demand_curve(self, obj):
        svg = demand_chart(obj, current=float(obj.product.list_price) or None)
        return mark_safe(svg) if svg else obj.message  # noqa: S308 (built server-side)


class SuggestionRowForm(forms.ModelForm):
    """The changelist's 'edited price' cell: only proposed rows may be edited."""

    class Meta:
        model = PriceSuggestion
        fields = ("edited_price",)

    def clean_edited_price(self):
        value = self.cleaned_data["edited_price"]
        if (
            value != self.instance.edited_price
            and self.instance.status != PriceSuggestion.Status.PROPOSED
        ):
            raise forms.ValidationError(
                f"suggestion {self.instance.pk} is {self.instance.status}; only "
                "proposed suggestions can be edited"
            )
        if value is not None and value <= 0:
            raise forms.ValidationError("the edited price must be above 0 GBP")
        return value


@admin.register(PriceSuggestion)
class PriceSuggestionAdmin(admin.ModelAdmin):
    list_display = (
        "product",
        "kind",
        "status",
        "current_price",
        "suggested_price",
        "edited_price",
        "elasticity",
        "profit_change",
        "binding_constraint",
        "model_version",
        "created_at",
    )
    list_editable = ("edited_price",)
    list_filter = ("status", "kind", "inelastic", "objective")
    search_fields = ("product__stock_code", "product__description")
    list_select_related = ("product",)
    actions = ("approve", "approve_edited", "reject")
    readonly_fields = ("charts",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "charts",
                    "product",
                    "kind",
                    "status",
                    "current_price",
                    "suggested_price",
                    "edited_price",
                    "rationale",
                )
            },
        ),
        (
            "Expected effect per week",
            {
                "fields": (
                    "units_now",
                    "units_change",
                    "units_change_low",
                    "units_change_high",
                    "revenue_change",
                    "revenue_change_low",
                    "revenue_change_high",
                    "profit_change",
                    "profit_change_low",
                    "profit_change_high",
                )
            },
        ),
        (
            "Evidence",
            {
                "fields": (
                    "elasticity",
                    "elasticity_low",
                    "elasticity_high",
                    "objective",
                    "unit_cost",
                    "cost_source",
                    "binding_constraint",
                    "inelastic",
                    "model_version",
                    "decision",
                )
            },
        ),
        (
            "Review",
            {
                "fields": (
                    "reviewed_by",
                    "reviewed_at",
                    "review_note",
                    "applied_at",
                    "price_change",
                )
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        editable = (
            {"edited_price", "review_note"}
            if (obj and obj.status == PriceSuggestion.Status.PROPOSED)
            else set()
        )
        names = [f.name for f in self.model._meta.fields if f.name not in editable]
        return ["charts"] + names

    def has_add_permission(self, request):
        return False

    def get_changelist_form(self, request, **kwargs):
        return SuggestionRowForm

    @admin.display(description="demand and expected profit")
    def charts(self, obj):
        est = obj.estimate
        if est is None:
            return "no elasticity estimate"
        kw = {"current": float(obj.current_price), "suggested": float(obj.final_price)}
        cost = float(obj.unit_cost) if obj.unit_cost is not None else None
        return format_html(
            '<div style="display:flex;gap:12px;flex-wrap:wrap">{}{}</div>',
            mark_safe(demand_chart(est, **kw)),  # noqa: S308 (built server-side)
            mark_safe(objective_chart(est, cost=cost, **kw)),  # noqa: S308
        )

    def _run(self, request, fn, **kw):
        try:
            rows = fn(by=request.user, **kw)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(request, f"{len(rows)} suggestion(s) done.", messages.SUCCESS)

    @admin.action(description="Approve and apply the suggested prices")
    def approve(self, request, queryset):
        self._run(
            request,
            suggestions_approve,
            suggestion_ids=list(queryset.values_list("pk", flat=True)),
        )

    @admin.action(description="Approve and apply the EDITED prices (save them first)")
    def approve_edited(self, request, queryset):
        prices = dict(
            queryset.exclude(edited_price=None).values_list("pk", "edited_price")
        )
        if not prices:
            self.message_user(
                request,
                "None of the selected rows has an edited "
                "price; type one in the 'edited price' column and "
                "save first.",
                messages.WARNING,
            )
            return
        self._run(request, suggestions_edit, prices=prices)

    @admin.action(description="Reject the selected suggestions")
    def reject(self, request, queryset):
        self._run(
            request,
            suggestions_reject,
            suggestion_ids=list(queryset.values_list("pk", flat=True)),
        )
