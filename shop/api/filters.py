"""Query-string filters of the product list."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema_field
from rest_framework.filters import SearchFilter

from ..models import Product
from ..selectors import products_search

PRICE_BOUND = {"type": "number", "maximum": 1e50, "description": "GBP, inclusive"}


class ProductFilter(django_filters.FilterSet):
    category = django_filters.CharFilter(
        method="filter_category",
        help_text="category name (case-insensitive), slug or id; a name that is no "
        "category gives an empty list (the categories: GET /api/v1/categories/)",
    )
    # django-filter refuses numbers over 1e50 (NumberFilter): the schema says so
    min_price = extend_schema_field(PRICE_BOUND)(
        django_filters.NumberFilter(
            field_name="list_price", lookup_expr="gte", help_text="GBP, inclusive"
        )
    )
    max_price = extend_schema_field(PRICE_BOUND)(
        django_filters.NumberFilter(
            field_name="list_price", lookup_expr="lte", help_text="GBP, inclusive"
        )
    )

    class Meta:
        model = Product
        fields = ["stock_code", "is_merchandise", "is_active", "kind", "source"]

    def filter_category(self, queryset, name, value):
        cond = Q(category__name__iexact=value) | Q(category__slug=value)
        if value.isdigit():
            cond |= Q(category_id=int(value))
        return queryset.filter(cond)


class ProductSearchFilter(SearchFilter):
    """``?search=``: every word must match the description, stock code or category
    name (case-insensitive, plural optional): the storefront's search."""

    def filter_queryset(self, request, queryset, view):
        query = request.query_params.get(self.search_param, "")
        return products_search(queryset=queryset, query=query) if query else queryset

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.search_param,
                "required": False,
                "in": "query",
                "description": "words that must all appear in the description, "
                "stock code or category name (e.g. heart holder)",
                "schema": {"type": "string"},
            }
        ]
