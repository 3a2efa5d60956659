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
    similar_products,
)
from ..services.precompute import customer_recommendations
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


def _item(product_id, stock_code, description, price, score, reason, strategy, **kw):
    """One recommended item as the API returns it (price in GBP, 2 dp)."""
    available = kw.get("available", 24)
    return {
        "product_id": product_id,
        "stock_code": stock_code,
        "description": description,
        "score": score,
        "reason": reason,
        "strategy": strategy,
        "price": price,
        "currency": "GBP",
        "stock_status": "in_stock" if available else "out_of_stock",
        "available": available,
        "url": f"/products/{product_id}/",
    }


def _answer(strategy, model_version, explanation, items, variant=""):
    return {
        "strategy": strategy,
        "model_version": model_version,
        "explanation": explanation,
        "recommendation_id": "9f1c2a7be04d4b8e8a51c3d2e6f70a14",
        "variant": variant,
        "count": len(items),
        "items": items,
    }


FOR_YOU_EXAMPLE = OpenApiExample(
    "for you",
    response_only=True,
    value=_answer(
        "personalised",
        "recommender.purchases:v3",
        "312 purchases scored by the temporal_blend model",
        [
            _item(
                1204,
                "85123A",
                "WHITE HANGING HEART T-LIGHT HOLDER",
                "2.95",
                1.83,
                "you buy this about every 5 weeks; last bought 2 Nov",
                "personalised",
                available=140,
            ),
            _item(
                877,
                "71053",
                "WHITE METAL LANTERN",
                "4.25",
                0.41,
                "because you bought WHITE HANGING HEART T-LIGHT HOLDER",
                "personalised",
                available=0,
            ),
        ],
        variant="treatment",
    ),
)
DISCOVER_EXAMPLE = OpenApiExample(
    "discover",
    response_only=True,
    value=_answer(
        "personalised",
        "recommender.discover:v2",
        "312 purchases scored by the temporal_blend model",
        [
            _item(
                2210,
                "22632",
                "HAND WARMER RED POLKA DOT",
                "2.10",
                0.77,
                "because you bought HAND WARMER UNION JACK",
                "personalised",
            )
        ],
    ),
)
BUY_AGAIN_EXAMPLE = OpenApiExample(
    "buy again",
    response_only=True,
    value=_answer(
        "buy_again",
        None,
        "14 products you buy again, the most due first",
        [
            _item(
                1204,
                "85123A",
                "WHITE HANGING HEART T-LIGHT HOLDER",
                "2.95",
                3.0,
                "you buy this about every 5 weeks; last bought 2 Nov; due since 7 Dec",
                "buy_again",
                available=140,
            )
        ],
    ),
)
SIMILAR_EXAMPLE = OpenApiExample(
    "similar to the white hanging heart",
    response_only=True,
    value=_answer(
        "similar_items",
        "recommender.content:v1",
        "products whose descriptions are most like WHITE HANGING HEART T-LIGHT HOLDER",
        [
            _item(
                1210,
                "85123B",
                "RED HANGING HEART T-LIGHT HOLDER",
                "2.95",
                0.92,
                "similar to WHITE HANGING HEART T-LIGHT HOLDER",
                "similar_items",
                available=36,
            ),
            _item(
                877,
                "71053",
                "WHITE METAL LANTERN",
                "4.25",
                0.58,
                "similar to WHITE HANGING HEART T-LIGHT HOLDER",
                "similar_items",
                available=0,
            ),
        ],
    ),
)
BOUGHT_TOGETHER_EXAMPLE = OpenApiExample(
    "bought with the white hanging heart",
    response_only=True,
    value=_answer(
        "bought_together",
        None,
        "products on the same invoice as WHITE HANGING HEART T-LIGHT HOLDER",
        [
            _item(
                1302,
                "21733",
                "RED HANGING HEART T-LIGHT HOLDER",
                "2.95",
                0.34,
                "bought together on 412 orders",
                "bought_together",
                available=60,
            ),
            _item(
                940,
                "84029G",
                "KNITTED UNION FLAG HOT WATER BOTTLE",
                "3.75",
                0.12,
                "bought together on 147 orders",
                "bought_together",
            ),
        ],
    ),
)
BASKET_REQUEST_EXAMPLE = OpenApiExample(
    "a basket of two",
    request_only=True,
    value={"product_ids": [1204, 877], "k": 2, "country": "United Kingdom"},
)
BASKET_EXAMPLE = OpenApiExample(
    "recommendations for the basket",
    response_only=True,
    value=_answer(
        "basket",
        "recommender.purchases:v3",
        "2 products in the basket scored by the item_knn model",
        [
            _item(
                1302,
                "21733",
                "RED HANGING HEART T-LIGHT HOLDER",
                "2.95",
                0.66,
                "goes with WHITE HANGING HEART T-LIGHT HOLDER in your basket",
                "basket",
                available=60,
            ),
            _item(
                1455,
                "22457",
                "NATURAL SLATE HEART CHALKBOARD",
                "2.95",
                0.31,
                "goes with WHITE METAL LANTERN in your basket",
                "basket",
            ),
        ],
    ),
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
            lambda k: customer_recommendations(customer=customer, k=k, surface=surface),
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
            lambda k: customer_recommendations(
                customer=customer, k=k, surface="buy_again"
            ),
            customer,
        )
        return Response(RecommendationSerializer(result).data)


class SimilarProductsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Products similar to a product",
        parameters=[K_PARAM, SESSION_PARAM, DEMO_SOURCE_PARAM],
        responses={200: RecommendationSerializer, **ERRORS},
        examples=[SIMILAR_EXAMPLE],
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
        examples=[BOUGHT_TOGETHER_EXAMPLE],
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
        examples=[BASKET_REQUEST_EXAMPLE, BASKET_EXAMPLE],
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
