"""Recommender endpoints: thin views (input serializer -> one service -> output)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import NotFound
from experiments.serving import recommendations_serve
from shop.conf import shop_setting
from shop.models import Customer, Product
from shop.selectors import product_offers

from ..conf import DEFAULTS, rec_settings
from ..services import (
    bought_together,
    recommend_for_basket,
    recommend_for_customer,
    similar_products,
)
from ..services.surfaces import recommend_buy_again
from .serializers import (
    BasketInSerializer,
    CustomerQuerySerializer,
    KQuerySerializer,
    RecommendationSerializer,
)

K_PARAM = OpenApiParameter(
    "k",
    {
        "type": "integer",
        "minimum": 1,
        "maximum": DEFAULTS["max_k"],
        "default": 10,
    },
    description=f"number of items, 1..max_k (RECOMMENDER['max_k'], default "
    f"{DEFAULTS['max_k']}); default 10",
)
SOURCE_PARAM = OpenApiParameter(
    "source",
    OpenApiTypes.STR,
    description="customer source (staff; default the "
    "configured one, e.g. online_retail)",
)
SURFACE_PARAM = OpenApiParameter(
    "surface",
    OpenApiTypes.STR,
    enum=["for_you", "discover"],
    description="for_you (default): the model of what you will buy next, re-buys "
    "included, each with its cycle as the reason; discover: products you never "
    "bought. Models and rules per surface: RECOMMENDER['surfaces'].",
)
DEMO_SOURCE_PARAM = OpenApiParameter(
    "source",
    OpenApiTypes.STR,
    description="a demo rating data set (movielens): the opt-in that opens its "
    "items; without it such an item is a 404",
)
SESSION_PARAM = OpenApiParameter(
    "session_key",
    OpenApiTypes.STR,
    description="an anonymous visitor's session key: the experiment variant is "
    "assigned by it (signed-in customers are assigned by their id)",
)
ERRORS = {400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT}
FOR_YOU_EXAMPLE = OpenApiExample(
    "for you",
    response_only=True,
    value={
        "strategy": "personalised",
        "model_version": "recommender.purchases:v3",
        "explanation": "312 purchases scored by the temporal_blend model",
        "count": 2,
        "items": [
            {
                "product_id": 1204,
                "stock_code": "85123A",
                "description": "WHITE HANGING HEART T-LIGHT HOLDER",
                "score": 1.83,
                "reason": "you buy this about every 5 weeks; last bought 2 Nov",
                "strategy": "personalised",
            },
            {
                "product_id": 877,
                "stock_code": "71053",
                "description": "WHITE METAL LANTERN",
                "score": 0.41,
                "reason": "because you bought WHITE HANGING HEART T-LIGHT HOLDER",
                "strategy": "personalised",
            },
        ],
    },
)
DISCOVER_EXAMPLE = OpenApiExample(
    "discover",
    response_only=True,
    value={
        "strategy": "personalised",
        "model_version": "recommender.discover:v2",
        "explanation": "312 purchases scored by the temporal_blend model",
        "count": 1,
        "items": [
            {
                "product_id": 2210,
                "stock_code": "22632",
                "description": "HAND WARMER RED POLKA DOT",
                "score": 0.77,
                "reason": "because you bought HAND WARMER UNION JACK",
                "strategy": "personalised",
            }
        ],
    },
)
BUY_AGAIN_EXAMPLE = OpenApiExample(
    "buy again",
    response_only=True,
    value={
        "strategy": "buy_again",
        "model_version": None,
        "explanation": "14 products you buy again, the most due first",
        "count": 1,
        "items": [
            {
                "product_id": 1204,
                "stock_code": "85123A",
                "description": "WHITE HANGING HEART T-LIGHT HOLDER",
                "score": 3.0,
                "reason": "you buy this about every 5 weeks; last bought 2 Nov; "
                "due since 7 Dec",
                "strategy": "buy_again",
            }
        ],
    },
)


def _query(request: Request, serializer_class=KQuerySerializer) -> dict:
    serializer = serializer_class(data=request.query_params)
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


def _serve(request: Request, surface: str, k: int, recommend, customer=None):
    """The experiments' serving hook: variant, recommendation_id, impression."""
    if customer is None and request.user.is_authenticated:
        customer = Customer.objects.filter(user_id=request.user.pk).first()
    session = getattr(request, "session", None)
    session_key = request.query_params.get("session_key") or (
        session.session_key if session is not None else ""
    )
    result = recommendations_serve(
        surface=surface,
        k=k,
        recommend=recommend,
        customer=customer,
        session_key=(session_key or "")[:64],
        country=customer.country if customer is not None else "",
    )
    return _with_offers(result)


def _with_offers(result):
    """Each item gets its price (GBP), stock status and storefront URL, so a card
    needs no further call (issue 14.6)."""
    offers = product_offers(product_ids=[i["product_id"] for i in result.items])
    for item in result.items:
        offer = offers.get(item["product_id"], {})
        item["price"] = offer.get("price")
        item["currency"] = "GBP"
        item["stock_status"] = offer.get("stock_status", "out_of_stock")
        item["available"] = offer.get("available", 0)
        item["url"] = reverse("storefront:product-detail", args=[item["product_id"]])
    return result


def _product(pk, source: str = "") -> Product:
    """The product asked for. An item of a demo rating data set (a MovieLens film)
    is a 404 unless ``?source=`` names its data set: the ratings demo's opt-in
    (issue 14.1); the shop's own products are always reachable."""
    product = Product.objects.filter(pk=int(pk)).first()
    demo = shop_setting("DEMO_SOURCES")
    if product is None or (product.source in demo and source != product.source):
        raise NotFound(f"product {pk} does not exist", field="id")
    return product


class CustomerRecommendationsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Recommendations for a customer (for you / discover)",
        description="`{id}` is the customer's external id. A customer sees only "
        "their own; staff see any. `surface=for_you` (default) may bring back "
        "products the customer re-buys, with their cycle as the reason; "
        "`surface=discover` only products they never bought. Without history the "
        "fallback chain answers (country bestsellers, bestsellers, new arrivals) "
        "and `explanation` says so. An unknown surface is a 400 naming `surface`.",
        parameters=[K_PARAM, SURFACE_PARAM, SOURCE_PARAM],
        responses={200: RecommendationSerializer, **ERRORS},
        examples=[FOR_YOU_EXAMPLE, DISCOVER_EXAMPLE],
    )
    def get(self, request: Request, external_id: str) -> Response:
        query = _query(request, CustomerQuerySerializer)
        customer = _customer(request, external_id, query["source"])
        surface = query["surface"]
        result = _serve(
            request,
            surface,
            query["k"],
            lambda k: recommend_for_customer(customer=customer, k=k, surface=surface),
            customer,
        )
        return Response(RecommendationSerializer(result).data)


class BuyAgainView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Products a customer buys again, the most due first",
        description="`{id}` is the customer's external id (a customer sees only "
        "their own). Products bought on at least "
        "`RECOMMENDER['buy_again_min_orders']` days, ordered by the due date: the "
        "last purchase plus the median gap between purchases. Empty for a "
        "customer who never re-bought.",
        parameters=[K_PARAM, SOURCE_PARAM],
        responses={200: RecommendationSerializer, **ERRORS},
        examples=[BUY_AGAIN_EXAMPLE],
    )
    def get(self, request: Request, external_id: str) -> Response:
        query = _query(request)
        customer = _customer(request, external_id, query["source"])
        result = _serve(
            request,
            "buy_again",
            query["k"],
            lambda k: recommend_buy_again(customer=customer, k=k),
            customer,
        )
        return Response(RecommendationSerializer(result).data)


class SimilarProductsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Products similar to a product",
        parameters=[K_PARAM, SESSION_PARAM, DEMO_SOURCE_PARAM],
        responses={200: RecommendationSerializer, **ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        query = _query(request)
        product = _product(pk, query["source"])
        result = _serve(
            request,
            "similar",
            query["k"],
            lambda k: similar_products(product=product, k=k),
        )
        return Response(RecommendationSerializer(result).data)


class BoughtTogetherView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Frequently bought together (co-purchase in one invoice)",
        parameters=[K_PARAM, SESSION_PARAM, DEMO_SOURCE_PARAM],
        responses={200: RecommendationSerializer, **ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        query = _query(request)
        product = _product(pk, query["source"])
        result = _serve(
            request,
            "bought_together",
            query["k"],
            lambda k: bought_together(product=product, k=k),
        )
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
        args = data.validated_data
        result = _serve(
            request,
            "basket",
            args["k"],
            lambda k: recommend_for_basket(**{**args, "k": k}),
        )
        return Response(RecommendationSerializer(result).data)
