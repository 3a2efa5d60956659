"""Recommender endpoints: thin views (input serializer -> one service -> output)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import NotFound
from shop.models import Customer, Product

from ..conf import rec_settings
from ..services import (
    bought_together,
    recommend_for_basket,
    recommend_for_customer,
    similar_products,
)
from .serializers import BasketInSerializer, KQuerySerializer, RecommendationSerializer

K_PARAM = OpenApiParameter(
    "k", OpenApiTypes.INT, description="number of items, 1..100 (default 10)"
)
SOURCE_PARAM = OpenApiParameter(
    "source",
    OpenApiTypes.STR,
    description="customer source (staff; default the "
    "configured one, e.g. online_retail)",
)
ERRORS = {400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT}


def _query(request: Request) -> dict:
    serializer = KQuerySerializer(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _customer(request: Request, external_id: str, source: str) -> Customer:
    """The customer asked for; a customer may only ask for themselves."""
    user = request.user
    if not user.is_staff:
        own = Customer.objects.filter(user_id=user.pk).first()
        if own is None or own.external_id != external_id:
            raise PermissionDenied("you may only see your own recommendations")
        return own
    matches = list(Customer.objects.filter(external_id=external_id))
    if source:
        matches = [c for c in matches if c.source == source]
    if len(matches) > 1:
        preferred = rec_settings()["default_source"]
        matches = [c for c in matches if c.source == preferred] or matches[:1]
    if not matches:
        raise NotFound(f"customer {external_id} does not exist", field="id")
    return matches[0]


def _product(pk) -> Product:
    product = Product.objects.filter(pk=int(pk)).first()
    if product is None:
        raise NotFound(f"product {pk} does not exist", field="id")
    return product


class CustomerRecommendationsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Recommendations for a customer",
        description="`{id}` is the customer's external id. A customer sees only "
        "their own; staff see any. Excludes what the customer bought; falls back "
        "to bestsellers without history. `strategy` says which strategy answered.",
        parameters=[K_PARAM, SOURCE_PARAM],
        responses={200: RecommendationSerializer, **ERRORS},
    )
    def get(self, request: Request, external_id: str) -> Response:
        query = _query(request)
        customer = _customer(request, external_id, query["source"])
        result = recommend_for_customer(customer=customer, k=query["k"])
        return Response(RecommendationSerializer(result).data)


class SimilarProductsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Products similar to a product",
        parameters=[K_PARAM],
        responses={200: RecommendationSerializer, **ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        query = _query(request)
        result = similar_products(product=_product(pk), k=query["k"])
        return Response(RecommendationSerializer(result).data)


class BoughtTogetherView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Frequently bought together (co-purchase in one invoice)",
        parameters=[K_PARAM],
        responses={200: RecommendationSerializer, **ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        query = _query(request)
        result = bought_together(product=_product(pk), k=query["k"])
        return Response(RecommendationSerializer(result).data)


class BasketRecommendationsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Recommendations for an anonymous basket",
        request=BasketInSerializer,
        responses={200: RecommendationSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = BasketInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = recommend_for_basket(**data.validated_data)
        return Response(RecommendationSerializer(result).data)
