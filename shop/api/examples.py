"""OpenAPI examples of the shop API (issue 14.6): the gift shop's real kind of data
(stock codes, descriptions, GBP prices with 2 dp), valid for the serializers' schema.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

HEART = {
    "id": 1204,
    "source": "online_retail",
    "stock_code": "85123A",
    "description": "WHITE HANGING HEART T-LIGHT HOLDER",
    "name": "White Hanging Heart T-Light Holder",
    "url": "/products/1204/",
    "alt_descriptions": ["CREAM HANGING HEART T-LIGHT HOLDER"],
    "category": "Candles & Lights",
    "kind": "merchandise",
    "is_merchandise": True,
    "list_price": "2.95",
    "currency": "GBP",
    "is_active": True,
    "first_sold_at": "2009-12-01T07:45:00Z",
    "last_sold_at": "2011-12-09T12:49:00Z",
}
PRODUCT_LIST = OpenApiExample(
    "a gift-shop product",
    response_only=True,
    value=HEART,
    description="one page of products; each item as GET /products/{id}/",
)
PRODUCT = OpenApiExample("the white hanging heart", response_only=True, value=HEART)
CATEGORY_LIST = OpenApiExample(
    "a category",
    response_only=True,
    value={
        "id": 7,
        "name": "Candles & Lights",
        "slug": "candles-lights",
        "products": 214,
        "url": "/categories/candles-lights/",
    },
)
ORDER = {
    "invoice_no": "536365",
    "customer": "17850",
    "placed_at": "2010-12-01T08:26:00Z",
    "country": "United Kingdom",
    "kind": "sale",
    "status": "delivered",
    "total": "30.75",
}
ORDER_LIST = OpenApiExample("a delivered order", response_only=True, value=ORDER)
ORDER_DETAIL = OpenApiExample(
    "a delivered order with its lines",
    response_only=True,
    value={
        **ORDER,
        "shipping_address": "12 Station Road, Stockport SK1 3AB, United Kingdom",
        "cancels": None,
        "lines": [
            {
                "line_no": 1,
                "product_id": 1204,
                "stock_code": "85123A",
                "description": "WHITE HANGING HEART T-LIGHT HOLDER",
                "quantity": 6,
                "unit_price": "2.55",
                "amount": "15.30",
            },
            {
                "line_no": 2,
                "product_id": 877,
                "stock_code": "71053",
                "description": "WHITE METAL LANTERN",
                "quantity": 3,
                "unit_price": "5.15",
                "amount": "15.45",
            },
        ],
    },
)
EVENT_REQUEST = OpenApiExample(
    "a click on a recommendation",
    request_only=True,
    value={
        "kind": "click",
        "product": 1204,
        "session_key": "k3x9qv2m7d1c8b0a",
        "recommendation_id": "9f1c2a7be04d4b8e8a51c3d2e6f70a14",
        "metadata": {"surface": "similar"},
    },
)
EVENT_SEARCH_REQUEST = OpenApiExample(
    "a search",
    request_only=True,
    value={
        "kind": "search",
        "query": "heart t-light",
        "session_key": "k3x9qv2m7d1c8b0a",
    },
)
EVENT = OpenApiExample(
    "the recorded click",
    response_only=True,
    value={
        "id": 48213,
        "kind": "click",
        "product": 1204,
        "query": "",
        "session_key": "k3x9qv2m7d1c8b0a",
        "recommendation_id": "9f1c2a7be04d4b8e8a51c3d2e6f70a14",
        "order": None,
        "occurred_at": "2026-12-07T17:20:05Z",
    },
)
CUSTOMER = OpenApiExample(
    "a shop customer",
    response_only=True,
    value={
        "id": 311,
        "source": "online_retail",
        "external_id": "17850",
        "country": "United Kingdom",
        "email": "customer17850@example.com",
        "orders": 34,
    },
)
