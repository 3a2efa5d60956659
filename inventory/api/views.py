"""Inventory API views (thin: validate, call one selector, serialize)."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import NotFound
from shop.models import Product

from .. import selectors
from .serializers import AvailabilityOut


class ProductAvailabilityView(APIView):
    """Units available, in-stock flag, expected restock date, whether assumed."""

    permission_classes = [AllowAny]

    @extend_schema(responses=AvailabilityOut)
    def get(self, request, pk: int):
        product = Product.objects.filter(pk=pk, is_active=True).first()
        if product is None:
            raise NotFound(f"product {pk} does not exist", field="id")
        data = selectors.product_availability(product=product)
        return Response(AvailabilityOut(asdict(data)).data)
