"""Admin of purchasing: the replenishment queue (reorder suggestions, modelled on
Odoo's replenishment report), vendors with their prices and terms, and purchase
orders with costs, totals and a printable page. Decisions call services."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin, messages
from django.db.models import DecimalField, ExpressionWrapper, F, Sum
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from core.adminkit import Decision, DecisionAdminMixin, ReadOnlyAdminMixin, column
from core.formatting import MISSING, day, money, number, units

from . import selectors, services
from .models import (
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderSuggestion,
    Vendor,
    VendorProduct,
)

PENDING = ReorderSuggestion.Status.PENDING
_VALUE = ExpressionWrapper(
    F("quantity") * F("unit_cost"),
    output_field=DecimalField(max_digits=18, decimal_places=4),
)


def _units(value) -> str:
    return units(value, "units", places=0)


def _gbp(value) -> str:
    return money(value, "GBP")


class VendorProductInline(admin.TabularInline):
    model = VendorProduct
    extra = 1
    raw_id_fields = ("product",)
    fields = (
        "product",
        "vendor_code",
        "unit_cost",
        "min_order_qty",
        "pack_size",
        "lead_time_days",
        "is_preferred",
    )


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    """Vendors with their prices (GBP/unit), lead times, MOQs and pack sizes."""

    list_display = ("name", "lead_time", "products", "email")
    search_fields = ("name", "items__product__stock_code")
    inlines = [VendorProductInline]

    @admin.display(description="lead time", ordering="lead_time_days")
    def lead_time(self, obj):
        if obj.lead_time_days is None:
            return format_html(
                '<span title="suggestions use the policy lead time">'
                "none: policy default used ⚠</span>"
            )
        return units(obj.lead_time_days, "days", places=0)

    @admin.display(description="products")
    def products(self, obj):
        return number(obj.items.count())


@admin.register(VendorProduct)
class VendorProductAdmin(admin.ModelAdmin):
    list_display = (
        "product",
        "vendor",
        column("unit_cost", _gbp, "unit cost"),
        column("min_order_qty", _units, "MOQ"),
        column("pack_size", _units, "pack size"),
        "lead_time_days",
        "is_preferred",
    )
    list_filter = ("vendor", "is_preferred")
    search_fields = ("product__stock_code", "product__description", "vendor__name")
    raw_id_fields = ("product",)
    list_select_related = ("product", "vendor")


def _order_once(request, rows):
    orders = services.suggestions_order(suggestions=rows, by=request.user)
    return "draft purchase order(s) created: " + ", ".join(
        f"{po.number} ({po.supplier or 'no vendor'}, {money(po.total, 'GBP')})"
        for po in orders
    )


def _snooze(days: int):
    def run(request, rows):
        n = services.suggestions_snooze(suggestions=rows, by=request.user, days=days)
        return f"{n} suggestion(s) snoozed for {days} days"

    return run


def _reject(request, rows):
    from core.adminkit import decision_note

    n = services.suggestions_reject(
        suggestions=rows, by=request.user, reason=decision_note(request)
    )
    return f"{n} suggestion(s) rejected"


def _pending(obj) -> bool:
    return obj.status == PENDING


class StatusFilter(admin.SimpleListFilter):
    """Status, pending by default: the queue shows what waits for a decision, not
    the suggestions a newer forecast superseded (they look the same in the list);
    "All" is a choice of its own (``?status=all``)."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("all", "All"), *ReorderSuggestion.Status.choices]

    def _value(self) -> str:
        return self.value() or PENDING

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self._value() == lookup,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: lookup}
                ),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self._value()
        return queryset if value == "all" else queryset.filter(status=value)


class LeadTimeFlagFilter(admin.SimpleListFilter):
    title = "lead time"
    parameter_name = "lead_time"

    def lookups(self, request, model_admin):
        return [
            ("default", "policy default: vendor states none ⚠"),
            ("known", "from the vendor or policy"),
        ]

    def queryset(self, request, queryset):
        flagged = {"lead_time_source__startswith": "policy default"}
        if self.value() == "default":
            return queryset.filter(**flagged)
        if self.value() == "known":
            return queryset.exclude(**flagged)
        return queryset


@admin.register(ReorderSuggestion)
class ReorderSuggestionAdmin(DecisionAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The replenishment queue: per product on hand, forecast over the lead time,
    min (reorder point), max (order-up-to level), quantity to order, vendor, MOQ,
    lead time, unit cost and line value; "Order once" and "Snooze" decide."""

    # what a person decides on first (product, quantity, money), then the numbers
    # that explain it; all visible at 1,400 px beside the admin's navigation
    list_display = (
        "product_",
        "quantity_",
        "line_value_",
        "on_hand",
        "lead_time_demand",
        "min_max",
        "vendor_",
        "moq",
        "lead_time",
        "unit_cost_",
        column("order_by", day, "order by"),
    )
    list_display_links = ("product_",)
    list_select_related = ("product", "forecast", "vendor")
    list_filter = (StatusFilter, "vendor", LeadTimeFlagFilter)
    search_fields = ("product__stock_code", "product__description")
    ordering = ("order_by", "-created_at")
    fields = (
        "product",
        "status",
        "quantity_",
        "reason",
        "on_hand",
        "lead_time_demand",
        "min_max",
        "vendor",
        "unit_cost_",
        "cost_source",
        "line_value_",
        "lead_time_days",
        "lead_time_source",
        "min_order_qty",
        "pack_size",
        "on_order",
        "order_by",
        "expected_arrival",
        "snoozed_until",
        "forecast",
        "purchase_order",
        "decided_by",
        "decided_at",
    )
    readonly_fields = fields
    decisions = (
        Decision(
            "order", "Order once", run=_order_once, applies=_pending, style="primary"
        ),
        Decision("snooze7", "Snooze 7 days", run=_snooze(7), applies=_pending),
        Decision("snooze30", "Snooze 30 days", run=_snooze(30), applies=_pending),
        Decision(
            "reject", "Reject", run=_reject, applies=_pending, note=True, style="danger"
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(value=_VALUE)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def changelist_view(self, request, extra_context=None):
        missing = selectors.products_without_count()
        if missing and request.method == "GET":
            url = reverse("admin:job", args=["inventory-import-stock"])
            self.message_user(
                request,
                format_html(
                    "{} products with demand have no stock count (their level is "
                    "assumed or missing), so no purchase is suggested for them. "
                    '<a href="{}">Upload stock counts</a>.',
                    number(missing),
                    url,
                ),
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    @admin.display(description="product", ordering="product__stock_code")
    def product_(self, obj):
        return format_html(
            '<b>{}</b> <span title="{}">{}</span>',
            obj.product.stock_code,
            obj.product.description,
            obj.product.description[:22],
        )

    @admin.display(description="on hand")
    def on_hand(self, obj):
        if obj.forecast is None:
            return MISSING
        text = number(obj.forecast.available)
        if obj.forecast.stock_is_assumed:
            text += " (assumed)"
        if obj.on_order:
            text += f" +{number(obj.on_order)} on order"
        return text

    @admin.display(description="lead-time forecast")
    def lead_time_demand(self, obj):
        f = obj.forecast
        if f is None:
            return MISSING
        return format_html(
            '<span title="forecast demand over the lead time, units">{}</span>',
            number(max(f.reorder_point - f.safety_stock, 0.0)),
        )

    @admin.display(description="min / max")
    def min_max(self, obj):
        f = obj.forecast
        if f is None:
            return MISSING
        text = format_html(
            '<span title="min = reorder point, max = order-up-to level (units)">'
            "{}&nbsp;/ {}</span>",
            number(f.reorder_point),
            number(f.order_up_to),
        )
        demand, ss = f.cycle_demand, f.cycle_safety_stock
        if demand is None or ss is None or demand + ss < f.order_up_to - 0.5:
            return text
        # issue 18.1: the max re-derived on the screen from its two parts
        return format_html(
            '{}<br><small title="max = forecast demand over lead time + review '
            'period + safety stock at {} service (units)">= {} + {} SS</small>',
            text,
            f"{f.service_level:.0%}",
            number(demand),
            number(ss),
        )

    @admin.display(description="vendor", ordering="vendor__name")
    def vendor_(self, obj):
        return obj.vendor.name if obj.vendor else MISSING

    @admin.display(description="to order (units)", ordering="quantity")
    def quantity_(self, obj):
        text = format_html("<b>{}</b>", number(obj.quantity))
        if obj.forecast is not None and obj.forecast.mean_daily > 0:
            cover = obj.quantity / obj.forecast.mean_daily
            text = format_html(
                '{} <small style="white-space:nowrap">= {} days</small>',
                text,
                number(cover),
            )
        return text

    @admin.display(description="MOQ / pack")
    def moq(self, obj):
        if obj.min_order_qty is None:
            return MISSING
        return f"{number(obj.min_order_qty)} / {number(obj.pack_size)}"

    @admin.display(description="lead time", ordering="lead_time_days")
    def lead_time(self, obj):
        if obj.lead_time_days is None:
            return MISSING
        text = units(obj.lead_time_days, "d", places=0)
        if obj.lead_time_source.startswith("policy default"):
            return format_html(
                '<span title="{}">{} ⚠</span>', obj.lead_time_source, text
            )
        return text

    @admin.display(description="unit cost", ordering="unit_cost")
    def unit_cost_(self, obj):
        if obj.unit_cost is None:
            return MISSING
        text = money(obj.unit_cost, "GBP")
        if obj.cost_source.startswith("assumed"):
            return format_html(
                '<span title="{}">{} (assumed)</span>', obj.cost_source, text
            )
        return format_html('<span title="{}">{}</span>', obj.cost_source, text)

    @admin.display(description="line value", ordering="value")
    def line_value_(self, obj):
        return money(obj.line_value, "GBP") if obj.line_value is not None else MISSING


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    extra = 0
    raw_id_fields = ("product",)
    fields = ("product", "quantity", "unit_cost", "value", "received_quantity")
    readonly_fields = ("value", "received_quantity")

    @admin.display(description="line value")
    def value(self, obj):
        return money(obj.line_value, "GBP") if obj.line_value is not None else MISSING

    # Lines are the draft's to edit: once approved, the vendor has the order.
    def has_add_permission(self, request, obj=None):
        return _is_draft(obj) and super().has_add_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if _is_draft(obj):
            return super().get_readonly_fields(request, obj)
        return self.fields

    def has_delete_permission(self, request, obj=None):
        return _is_draft(obj) and super().has_delete_permission(request, obj)


def _is_draft(po) -> bool:
    """True for a new or draft purchase order (``None``: the add page)."""
    return po is None or po.status == PurchaseOrder.Status.DRAFT


def _is_record(po) -> bool:
    """A received or cancelled purchase order is a record: shown, never edited."""
    return po is not None and po.status in (
        PurchaseOrder.Status.RECEIVED,
        PurchaseOrder.Status.CANCELLED,
    )


def _po_approve(request, rows):
    done = [
        services.purchase_order_approve(purchase_order=po, by=request.user).number
        for po in rows
    ]
    return f"approved: {', '.join(done)}"


def _po_receive(request, rows):
    done = [
        services.purchase_order_receive(purchase_order=po, by=request.user).number
        for po in rows
    ]
    return f"received (stock raised): {', '.join(done)}"


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(DecisionAdminMixin, admin.ModelAdmin):
    """Purchase orders with line costs and totals (GBP); a printable page each."""

    list_display = (
        "number",
        "vendor_",
        "status",
        "lines_",
        "total_",
        column("expected_at", day, "expected"),
        "approved_by",
        "print_link",
    )
    list_filter = ("status", "vendor")
    search_fields = ("number", "supplier", "vendor__name")
    inlines = [PurchaseOrderLineInline]
    readonly_fields = (
        "status",
        "created_by",
        "approved_by",
        "approved_at",
        "received_by",
        "received_at",
        "total_",
        "print_link",
    )
    decisions = (
        Decision(
            "approve",
            "Approve",
            run=_po_approve,
            applies=lambda po: po.status == PurchaseOrder.Status.DRAFT,
            style="primary",
        ),
        Decision(
            "receive",
            "Receive in full (raises stock)",
            run=_po_receive,
            applies=lambda po: po.status == PurchaseOrder.Status.APPROVED,
        ),
    )

    def has_change_permission(self, request, obj=None):
        return not _is_record(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _is_record(obj) and super().has_delete_permission(request, obj)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("vendor", "approved_by")
            .annotate(
                value=Sum(
                    ExpressionWrapper(
                        F("lines__quantity") * F("lines__unit_cost"),
                        output_field=DecimalField(max_digits=18, decimal_places=4),
                    )
                )
            )
        )

    def get_urls(self):
        extra = [
            path(
                "<int:pk>/print/",
                self.admin_site.admin_view(self.print_view),
                name="inventory_purchaseorder_print",
            )
        ]
        return extra + super().get_urls()

    def print_view(self, request, pk: int):
        po = get_object_or_404(self.get_queryset(request), pk=pk)
        lines = list(po.lines.select_related("product"))
        return TemplateResponse(
            request,
            "admin/inventory/purchaseorder_print.html",
            {
                "po": po,
                "lines": [
                    {
                        "code": line.product.stock_code,
                        "description": line.product.description,
                        "quantity": number(line.quantity),
                        "unit_cost": money(line.unit_cost, "GBP", places=4)
                        if line.unit_cost is not None
                        else MISSING,
                        "value": money(line.line_value, "GBP")
                        if line.line_value is not None
                        else MISSING,
                    }
                    for line in lines
                ],
                "units": number(sum(line.quantity for line in lines)),
                "total": money(po.total, "GBP"),
                "title": f"Purchase order {po.number}",
            },
        )

    @admin.display(description="vendor", ordering="vendor__name")
    def vendor_(self, obj):
        return obj.vendor.name if obj.vendor else obj.supplier or MISSING

    @admin.display(description="lines")
    def lines_(self, obj):
        return number(obj.lines.count())

    @admin.display(description="total", ordering="value")
    def total_(self, obj):
        value = getattr(obj, "value", None)
        return money(value if value is not None else obj.total or Decimal("0"))

    @admin.display(description="print")
    def print_link(self, obj):
        if obj.pk is None:
            return MISSING
        url = reverse("admin:inventory_purchaseorder_print", args=[obj.pk])
        return format_html('<a href="{}" target="_blank">printable</a>', url)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            obj.number = obj.number or services.purchasing._po_number()
        super().save_model(request, obj, form, change)
