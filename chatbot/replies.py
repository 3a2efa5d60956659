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

# Used when no FAQ entry is similar enough to the message.
INTENT_ANSWERS = {
    "create_account": "You can create an account from the 'Sign in' page or at "
    "checkout; you only need an e-mail address and a password.",
    "delete_account": "To close your account and erase your personal data, ask for a "
    "person here or e-mail help@example-giftshop.co.uk; we confirm within 30 days.",
    "edit_account": "You can change your name, e-mail, password and saved addresses "
    "in 'My account' after signing in.",
    "switch_account": "Sign out from the menu at the top right, then sign in with the "
    "other account's e-mail address.",
    "recover_password": "Use 'Forgotten password?' on the sign-in page; we e-mail you "
    "a reset link that works for one hour.",
    "registration_problems": "Sorry the sign-up is giving you trouble. Check that the "
    "e-mail address is not already registered and that the password has 8 or more "
    "characters. If it still fails, I can pass you to a person.",
    "newsletter_subscription": "You can subscribe or unsubscribe in 'My account' > "
    "'E-mail preferences', or with the link at the bottom of any newsletter.",
    "set_up_shipping_address": "Add delivery addresses in 'My account' > 'Addresses'; "
    "you can pick one at checkout.",
    "place_order": "Browse the shop, add items to your basket and check out; prices "
    "drop automatically for larger quantities of the same item.",
    "change_order": "Items cannot be added to an order once it is placed. You can "
    "cancel it before it ships (say 'cancel my order') and order again.",
    "check_invoice": "Every order's VAT invoice is in 'My account' > 'Orders'.",
    "get_invoice": "Every order's VAT invoice is in 'My account' > 'Orders'; tell a "
    "person here if you need it e-mailed or addressed to a company.",
    "review": "Thank you for wanting to leave feedback! You can review any product on "
    "its page once it has been delivered.",
    "contact_customer_service": "Our team is available Monday to Friday 9am-5:30pm "
    "and Saturday 10am-2pm on 0161 496 0000 or help@example-giftshop.co.uk.",
    "check_cancellation_fee": "Cancelling is free until your order ships.",
    "check_payment_methods": "We accept Visa, Mastercard, American Express, PayPal, "
    "Apple Pay and Google Pay.",
    "payment_issue": "Sorry about the payment trouble. Check the billing address and "
    "3-D Secure step, or try another card or PayPal.",
    "delivery_options": "UK standard delivery is GBP 4.95 (free over GBP 50); next-day "
    "courier GBP 9.95; international tracked courier from GBP 14.95.",
    "delivery_period": "UK standard delivery takes 3-5 working days, next-day courier "
    "1 working day.",
    "check_refund_policy": "Unused items can be returned within 30 days for a full "
    "refund.",
    "opening_hours": "We're available Monday to Friday 9am-5:30pm and Saturday "
    "10am-2pm (UK time).",
}

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
