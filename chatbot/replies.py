"""Fixed texts of the bot: intent labels for quick replies and short canned answers."""

INTENT_LABELS = {
    "track_order": "Where is my order?",
    "cancel_order": "Cancel an order",
    "change_shipping_address": "Change delivery address",
    "return_item": "Return an item",
    "track_refund": "Refund status",
    "get_refund": "Get a refund",
    "delivery_options": "Delivery options",
    "delivery_period": "Delivery times",
    "payment_issue": "Payment problem",
    "check_payment_methods": "Payment methods",
    "check_refund_policy": "Returns policy",
    "product_search": "Find a product",
    "recommendation": "Recommend something",
    "opening_hours": "Opening hours",
    "contact_human_agent": "Talk to a person",
    "complaint": "Make a complaint",
}

START_QUICK_REPLIES = [
    "Where is my order?",
    "Return an item",
    "Delivery options",
    "Find a product",
    "Talk to a person",
]

# What the bot can do, said whenever it can't use a message (empty, too long,
# unreadable, another language).
CAN_DO = (
    "I can track, cancel or return your orders, answer questions about delivery, "
    "returns and payment, and find products in our shop."
)

SMALL_TALK = {
    "greeting": "Hello! I'm the shop's assistant. I can track, cancel or return "
    "orders, answer questions about delivery and payment, and find products.",
    "thanks": "You're welcome! Anything else I can help with?",
    "goodbye": "Goodbye, and thanks for shopping with us!",
    "out_of_scope": "Sorry, that's outside what I can help with. I can help with "
    "orders, returns, delivery, payment and products.",
}

SORRY_IN = {
    "fr": "Désolé.",
    "es": "Lo siento.",
    "de": "Entschuldigung.",
    "it": "Mi dispiace.",
    "pt": "Desculpe.",
    "nl": "Sorry.",
}
