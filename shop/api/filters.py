"""Query-string filters of the product list."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from ..models import Product


class ProductFilter(django_filters.FilterSet):
    category = django_filters.CharFilter(
        method="filter_category", help_text="category name (case-insensitive) or id"
    )
    min_price = django_filters.NumberFilter(
        field_name="list_price", lookup_expr="gte", help_text="GBP, inclusive"
    )
    max_price = django_filters.NumberFilter(
        field_name="list_price", lookup_expr="lte", help_text="GBP, inclusive"
    )

    class Meta:
        model = Product
        fields = ["is_merchandise", "is_active", "kind", "source"]

    def filter_category(self, queryset, name, value):
        cond = Q(category__name__iexact=value)
        if value.isdigit():
            cond |= Q(category_id=int(value))
        return queryset.filter(cond)
