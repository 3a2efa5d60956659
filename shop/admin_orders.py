"""The admin of customers and orders: recency against the data's today, spend, and
order status changes as decisions (buttons and bulk actions) through the state
machine. Registered by :mod:`shop.admin`."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Subquery,
    Sum,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from core.adminkit import (
    Decision,
    DecisionAdminMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInlineMixin,
    admin_link,
    changelist_url,
    column,
    decision_note,
)
from core.formatting import MISSING, day, moment, money, number

from .clock import shop_now
from .models import Customer, Order, OrderLine, OrderStatusChange
from .selectors import data_today
from .services.orders import (
    ADDRESS_CHANGE_ALLOWED,
    TRANSITIONS,
    order_cancel,
    order_transition,
)


def days_before_today(value):
    """A historical date and how long before the data's today it is (the newest
    order's day, not the calendar's): ``2011-12-05 · 4 days before``."""
    if value is None:
        return MISSING
    when = timezone.localtime(value).date() if hasattr(value, "tzinfo") else value
    days = (data_today() - when).days
    if days <= 0:
        note = "the data's today"
    else:
        note = f"{number(days)} day{'s' if days != 1 else ''} before"
    return format_html(
        '<span style="white-space:nowrap">{}</span> <small class="quiet" '
        'style="white-space:nowrap">{}</small>',
        day(value),
        note,
    )


_MONEY = DecimalField(max_digits=14, decimal_places=3)
_AMOUNT = ExpressionWrapper(F("quantity") * F("unit_price"), output_field=_MONEY)


def _per_customer(aggregate, *, lines: bool = False):
    """A per-customer aggregate over their orders (or order lines) as a subquery, so
    that only the rows of the page are computed."""
    if lines:
        rows = OrderLine.objects.filter(order__customer=OuterRef("pk"))
        group = "order__customer"
    else:
        rows = Order.objects.filter(customer=OuterRef("pk"), kind="sale")
        group = "customer"
    return Subquery(rows.values(group).annotate(value=aggregate).values("value")[:1])


def _last_order(field: str = "placed_at"):
    return Subquery(
        Order.objects.filter(customer=OuterRef("pk"), kind="sale")
        .order_by("-placed_at")
        .values(field)[:1]
    )


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = (
        "number_",
        "country",
        "last_order",
        "orders_",
        "spent",
        "login",
        "email",
        "erased",
    )
    list_display_links = ("number_",)
    list_filter = ("source", "country")
    search_fields = ("external_id", "email", "user__username")
    raw_id_fields = ("user",)
    list_select_related = ("user",)
    show_full_result_count = False
    readonly_fields = ("orders", "recommendations", "erased_at")
    actions = ["erase_personal_data"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _last_order=_last_order(),
                _orders=_per_customer(Count("pk")),
                _spent=_per_customer(Sum(_AMOUNT, output_field=_MONEY), lines=True),
            )
        )

    @admin.display(description="customer number", ordering="external_id")
    def number_(self, obj):
        return obj.external_id

    @admin.display(description="orders", ordering="_orders")
    def orders_(self, obj):
        return number(obj._orders or 0)

    @admin.display(description="spent (net)", ordering="_spent")
    def spent(self, obj):
        return money(obj._spent or 0, "GBP")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields + (["source", "external_id"] if obj else [])

    @admin.display(description="last order", ordering="_last_order")
    def last_order(self, obj):
        return days_before_today(obj._last_order)

    @admin.display(description="login", boolean=True, ordering="user")
    def login(self, obj):
        return obj.user_id is not None

    @admin.display(description="erased", ordering="erased_at")
    def erased(self, obj):
        return day(obj.erased_at) if obj.erased_at else ""

    @admin.display(description="orders")
    def orders(self, obj):
        n = obj.orders.count()
        url = changelist_url(Order, customer__id__exact=obj.pk)
        return format_html('<a href="{}">{} order(s)</a>', url, number(n))

    @admin.display(description="recommendations")
    def recommendations(self, obj):
        url = reverse("admin:recommender_preview") + f"?customer={obj.external_id}"
        return format_html('<a class="button" href="{}">Preview what they see</a>', url)

    @admin.action(description="Erase personal data (GDPR request)")
    def erase_personal_data(self, request, queryset):
        from core.privacy import customer_erase

        for pk in queryset.values_list("pk", flat=True).order_by("pk"):
            customer_erase(customer_id=pk, by=request.user)
        self.message_user(request, f"Erased {queryset.count()} customer(s).")


class OrderLineInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = OrderLine
    fields = ("line_no", "product_link", "description", "quantity", "price", "amount_")
    readonly_fields = fields
    max_num = 0

    def get_queryset(self, request):
        # One JOIN, not a query per line (orders of 1,000+ lines exist).
        return super().get_queryset(request).select_related("product")

    @admin.display(description="product")
    def product_link(self, obj):
        return admin_link(obj.product, obj.product.stock_code)

    @admin.display(description="unit price")
    def price(self, obj):
        return money(obj.unit_price)

    @admin.display(description="amount")
    def amount_(self, obj):
        return money(obj.amount)


class OrderStatusChangeInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = OrderStatusChange
    fields = ("changed_at", "from_status", "to_status", "changed_by", "note")
    readonly_fields = fields
    max_num = 0


def _move(to_status: str):
    def run(request, rows):
        for order in rows:
            order_transition(
                order=order, to_status=to_status, by=request.user,
                note=decision_note(request),
            )  # fmt: skip
        return f"{len(rows)} order(s) now {to_status.replace('_', ' ')}."

    return run


def _cancel(request, rows):
    for order in rows:
        order_cancel(
            order=order, by=request.user,
            reason=decision_note(request) or "cancelled in the admin",
        )  # fmt: skip
    return f"{len(rows)} order(s) cancelled; credit notes created."


def _can(to_status: str):
    return lambda order: to_status in TRANSITIONS.get(order.status, frozenset())


_LINES = OrderLine.objects.filter(order=OuterRef("pk")).values("order")
_TOTAL = Subquery(_LINES.annotate(total=Sum(_AMOUNT)).values("total")[:1])


@admin.register(Order)
class OrderAdmin(DecisionAdminMixin, admin.ModelAdmin):
    """Orders; the ones to ship are ``?status__in=placed,paid``. Status changes are
    decisions (buttons on the order, bulk actions) through the state machine."""

    list_display = (
        "invoice_no",
        "customer",
        "placed",
        "kind",
        "status",
        "total",
        "country",
    )
    list_filter = ("status", "kind", "source", "country")
    search_fields = ("invoice_no", "customer__external_id")
    date_hierarchy = "placed_at"
    list_select_related = ("customer",)
    raw_id_fields = ("customer", "import_report", "cancels")
    show_full_result_count = False
    inlines = [OrderLineInline, OrderStatusChangeInline]
    decisions = (
        Decision("paid", "Mark paid", run=_move("paid"), applies=_can("paid"),
                 style="primary"),
        Decision("shipped", "Mark shipped", run=_move("shipped"),
                 applies=_can("shipped"), style="primary"),
        Decision("delivered", "Mark delivered", run=_move("delivered"),
                 applies=_can("delivered")),
        Decision("cancel", "Cancel (credit note, stock released)", run=_cancel,
                 applies=_can("cancelled"), style="danger", note=True),
    )  # fmt: skip

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_total=_TOTAL)

    def get_changeform_initial_data(self, request):
        """A new order is dated on the shop clock (shop.clock.shop_now)."""
        return {"placed_at": shop_now(), **super().get_changeform_initial_data(request)}

    EDITABLE = ("shipping_address",)
    fields = (
        "invoice_no",
        "customer",
        "placed_at",
        "kind",
        "status",
        "order_total",
        "country",
        "shipping_address",
        "cancels",
        "import_report",
        "source",
    )

    def get_fields(self, request, obj=None):
        if obj is None:
            return [f for f in self.fields if f not in ("status", "order_total")]
        return self.fields

    def has_change_permission(self, request, obj=None) -> bool:
        """Only an order that may still change address is editable (placed, paid);
        the imported history is read-only."""
        if obj is not None and obj.status not in ADDRESS_CHANGE_ALLOWED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("status",)
        return [f for f in self.fields if f not in self.EDITABLE]

    @admin.display(description="placed", ordering="placed_at")
    def placed(self, obj):
        return moment(obj.placed_at)

    @admin.display(description="total", ordering="_total")
    def total(self, obj):
        return money(obj._total)

    @admin.display(description="total")
    def order_total(self, obj):
        return money(getattr(obj, "_total", None))


@admin.register(OrderLine)
class OrderLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "order",
        "line_no",
        "product",
        "quantity",
        column("unit_price", money, "unit price"),
        "amount_",
    )
    search_fields = ("order__invoice_no", "product__stock_code", "description")
    list_filter = ("product__is_merchandise", "order__kind")
    list_select_related = ("order", "product")

    @admin.display(description="amount")
    def amount_(self, obj):
        return money(obj.amount)


@admin.register(OrderStatusChange)
class OrderStatusChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("order", "from_status", "to_status", "changed_at", "changed_by")
    list_filter = ("to_status",)
    search_fields = ("order__invoice_no", "note")
    list_select_related = ("order", "changed_by")
