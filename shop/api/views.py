"""Shop API views: catalogue, the signed-in customer's orders, events, profile."""

from __future__ import annotations

from django.db.models import DecimalField, ExpressionWrapper, F, Sum
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors
from ..models import Order
from ..services.events import event_record
from . import examples as ex
from . import serializers as s
from .filters import ProductFilter, ProductSearchFilter

LINE_AMOUNT = ExpressionWrapper(
    F("lines__quantity") * F("lines__unit_price"),
    output_field=DecimalField(max_digits=14, decimal_places=3),
)


@extend_schema(tags=["catalogue"], examples=[ex.PRODUCT_LIST])
class ProductListView(generics.ListAPIView):
    """The shop's products, ordered by id: merchandise a shopper can buy (never a
    film of the ratings demo, postage, a fee or an inactive product). ``search``
    matches every word in the description, stock code or category name (plural
    optional). ``source=movielens`` (a demo rating data set) lists its items
    instead: the explicit opt-in of the ratings demo. ``stock_code`` looks a product
    up by its exact stock code (``?stock_code=85123A``)."""

    serializer_class = s.ProductOut
    permission_classes = [permissions.AllowAny]
    filterset_class = ProductFilter
    filter_backends = [DjangoFilterBackend, ProductSearchFilter]

    def get_queryset(self):
        return selectors.product_catalogue(
            source=self.request.query_params.get("source")
        )


@extend_schema(
    tags=["catalogue"],
    parameters=[
        OpenApiParameter(
            "source",
            str,
            description="a demo rating data set (movielens): the opt-in that opens "
            "its items",
        )
    ],
    responses={200: s.ProductOut, 404: None},
    examples=[ex.PRODUCT],
)
class ProductDetailView(APIView):
    """One product by id: a sellable product; an item of a demo rating data set
    (a MovieLens film) only with ``?source=movielens``. Postage, fees and inactive
    products are 404."""

    permission_classes = [permissions.AllowAny]

    def get(self, request, pk: int):
        product = selectors.product_public_get(
            product_id=pk, source=request.query_params.get("source")
        )
        if product is None:
            raise NotFound()
        return Response(s.ProductOut(product, context={"request": request}).data)


@extend_schema(
    tags=["catalogue"],
    parameters=[
        OpenApiParameter(
            "source", str, description="a demo rating data set (movielens): its genres"
        )
    ],
    examples=[ex.CATEGORY_LIST],
)
class CategoryListView(generics.ListAPIView):
    """Categories holding products a shopper can buy, by name, with how many."""

    serializer_class = s.CategoryOut
    permission_classes = [permissions.AllowAny]
    filter_backends: list = []

    def get_queryset(self):
        return selectors.category_list(source=self.request.query_params.get("source"))


@extend_schema(tags=["orders"], examples=[ex.ORDER_LIST])
class OrderListView(generics.ListAPIView):
    """The signed-in customer's orders, newest first (staff: every order)."""

    serializer_class = s.OrderOut
    permission_classes = [permissions.IsAuthenticated]
    filter_backends: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=Order.Status.values),
            OpenApiParameter("kind", str, enum=Order.Kind.values),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        qs = selectors.orders_visible_to(user=self.request.user)
        for name, allowed in (("status", Order.Status), ("kind", Order.Kind)):
            value = self.request.query_params.get(name)
            if value is None:
                continue
            if value not in allowed.values:
                raise ValidationError(
                    {
                        name: [
                            f"one of {', '.join(sorted(allowed.values))}; got {value!r}"
                        ]
                    }
                )
            qs = qs.filter(**{name: value})
        return qs.select_related("customer")

    def paginate_queryset(self, queryset):
        """Totals are summed for the page's orders only (one query)."""
        page = super().paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        totals = dict(
            Order.objects.filter(pk__in=[o.pk for o in rows])
            .annotate(total=Sum(LINE_AMOUNT))
            .values_list("pk", "total")
        )
        for order in rows:
            order.total = totals.get(order.pk) or 0
        return page


@extend_schema(
    tags=["orders"],
    responses={200: s.OrderDetailOut, 404: None},
    examples=[ex.ORDER_DETAIL],
)
class OrderDetailView(APIView):
    """One order by invoice number; another customer's order is a 404 like a
    missing one."""

    permission_classes = [permissions.IsAuthenticated]

    def get(self, request, invoice_no: str):
        if request.user.is_staff:
            order = selectors.order_get(invoice_no=invoice_no)
        else:
            customer = selectors.customer_for_user(user=request.user)
            order = selectors.order_get_for_customer(
                customer=customer, invoice_no=invoice_no
            )
        if order is None:
            raise NotFound()
        return Response(s.OrderDetailOut(order).data)


@extend_schema(
    tags=["events"],
    request=s.EventIn,
    responses={201: s.EventOut, 400: OpenApiResponse(description="invalid event")},
    examples=[ex.EVENT_REQUEST, ex.EVENT_SEARCH_REQUEST, ex.EVENT],
)
class EventCreateView(APIView):
    """Record a behaviour event. Signed in: the event is the customer's; anonymous:
    ``session_key`` is required."""

    permission_classes = [permissions.AllowAny]

    def post(self, request):
        data = s.EventIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        event = event_record(
            kind=v["kind"],
            customer=selectors.customer_for_user(user=request.user),
            session_key=v.get("session_key", ""),
            product_id=v.get("product"),
            query=v.get("query", ""),
            occurred_at=v.get("occurred_at"),
            metadata=v.get("metadata"),
            recommendation_id=v.get("recommendation_id", ""),
            order=v.get("order", ""),
        )
        return Response(s.EventOut(event).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=["customers"],
    responses={200: s.CustomerOut, 404: None},
    examples=[ex.CUSTOMER],
)
class CustomerMeView(APIView):
    """The shop customer linked to the signed-in user."""

    permission_classes = [permissions.IsAuthenticated]

    def get(self, request):
        customer = selectors.customer_for_user(user=request.user)
        if customer is None:
            raise NotFound("no shop customer is linked to this user")
        return Response(s.CustomerOut(customer).data)
