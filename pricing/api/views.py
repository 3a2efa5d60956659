"""Pricing API views: thin (selector -> output serializer)."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import NotFound

from ..selectors import product_price_get
from .serializers import ProductPriceOut

PRICE_EXAMPLE = OpenApiExample(
    "the white hanging heart's price",
    response_only=True,
    value={
        "product_id": 1204,
        "stock_code": "85123A",
        "price": "2.95",
        "currency": "GBP",
        "price_changed_at": "2026-11-30T09:00:00Z",
    },
)


class ProductPriceView(APIView):
    """The storefront's current price of a product: the approved list price only."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses=ProductPriceOut,
        operation_id="product_price",
        examples=[PRICE_EXAMPLE],
    )
    def get(self, request, product_id: int):
        price = product_price_get(product_id=product_id)
        if price is None:
            raise NotFound(
                f"product {product_id} does not exist or is not for sale",
                field="product_id",
            )
        return Response(ProductPriceOut(price).data)
