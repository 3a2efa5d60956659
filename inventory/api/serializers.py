"""Request/response shapes of the inventory API."""

from rest_framework import serializers


class AvailabilityOut(serializers.Serializer):
    product_id = serializers.IntegerField()
    available = serializers.IntegerField(help_text="units on hand minus reserved")
    in_stock = serializers.BooleanField()
    is_assumed = serializers.BooleanField(
        help_text="the stock level was set by a rule, not counted"
    )
    assumption = serializers.CharField(allow_blank=True)
    expected_restock_date = serializers.DateField(allow_null=True)
    restock_source = serializers.CharField(
        allow_blank=True, help_text="purchase_order, reorder_suggestion or empty"
    )
