"""Django admin of the shop. Status, price and stock changes go through services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from core.exceptions import DomainError

from .charts import import_issues_chart, price_history_chart
from .models import (
    Category,
    Customer,
    Event,
    ImportIssue,
    ImportReport,
    Order,
    OrderLine,
    OrderStatusChange,
    PriceChange,
    Product,
    Rating,
    StockLevel,
    StockMovement,
)
from .services.catalog import product_set_price
from .services.categories import (
    categories_merge,
    products_categorise,
    products_set_category,
    split_keywords,
)
from .services.orders import order_cancel, order_transition


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by services or imports: viewable, not editable here."""

    show_full_result_count = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """Categories and their keyword rules: rename, edit keywords, merge, re-run."""

    list_display = ("name", "products", "position", "overrides", "keyword_list")
    list_filter = ("source", "origin", "overrides")
    search_fields = ("name", "keywords", "weak_keywords")
    prepopulated_fields = {"slug": ("name",)}
    fields = (
        "name",
        "slug",
        "position",
        "overrides",
        "keywords",
        "weak_keywords",
        "parent",
        "origin",
        "source",
    )
    readonly_fields = ("origin", "source")
    actions = ["merge_categories", "recategorise_products"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_products=Count("product"))

    @admin.display(description="products", ordering="n_products")
    def products(self, obj):
        url = reverse("admin:shop_product_changelist")
        return format_html(
            '<a href="{}?category__id__exact={}">{}</a>', url, obj.pk, obj.n_products
        )

    @admin.display(description="keywords")
    def keyword_list(self, obj):
        words = split_keywords(obj.keywords)
        more = f" … (+{len(words) - 8})" if len(words) > 8 else ""
        return ", ".join(words[:8]) + more

    @admin.action(description="Merge selected categories into one…")
    def merge_categories(self, request, queryset):
        chosen = list(queryset.order_by("name"))
        if len(chosen) < 2:
            self.message_user(request, "Select two or more categories to merge.")
            return None
        target_id = request.POST.get("target")
        if target_id:
            target = next((c for c in chosen if str(c.pk) == target_id), None)
            try:
                categories_merge(sources=chosen, target=target, by=request.user)
            except DomainError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, f"Merged {len(chosen) - 1} into {target}.")
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge categories",
            "categories": chosen,
            "action": "merge_categories",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/shop/category/merge.html", context)

    @admin.action(description="Re-run categorisation of all products")
    def recategorise_products(self, request, queryset):
        try:
            result = products_categorise(force=True)
        except DomainError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(
            request,
            f"{result.products:,} products in {len(result.by_category)} categories; "
            f"{result.moved:,} moved.",
        )


class PriceChangeInline(ReadOnlyInline):
    model = PriceChange
    fields = ("changed_at", "old_price", "new_price", "origin", "changed_by", "reason")
    readonly_fields = fields
    ordering = ("-changed_at",)


class StockLevelInline(ReadOnlyInline):
    model = StockLevel
    fields = ("on_hand", "reserved", "is_assumed", "assumption")
    readonly_fields = fields


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = (
        "stock_code",
        "description",
        "category",
        "kind",
        "is_merchandise",
        "list_price",
        "currency",
        "is_active",
        "source",
        "last_sold_at",
    )
    list_filter = (
        "source",
        "kind",
        "is_merchandise",
        "is_active",
        "category_source",
        "category",
    )
    search_fields = ("stock_code", "description")
    list_select_related = ("category",)
    show_full_result_count = False
    readonly_fields = (
        "first_sold_at",
        "last_sold_at",
        "price_history",
        "category_source",
        "category_evidence",
    )
    inlines = [StockLevelInline, PriceChangeInline]
    actions = ["move_to_category"]

    @admin.action(description="Move selected products to a category…")
    def move_to_category(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        category_id = request.POST.get("category")
        if category_id:
            category = (
                None
                if category_id == "rules"
                else Category.objects.filter(pk=category_id).first()
            )
            n = products_set_category(
                product_ids=ids, category=category, by=request.user
            )
            where = category or "the rules' choice (at the next categorisation)"
            self.message_user(request, f"{n} product(s) moved to {where}.")
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Move products to a category",
            "products": queryset.order_by("description")[:50],
            "count": len(ids),
            "ids": ids,
            "categories": Category.objects.of_shop().order_by("name"),
            "action": "move_to_category",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/shop/product/move.html", context)

    @admin.display(description="price history")
    def price_history(self, obj):
        return price_history_chart(obj)

    def save_model(self, request, obj, form, change):
        """A new list price is applied through ``product_set_price`` (recorded); a
        category chosen here is kept by later categorisation runs."""
        if "category" in form.changed_data:
            obj.category_source = "manual" if obj.category_id else ""
            obj.category_evidence = f"set by {request.user.get_username()}"
        new_price = obj.list_price
        if change and "list_price" in form.changed_data:
            obj.list_price = form.initial["list_price"]
            super().save_model(request, obj, form, change)
            product_set_price(
                product=obj,
                new_price=new_price,
                by=request.user,
                origin="manual",
                reason="changed in the admin",
            )
        else:
            super().save_model(request, obj, form, change)
            if not change:
                product_set_price(
                    product=obj,
                    new_price=new_price,
                    by=request.user,
                    origin="manual",
                    reason="created in the admin",
                )


@admin.register(PriceChange)
class PriceChangeAdmin(ReadOnlyAdmin):
    list_display = ("product", "changed_at", "old_price", "new_price", "origin")
    list_filter = ("origin", "currency")
    search_fields = ("product__stock_code", "suggestion_ref", "reason")
    list_select_related = ("product",)
    raw_id_fields = ("product", "changed_by")


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("external_id", "source", "country", "email", "user", "erased_at")
    list_filter = ("source", "country")
    search_fields = ("external_id", "email", "user__username")
    raw_id_fields = ("user",)
    list_select_related = ("user",)
    show_full_result_count = False
    actions = ["erase_personal_data"]

    @admin.action(description="Erase personal data (GDPR request)")
    def erase_personal_data(self, request, queryset):
        from core.privacy import customer_erase

        for pk in queryset.values_list("pk", flat=True).order_by("pk"):
            customer_erase(customer_id=pk, by=request.user)
        self.message_user(request, f"Erased {queryset.count()} customer(s).")


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ("line_no", "product", "description", "quantity", "unit_price")
    readonly_fields = fields


class OrderStatusChangeInline(ReadOnlyInline):
    model = OrderStatusChange
    fields = ("changed_at", "from_status", "to_status", "changed_by", "note")
    readonly_fields = fields


def _transition_action(to_status: str):
    def action(modeladmin, request, queryset):
        done = 0
        for order in queryset:
            try:
                order_transition(order=order, to_status=to_status, by=request.user)
                done += 1
            except DomainError as exc:
                modeladmin.message_user(request, str(exc), messages.WARNING)
        modeladmin.message_user(request, f"{done} order(s) now {to_status}.")

    action.__name__ = f"mark_{to_status}"
    action.short_description = f"Mark selected orders {to_status.replace('_', ' ')}"
    return action


@admin.action(description="Cancel selected orders (credit note, stock released)")
def cancel_orders(modeladmin, request, queryset):
    done = 0
    for order in queryset:
        try:
            order_cancel(order=order, by=request.user, reason="cancelled in the admin")
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, str(exc), messages.WARNING)
    modeladmin.message_user(request, f"{done} order(s) cancelled.")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "invoice_no",
        "customer",
        "placed_at",
        "kind",
        "status",
        "country",
        "source",
    )
    list_filter = ("kind", "status", "source", "country")
    search_fields = ("invoice_no", "customer__external_id")
    date_hierarchy = "placed_at"
    list_select_related = ("customer",)
    raw_id_fields = ("customer", "import_report", "cancels")
    readonly_fields = ("status",)
    show_full_result_count = False
    inlines = [OrderLineInline, OrderStatusChangeInline]
    actions = [
        _transition_action("paid"),
        _transition_action("shipped"),
        _transition_action("delivered"),
        cancel_orders,
    ]


@admin.register(OrderLine)
class OrderLineAdmin(ReadOnlyAdmin):
    list_display = ("order", "line_no", "product", "quantity", "unit_price")
    search_fields = ("order__invoice_no", "product__stock_code", "description")
    list_filter = ("product__is_merchandise", "order__kind")
    list_select_related = ("order", "product")
    raw_id_fields = ("order", "product")


@admin.register(OrderStatusChange)
class OrderStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ("order", "from_status", "to_status", "changed_at", "changed_by")
    list_filter = ("to_status",)
    search_fields = ("order__invoice_no", "note")
    list_select_related = ("order", "changed_by")


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ("product", "on_hand", "reserved", "available", "is_assumed")
    list_filter = ("is_assumed",)
    search_fields = ("product__stock_code", "product__description")
    list_select_related = ("product",)


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = (
        "product",
        "delta_on_hand",
        "delta_reserved",
        "reason",
        "reference",
        "changed_at",
    )
    list_filter = ("reason",)
    search_fields = ("product__stock_code", "reference")
    list_select_related = ("product",)


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = (
        "kind",
        "customer",
        "session_key",
        "product",
        "query",
        "occurred_at",
    )
    list_filter = ("kind",)
    search_fields = ("session_key", "query", "customer__external_id")
    list_select_related = ("customer", "product")


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ("customer", "product", "value", "rated_at")
    list_filter = ("customer__source",)
    search_fields = ("customer__external_id", "product__stock_code")
    list_select_related = ("customer", "product")


def _issues_url(report_id: int, **extra) -> str:
    query = urlencode({"report__id__exact": report_id, **extra})
    return f"{reverse('admin:shop_importissue_changelist')}?{query}"


@admin.register(ImportReport)
class ImportReportAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "path",
        "status",
        "rows_total",
        "rows_imported",
        "rows_rejected",
        "rows_repaired",
        "created_at",
    )
    list_filter = ("kind", "status")
    search_fields = ("path", "file_sha256")
    fields = (
        "kind",
        "path",
        "file_sha256",
        "status",
        "started_at",
        "finished_at",
        "rows_total",
        "rows_imported",
        "rows_skipped_existing",
        "rows_rejected",
        "rows_repaired",
        "summary",
        "error",
        "issues_by_reason",
        "issues_chart",
        "first_issues",
    )
    readonly_fields = fields
    FIRST_ISSUES = 25

    @admin.display(description="first issues")
    def first_issues(self, obj):
        rows = obj.issues.order_by("row_number", "id")[: self.FIRST_ISSUES]
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "</tr>",
            (
                (i.row_number, i.action, i.reason, i.field, i.value, i.message)
                for i in rows
            ),
        )
        return format_html(
            "<table><thead><tr><th>row</th><th>action</th><th>reason</th>"
            "<th>field</th><th>value</th><th>message</th></tr></thead>"
            '<tbody>{}</tbody></table><p><a href="{}">All issues, paginated</a></p>',
            body,
            _issues_url(obj.pk),
        )

    @admin.display(description="issues by reason")
    def issues_by_reason(self, obj):
        rows = [
            (
                action,
                _issues_url(obj.pk, action__exact=action, reason__exact=reason),
                reason,
                f"{n:,}",
            )
            for action in ("rejected", "repaired", "flagged")
            for reason, n in sorted(obj.counts_by_reason.get(action, {}).items())
        ]
        if not rows:
            return "none"
        body = format_html_join(
            "",
            '<tr><td>{}</td><td><a href="{}">{}</a></td>'
            '<td style="text-align:right">{}</td></tr>',
            rows,
        )
        return format_html(
            "<table><thead><tr><th>action</th><th>reason</th><th>rows</th></tr>"
            '</thead><tbody>{}</tbody></table><p><a href="{}">All issues of this '
            "report, with row numbers</a></p>",
            body,
            _issues_url(obj.pk),
        )

    @admin.display(description="chart")
    def issues_chart(self, obj):
        return import_issues_chart(obj)


@admin.register(ImportIssue)
class ImportIssueAdmin(ReadOnlyAdmin):
    list_display = ("report", "row_number", "action", "reason", "field", "value")
    list_filter = ("action", "reason", "report")
    search_fields = ("value", "message")
    list_per_page = 100
