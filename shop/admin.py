"""Django admin of the shop's catalogue (products, prices, categories); customers and
orders are in :mod:`shop.admin_orders`, the read-only records (stock, events,
imports) in :mod:`shop.admin_records`. Price changes go through services."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from core.adminkit import (
    ReadOnlyAdminMixin,
    ReadOnlyInlineMixin,
)
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

    def queryset(self, request, queryset):
        if self.value() == "all":
            return queryset
        shop = Product.objects.of_shop().values("pk")
        if self.value() == "demo":
            return queryset.exclude(pk__in=shop)
        return queryset.filter(pk__in=shop)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "parent")
    search_fields = ("name",)


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
        "kind",
        "is_active",
    )
    list_display_links = ("stock_code", "description")
    list_filter = (
        CatalogueFilter,
        "kind",
        "is_active",
        "stock__is_assumed",
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
    )
    exclude = ("alt_descriptions",)
    inlines = [StockLevelInline, PriceChangeInline]

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
        """A new list price is applied through ``product_set_price`` (recorded)."""
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
