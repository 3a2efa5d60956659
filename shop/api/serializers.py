"""Request and response shapes of the shop API."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from ..conf import shop_setting
from ..models import Category, Customer, Event, Order, OrderLine, Product


def money_field(**kwargs) -> serializers.DecimalField:
    """Money in the API: GBP with 2 decimal places, rounded half up (the database
    keeps unit prices to 3 dp, as imported)."""
    from decimal import ROUND_HALF_UP

    return serializers.DecimalField(
        max_digits=14, decimal_places=2, rounding=ROUND_HALF_UP, **kwargs
    )


class ProductOut(serializers.ModelSerializer):
    category = serializers.CharField(
        source="category.name", default=None, allow_null=True
    )
    list_price = money_field(help_text="list price, GBP (2 dp)")
    name = serializers.CharField(
        read_only=True, help_text="the description in title case, for display"
    )
    url = serializers.SerializerMethodField(help_text="storefront product page")

    class Meta:
        model = Product
        fields = [
            "id",
            "source",
            "stock_code",
            "description",
            "name",
            "url",
            "alt_descriptions",
            "category",
            "kind",
            "is_merchandise",
            "list_price",
            "currency",
            "is_active",
            "first_sold_at",
            "last_sold_at",
        ]

    def get_url(self, product) -> str | None:
        """The product's page in the demo storefront (None for demo rating items)."""
        if product.source in shop_setting("DEMO_SOURCES"):
            return None
        return reverse("storefront:product-detail", args=[product.pk])


class CategoryOut(serializers.ModelSerializer):
    products = serializers.IntegerField(
        source="n_products", help_text="products listed in it"
    )
    url = serializers.SerializerMethodField(help_text="storefront category page")

    class Meta:
        model = Category
        fields = ["id", "name", "slug", "products", "url"]

    def get_url(self, category) -> str | None:
        if category.source != "shop":
            return None
        return reverse("storefront:category", args=[category.slug])


class OrderLineOut(serializers.ModelSerializer):
    product_id = serializers.IntegerField()
    stock_code = serializers.CharField(source="product.stock_code")
    unit_price = money_field(help_text="price paid per unit, GBP (2 dp)")
    amount = money_field(help_text="quantity x unit price, GBP (2 dp)")

    class Meta:
        model = OrderLine
        fields = [
            "line_no",
            "product_id",
            "stock_code",
            "description",
            "quantity",
            "unit_price",
            "amount",
        ]


class OrderOut(serializers.ModelSerializer):
    customer = serializers.CharField(
        source="customer.external_id",
        default=None,
        allow_null=True,
        help_text="the customer's external id; null for a guest order",
    )
    total = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "invoice_no",
            "customer",
            "placed_at",
            "country",
            "kind",
            "status",
            "total",
        ]

    def get_total(self, order) -> str:
        """Sum of quantity x unit price over the lines, GBP (negative on credits)."""
        total = getattr(order, "total", None)
        if total is None:
            total = sum((line.amount for line in order.lines.all()), 0)
        return f"{total:.2f}"


class OrderDetailOut(OrderOut):
    lines = OrderLineOut(many=True)
    cancels = serializers.CharField(
        source="cancels.invoice_no",
        default=None,
        allow_null=True,
        help_text="on a cancellation: the invoice it cancels",
    )

    class Meta(OrderOut.Meta):
        fields = [*OrderOut.Meta.fields, "shipping_address", "cancels", "lines"]


def _product_id_field(name: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        error_messages={
            "invalid": f"{name} must be an integer (a product id).",
            "min_value": f"{name} must be a positive integer (a product id).",
            "max_value": f"{name} must be a 64-bit integer (a product id).",
            "max_string_length": f"{name} must be a 64-bit integer (a product id).",
        },
    )


class EventIn(serializers.Serializer):
    """An event; the product may be given as ``product`` or ``product_id``."""

    kind = serializers.ChoiceField(choices=Event.Kind.choices)
    product = _product_id_field("product")
    product_id = _product_id_field("product_id")
    query = serializers.CharField(required=False, allow_blank=True, max_length=255)
    session_key = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="the anonymous visitor's session key: required when not signed in "
        "(400 with field session_key otherwise); ignored for a signed-in customer",
    )
    occurred_at = serializers.DateTimeField(required=False)
    metadata = serializers.DictField(required=False)
    recommendation_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=36,
        help_text="recommendation_id of the response the product came from",
    )
    order = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=32,
        help_text="on a purchase: the invoice number of the order placed",
    )

    def validate(self, attrs: dict) -> dict:
        alias = attrs.pop("product_id", None)
        if alias is not None:
            if attrs.get("product") not in (None, alias):
                raise serializers.ValidationError(
                    {"product_id": "product and product_id differ; send one."}
                )
            attrs["product"] = alias
        return attrs


class EventOut(serializers.ModelSerializer):
    order = serializers.CharField(
        source="order.invoice_no", default=None, allow_null=True
    )

    class Meta:
        model = Event
        fields = [
            "id",
            "kind",
            "product",
            "query",
            "session_key",
            "recommendation_id",
            "order",
            "occurred_at",
        ]


class CustomerOut(serializers.ModelSerializer):
    orders = serializers.IntegerField(source="orders.count")

    class Meta:
        model = Customer
        fields = ["id", "source", "external_id", "country", "email", "orders"]
