"""Admin of the recommender: the trained models (Activate as a decision), evaluation
runs with charts, merchandisers' pinned rules, and the preview of every surface."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from core.adminkit import (
    Decision,
    DecisionAdminMixin,
    ReadOnlyAdminMixin,
    admin_link,
    kv_table,
)
from core.exceptions import InvalidInput
from core.formatting import MISSING, day, duration, moment, number, percent

from . import admin_views
from .charts import evaluation_chart, metric_history_charts
from .models import (
    EvaluationRun,
    PinnedRule,
    PrecomputedRecommendation,
    ProductNeighbours,
    RecommenderModel,
)
from .services import training
from .services.training import recommender_activate


def _activate(request, rows):
    if len(rows) != 1:
        raise InvalidInput("select exactly one version to activate", field="action")
    return f"{recommender_activate(artifact_id=rows[0].pk).label} now serves."


@admin.register(RecommenderModel)
class RecommenderModelAdmin(DecisionAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The registry of trained recommenders; "Activate this version" serves one."""

    list_display = (
        "label",
        "algorithm",
        "status",
        "validation",
        "trained",
        "activated",
        "size",
    )
    list_filter = ("kind", "status", "algorithm")
    search_fields = ("algorithm", "sha256", "notes")
    fields = (
        "kind",
        "version",
        "algorithm",
        "status",
        "validation",
        "metrics_table",
        "params_table",
        "window_table",
        "notes",
        "trained",
        "activated",
        "task_run",
        "file",
        "sha256",
        "size",
    )
    readonly_fields = fields
    decisions = (
        Decision(
            "activate",
            "Activate this version",
            run=_activate,
            applies=lambda obj: obj.status in ("candidate", "retired", "rejected"),
            style="primary",
        ),
    )

    @admin.display(description="model", ordering="kind")
    def label(self, obj) -> str:
        return f"{obj.kind.removeprefix('recommender.')} v{obj.version}"

    @admin.display(description="NDCG@10 on validation")
    def validation(self, obj) -> str:
        summary = getattr(training, "ndcg_summary", None)  # the reworked pipeline's
        if summary is not None:
            return summary(obj)
        val = (obj.metrics or {}).get("validation", {})
        if "ndcg@10" in val:
            return f"{val['ndcg@10']:.3f} ({val.get('variant', '')} customers)"
        return val.get("skipped", MISSING)

    @admin.display(description="trained", ordering="created_at")
    def trained(self, obj):
        return moment(obj.created_at)

    @admin.display(description="activated", ordering="activated_at")
    def activated(self, obj):
        return moment(obj.activated_at)

    @admin.display(description="file size", ordering="size_bytes")
    def size(self, obj):
        return f"{obj.size_bytes / 1e6:,.1f} MB"

    @admin.display(description="metrics")
    def metrics_table(self, obj):
        return kv_table(obj.metrics)

    @admin.display(description="parameters")
    def params_table(self, obj):
        return kv_table(obj.params)

    @admin.display(description="data")
    def window_table(self, obj):
        return kv_table(obj.data_window)


def _best(run: EvaluationRun, variant: str) -> str:
    scored = [
        (r.metrics.get(f"ndcg@{run.k}", -1), r.algorithm)
        for r in run.results.all()
        if r.variant == variant and not r.error
    ]
    if not scored:
        return MISSING
    value, name = max(scored)
    return f"{name} {value:.3f}"


@admin.register(EvaluationRun)
class EvaluationRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Evaluation runs; the list shows the metric history, each run its table and
    chart of every algorithm."""

    list_display = ("id", "when", "cutoff_", "k", "status", "best_all", "best_new")
    list_filter = ("status",)
    fields = ("status", "cutoff_", "k", "split_table", "chart", "results", "task_run")
    readonly_fields = fields
    change_list_template = "admin/recommender/evaluationrun/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("results")

    @admin.display(description="run on", ordering="created_at")
    def when(self, obj):
        return moment(obj.created_at)

    @admin.display(description="cut-off", ordering="cutoff")
    def cutoff_(self, obj):
        return day(obj.cutoff)

    @admin.display(description="best NDCG@k, all customers")
    def best_all(self, obj) -> str:
        return _best(obj, "all")

    @admin.display(description="best NDCG@k, new customers")
    def best_new(self, obj) -> str:
        return _best(obj, "new")

    @admin.display(description="split")
    def split_table(self, obj):
        return kv_table(obj.split)

    @admin.display(description="NDCG@k by algorithm")
    def chart(self, obj):
        return evaluation_chart(obj)

    @admin.display(description="results")
    def results(self, obj):
        k = obj.k
        names = [f"ndcg@{k}", f"precision@{k}", f"recall@{k}", f"hit@{k}",
                 f"coverage@{k}"]  # fmt: skip
        rows = []
        for r in sorted(obj.results.all(), key=lambda r: (r.variant, r.algorithm)):
            values = [_metric(r.metrics.get(n), n) for n in names]
            rows.append(
                (r.variant, r.algorithm, *values, duration(r.fit_seconds),
                 r.error[:80])
            )  # fmt: skip
        head = format_html_join("", "<th>{}</th>", ((n,) for n in names))
        body = format_html_join(
            "", "<tr>" + "<td>{}</td>" * (len(names) + 4) + "</tr>", rows
        )
        return format_html(
            '<div class="table-scroll"><table><thead><tr><th>customers</th>'
            "<th>algorithm</th>{}<th>fit</th><th>error</th></tr></thead>"
            "<tbody>{}</tbody></table></div>",
            head,
            body,
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "charts": metric_history_charts()}
        return super().changelist_view(request, extra_context=extra_context)


def _metric(value, name: str) -> str:
    if value is None:
        return MISSING
    if name.startswith(("hit", "coverage")):
        return percent(value)
    return f"{value:.4f}"


@admin.register(PinnedRule)
class PinnedRuleAdmin(admin.ModelAdmin):
    """Merchandisers' pins: a product at a position on a surface while valid."""

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

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """The category select lists the shop's own categories (no film genres)."""
        if db_field.name == "category":
            from shop.models import Category

            kwargs["queryset"] = Category.objects.of_shop().order_by("name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _products_table(pairs: list[tuple[int, float | None]], reasons=None) -> str:
    from shop.models import Product

    products = Product.objects.in_bulk([pk for pk, _ in pairs])
    rows = [
        (
            rank,
            admin_link(products.get(pk), products[pk].stock_code)
            if pk in products
            else f"#{pk}",
            products[pk].description if pk in products else "(deleted)",
            MISSING if score is None else f"{score:.3f}",
            (reasons or {}).get(pk, ""),
        )
        for rank, (pk, score) in enumerate(pairs, start=1)
    ]
    if not rows:
        return MISSING
    body = format_html_join(
        "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows
    )
    return format_html(
        "<table><thead><tr><th>#</th><th>product</th><th>description</th>"
        "<th>score</th><th>reason</th></tr></thead><tbody>{}</tbody></table>",
        body,
    )


@admin.register(ProductNeighbours)
class ProductNeighboursAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("product", "method", "count", "model_version", "updated_at")
    list_select_related = ("product",)
    search_fields = ("product__stock_code",)
    fields = ("product", "method", "model_version", "updated_at", "neighbours")
    readonly_fields = fields

    @admin.display(description="neighbours")
    def count(self, obj):
        return number(len(obj.neighbour_ids or []))

    @admin.display(description="neighbours, best first")
    def neighbours(self, obj):
        scores = list(obj.scores or []) + [None] * len(obj.neighbour_ids or [])
        return _products_table(list(zip(obj.neighbour_ids or [], scores, strict=False)))


@admin.register(PrecomputedRecommendation)
class PrecomputedRecommendationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "customer",
        "surface",
        "strategy",
        "model_version",
        "count",
        "computed_at",
    )
    list_filter = ("surface", "strategy")
    list_select_related = ("customer",)
    search_fields = ("customer__external_id",)
    fields = (
        "customer",
        "surface",
        "strategy",
        "explanation",
        "model_version",
        "serving_key",
        "computed_at",
        "list_",
    )
    readonly_fields = fields

    @admin.display(description="items")
    def count(self, obj):
        return number(len(obj.items or []))

    @admin.display(description="recommendations, best first")
    def list_(self, obj):
        items = [i for i in (obj.items or []) if isinstance(i, dict)]
        pairs = [(i.get("product_id"), i.get("score")) for i in items]
        reasons = {i.get("product_id"): i.get("reason", "") for i in items}
        return _products_table(pairs, reasons)


admin.site.register_view(
    "recommender/preview/", admin_views.preview_view, name="recommender_preview"
)
