"""Admin of the recommender: model registry, evaluations (with charts), rules."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html

from core.exceptions import DomainError

from .charts import metric_history_charts
from .models import (
    EvaluationResult,
    EvaluationRun,
    PinnedRule,
    PrecomputedRecommendation,
    ProductNeighbours,
    RecommenderModel,
)
from .services.training import recommender_activate


@admin.register(RecommenderModel)
class RecommenderModelAdmin(admin.ModelAdmin):
    """The registry of trained recommenders; "Activate this version" serves one."""

    list_display = (
        "label",
        "algorithm",
        "status",
        "validation",
        "created_at",
        "activated_at",
        "size_bytes",
    )
    list_filter = ("kind", "status", "algorithm")
    search_fields = ("algorithm", "sha256", "notes")
    readonly_fields = [f.name for f in RecommenderModel._meta.fields]
    actions = ["activate_version"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="validation")
    def validation(self, obj) -> str:
        val = (obj.metrics or {}).get("validation", {})
        if "ndcg@10" in val:
            return f"NDCG@10 {val['ndcg@10']:.4f} ({val.get('variant', '')})"
        return val.get("skipped", "")

    @admin.action(description="Activate this version")
    def activate_version(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version.", messages.ERROR)
            return
        try:
            artifact = recommender_activate(artifact_id=queryset.get().pk)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(request, f"{artifact.label} now serves.", messages.SUCCESS)


class EvaluationResultInline(admin.TabularInline):
    model = EvaluationResult
    extra = 0
    can_delete = False
    readonly_fields = ("algorithm", "variant", "metrics", "fit_seconds", "error")


@admin.register(EvaluationRun)
class EvaluationRunAdmin(admin.ModelAdmin):
    """Evaluation runs; the list page shows the metric history as SVG charts."""

    list_display = ("id", "created_at", "cutoff", "k", "status", "best")
    list_filter = ("status",)
    readonly_fields = ("status", "cutoff", "k", "split", "table", "task_run")
    exclude = ("summary",)
    inlines = [EvaluationResultInline]
    change_list_template = "admin/recommender/evaluationrun/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="best NDCG@k (all / new)")
    def best(self, obj) -> str:
        out = []
        for variant in ("all", "new"):
            scored = [
                (r.metrics.get(f"ndcg@{obj.k}", -1), r.algorithm)
                for r in obj.results.filter(variant=variant)
            ]
            if scored:
                value, name = max(scored)
                out.append(f"{name} {value:.3f}")
        return " / ".join(out)

    @admin.display(description="results")
    def table(self, obj):
        return format_html("<pre>{}</pre>", obj.summary)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "charts": metric_history_charts()}
        return super().changelist_view(request, extra_context=extra_context)


@admin.register(PinnedRule)
class PinnedRuleAdmin(admin.ModelAdmin):
    list_display = (
        "product",
        "surface",
        "position",
        "country",
        "category",
        "starts_at",
        "ends_at",
        "is_active",
        "note",
    )
    list_filter = ("surface", "is_active", "country")
    list_editable = ("position", "is_active")
    search_fields = ("product__stock_code", "product__description", "note")
    raw_id_fields = ("product",)


@admin.register(ProductNeighbours)
class ProductNeighboursAdmin(admin.ModelAdmin):
    list_display = ("product", "method", "updated_at")
    raw_id_fields = ("product",)
    readonly_fields = ("product", "method", "neighbour_ids", "scores", "model_version")
    exclude = ("vector",)


@admin.register(PrecomputedRecommendation)
class PrecomputedRecommendationAdmin(admin.ModelAdmin):
    list_display = ("customer", "kind", "strategy", "model_version", "updated_at")
    raw_id_fields = ("customer",)
    readonly_fields = ("customer", "kind", "items", "strategy", "model_version")
