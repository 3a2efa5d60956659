"""Request/response shapes of the pricing API."""

from rest_framework import serializers


class ProductPriceOut(serializers.Serializer):
    product_id = serializers.IntegerField()
    stock_code = serializers.CharField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    price_changed_at = serializers.DateTimeField(allow_null=True)
