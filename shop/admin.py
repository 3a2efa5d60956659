"""Django admin of the shop's catalogue (products, prices, categories); customers and
orders are in :mod:`shop.admin_orders`, the read-only records (stock, events,
imports) in :mod:`shop.admin_records`. Price changes go through services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from core.adminkit import (
    ReadOnlyAdminMixin,
    ReadOnlyInlineMixin,
)
from core.exceptions import DomainError
from core.formatting import MISSING, money, number

from . import (
    admin_orders,  # noqa: F401  (customers and orders)
    admin_records,  # noqa: F401  (registers the read-only records)
)
from .admin_orders import days_before_today
from .charts import price_history_chart
from .models import (
    Category,
    PriceChange,
    Product,
    StockLevel,
)
from .services.catalog import product_set_price
from .services.categories import (
    categories_merge,
    products_categorise,
    products_set_category,
    split_keywords,
)


class CatalogueFilter(admin.SimpleListFilter):
    """The shop's own products by default; the demo rating data on request."""

    title = "catalogue"
    parameter_name = "catalogue"

    def lookups(self, request, model_admin):
        return [("demo", "demo rating data (MovieLens)"), ("all", "everything")]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "the shop's own",
        }
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: value}
                ),
                "display": label,
            }

    def shop_rows(self):
        return Product.objects.of_shop()

    def queryset(self, request, queryset):
        if self.value() == "all":
            return queryset
        shop = self.shop_rows().values("pk")
        if self.value() == "demo":
            return queryset.exclude(pk__in=shop)
        return queryset.filter(pk__in=shop)


class CategoryCatalogueFilter(CatalogueFilter):
    """The shop's own categories by default; the demo data sets' genres (MovieLens
    film genres) on request."""

    def lookups(self, request, model_admin):
        return [("demo", "demo rating data genres (MovieLens)"), ("all", "everything")]

    def shop_rows(self):
        return Category.objects.of_shop()


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """Categories and their keyword rules: rename, edit keywords, merge, re-run."""

    list_display = ("name", "products", "position", "overrides", "keyword_list")
    list_filter = (CategoryCatalogueFilter, "origin", "overrides")
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


class PriceChangeInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = PriceChange
    fields = ("changed_at", "old", "new", "origin", "changed_by", "reason")
    readonly_fields = fields
    ordering = ("-changed_at",)
    max_num = 0

    @admin.display(description="old price")
    def old(self, obj):
        return money(obj.old_price, obj.currency)

    @admin.display(description="new price")
    def new(self, obj):
        return money(obj.new_price, obj.currency)


class StockLevelInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = StockLevel
    fields = ("on_hand", "reserved", "is_assumed", "assumption")
    readonly_fields = fields


def _price(obj) -> str:
    return money(obj.list_price, obj.currency)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    """The catalogue: price, stock and recency first; prices change through
    ``product_set_price`` (recorded)."""

    list_display = (
        "stock_code",
        "description",
        "price",
        "in_stock",
        "last_sold",
        "category",
        "kind",
        "is_active",
    )
    list_display_links = ("stock_code", "description")
    list_filter = (
        CatalogueFilter,
        "kind",
        "is_active",
        "stock__is_assumed",
        "category_source",
        "category",
    )
    search_fields = ("stock_code", "description")
    list_select_related = ("category", "stock")
    show_full_result_count = False
    readonly_fields = (
        "first_sold_at",
        "last_sold_at",
        "price_history",
        "recommendations",
        "other_descriptions",
        "category_source",
        "category_evidence",
    )
    exclude = ("alt_descriptions",)
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

    @admin.display(description="price", ordering="list_price")
    def price(self, obj):
        return _price(obj)

    @admin.display(description="available", ordering="stock__on_hand")
    def in_stock(self, obj):
        stock = getattr(obj, "stock", None)
        if stock is None:
            return MISSING
        return format_html(
            '<span style="white-space:nowrap">{} units</span>{}',
            number(stock.available),
            format_html(' <small class="quiet">{}</small>', "assumed")
            if stock.is_assumed
            else "",
        )

    @admin.display(description="last sold", ordering="last_sold_at")
    def last_sold(self, obj):
        return days_before_today(obj.last_sold_at)

    @admin.display(description="price history")
    def price_history(self, obj):
        return price_history_chart(obj)

    @admin.display(description="other descriptions seen")
    def other_descriptions(self, obj):
        return "; ".join(obj.alt_descriptions or []) or MISSING

    @admin.display(description="recommendations")
    def recommendations(self, obj):
        url = reverse("admin:recommender_preview") + f"?product=%23{obj.pk}"
        return format_html('<a class="button" href="{}">Preview what it shows</a>', url)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields + (["source", "stock_code"] if obj else [])

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
class PriceChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("product", "changed_at", "old", "new", "change", "origin", "by")
    list_filter = ("origin", "currency")
    search_fields = ("product__stock_code", "suggestion_ref", "reason")
    list_select_related = ("product", "changed_by")

    @admin.display(description="old price", ordering="old_price")
    def old(self, obj):
        return money(obj.old_price, obj.currency)

    @admin.display(description="new price", ordering="new_price")
    def new(self, obj):
        return money(obj.new_price, obj.currency)

    @admin.display(description="change")
    def change(self, obj):
        if not obj.old_price:
            return MISSING
        return f"{(obj.new_price / obj.old_price - 1) * 100:+.1f} %"

    @admin.display(description="by", ordering="changed_by")
    def by(self, obj):
        return obj.changed_by or obj.get_origin_display()
