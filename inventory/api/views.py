"""Inventory API views (thin: validate, call one selector, serialize)."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import NotFound
from shop.models import Product

from .. import selectors
from .serializers import AvailabilityOut

IN_STOCK_EXAMPLE = OpenApiExample(
    "in stock",
    response_only=True,
    value={
        "product_id": 1204,
        "available": 140,
        "in_stock": True,
        "is_assumed": False,
        "assumption": "",
        "expected_restock_date": None,
        "restock_source": "",
    },
)
BACK_ON_EXAMPLE = OpenApiExample(
    "out of stock, back on a date",
    response_only=True,
    value={
        "product_id": 877,
        "available": 0,
        "in_stock": False,
        "is_assumed": False,
        "assumption": "",
        "expected_restock_date": "2026-12-18",
        "restock_source": "purchase_order",
    },
)


class ProductAvailabilityView(APIView):
    """Units available, in-stock flag, expected restock date, whether assumed."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses=AvailabilityOut, examples=[IN_STOCK_EXAMPLE, BACK_ON_EXAMPLE]
    )
    def get(self, request, pk: int):
        # the shop's own products only: a MovieLens film is never stock (14.1)
        product = Product.objects.of_shop().filter(pk=pk, is_active=True).first()
        if product is None:
            raise NotFound(f"product {pk} does not exist", field="id")
        data = selectors.product_availability(product=product)
        return Response(AvailabilityOut(asdict(data)).data)
