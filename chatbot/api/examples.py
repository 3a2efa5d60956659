"""OpenAPI examples of the chat API (issue 14.6): a customer asking where an order
is, as a customer sees it (no intent label, confidence or model version: those are
for staff only)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

CONVERSATION = {
    "id": "3f6d2c9e-8b1a-4e57-9c0d-2a7b5e41f8c3",
    "status": "open",
    "created_at": "2026-12-07T17:20:00Z",
}
WELCOME = {
    "id": 9101,
    "role": "bot",
    "text": "Hello! I'm the shop's assistant. Ask me about your orders, returns, "
    "delivery, payment or our products.",
    "quick_replies": [
        "Where is my order?",
        "Return an item",
        "Delivery options",
        "Find a product",
    ],
    "action": "welcome",
    "data": {},
    "created_at": "2026-12-07T17:20:00Z",
}
QUESTION = {
    "id": 9102,
    "role": "user",
    "text": "where is my order 536365?",
    "quick_replies": [],
    "action": "",
    "data": {},
    "created_at": "2026-12-07T17:20:12Z",
}
STATUS_REPLY = {
    "id": 9103,
    "role": "bot",
    "text": "Order 536365 (placed 01 Dec 2010, 2 products, £30.75) has been "
    "shipped and is on its way.",
    "quick_replies": [],
    "action": "order_status",
    "data": {"status": "shipped"},
    "created_at": "2026-12-07T17:20:12Z",
}

START = OpenApiExample(
    "a new conversation with the welcome",
    response_only=True,
    value={"conversation": CONVERSATION, "reply": WELCOME},
)
MESSAGE_REQUEST = OpenApiExample(
    "where is my order",
    request_only=True,
    value={"text": "where is my order 536365?"},
)
REPLY = OpenApiExample(
    "the order's status",
    response_only=True,
    value={"conversation": CONVERSATION, "reply": STATUS_REPLY, "handoff": False},
)
TRANSCRIPT = OpenApiExample(
    "a conversation so far",
    response_only=True,
    value={"conversation": CONVERSATION, "messages": [WELCOME, QUESTION, STATUS_REPLY]},
)
FEEDBACK_REQUEST = OpenApiExample(
    "a thumbs-down", request_only=True, value={"helpful": False}
)
