"""Request and response shapes of the recommender API."""

from __future__ import annotations

import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.exceptions import InvalidInput

from ..conf import DEFAULTS
from ..services.serving import check_k

# A country name as the shop stores it ("United Kingdom", "EIRE", "Côte d'Ivoire"):
# starts with a letter; then letters, spaces and . ' ( ) & , - only; 64 at most.
COUNTRY_PATTERN = re.compile(r"[^\W\d_](?:[^\W\d_]|[ .'()&,-]){0,63}")


def _k(value) -> int:
    try:
        return check_k(value)
    except InvalidInput as exc:
        raise serializers.ValidationError(exc.message)


class KQuerySerializer(serializers.Serializer):
    """``?k=`` (1..RECOMMENDER["max_k"], default 10) and an optional ``?source=``."""

    k = serializers.CharField(required=False, default="10")
    source = serializers.CharField(required=False, default="", allow_blank=True)

    def validate_k(self, value: str) -> int:
        return _k(value)


class CustomerQuerySerializer(KQuerySerializer):
    """``?k=``, ``?source=`` and ``?surface=`` (for_you | discover)."""

    surface = serializers.CharField(required=False, default="", allow_blank=True)

    def validate_surface(self, value: str) -> str:
        from ..services.surfaces import surface_check

        try:
            return surface_check(value)
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.message)


@extend_schema_field(
    {"type": "integer", "minimum": 1, "maximum": DEFAULTS["max_k"], "default": 10}
)
class KField(serializers.IntegerField):
    """``k`` in a body: 1..max_k (checked against ``RECOMMENDER["max_k"]`` when
    validated; the schema shows the default maximum)."""


@extend_schema_field(
    {
        "type": "string",
        "maxLength": 64,
        "pattern": f"^(?:{COUNTRY_PATTERN.pattern})?$",
        "default": "",
    }
)
class CountryField(serializers.CharField):
    """A country name as the shop stores it, or blank (``COUNTRY_PATTERN``)."""


class BasketInSerializer(serializers.Serializer):
    product_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        max_length=200,
        allow_empty=True,
    )
    k = KField(
        required=False,
        default=10,
        help_text="number of items, 1..max_k (RECOMMENDER['max_k'], default 100)",
    )
    country = CountryField(
        required=False,
        default="",
        allow_blank=True,
        help_text="the shopper's country, e.g. United Kingdom (letters, spaces, "
        ". ' ( ) & , - only; at most 64 characters)",
    )

    def validate_k(self, value: int) -> int:
        return _k(value)

    def validate_country(self, value: str) -> str:
        if value and not COUNTRY_PATTERN.fullmatch(value):
            raise serializers.ValidationError(
                "country must be a country name (letters, spaces and . ' ( ) & , - "
                "only, at most 64 characters), e.g. United Kingdom"
            )
        return value


class RecommendedItemSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    stock_code = serializers.CharField()
    description = serializers.CharField()
    score = serializers.FloatField(help_text="comparable within one answer only")
    reason = serializers.CharField(help_text='e.g. "because you bought …"')
    strategy = serializers.CharField(help_text="the strategy that found this item")
    price = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="list price in GBP (2 dp), null if unknown",
    )
    currency = serializers.CharField(help_text="ISO 4217 code of price: GBP")
    stock_status = serializers.ChoiceField(
        choices=["in_stock", "out_of_stock"], help_text="units available now or none"
    )
    available = serializers.IntegerField(min_value=0, help_text="units available now")
    url = serializers.CharField(help_text="the product's storefront page (path)")


class RecommendationSerializer(serializers.Serializer):
    strategy = serializers.CharField(
        help_text="pinned | personalised | content | country_bestsellers | "
        "bestsellers | new_arrivals | similar_items | bought_together | basket | "
        "buy_again"
    )
    model_version = serializers.CharField(
        allow_null=True, help_text="artifact label kind:vN, null if none trained"
    )
    explanation = serializers.CharField()
    recommendation_id = serializers.CharField(
        help_text="32 hex; send it with the click, add_to_cart and purchase events "
        "of these products (attribution)"
    )
    variant = serializers.CharField(
        allow_blank=True,
        help_text="the experiment variant that served this answer ('' outside "
        "an experiment)",
    )
    count = serializers.SerializerMethodField()
    items = RecommendedItemSerializer(many=True)

    def get_count(self, obj) -> int:
        return len(obj.items)
