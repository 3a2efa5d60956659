"""Defaults of the chatbot app, overridden by ``settings.CHATBOT`` (read lazily)."""

from __future__ import annotations

from typing import Any

from core.appsettings import AppSettings

DEFAULTS: dict[str, Any] = {
    # Model kinds in the artifact registry.
    "intent_kind": "chatbot.intents",
    "product_index_kind": "chatbot.products",
    # Below this probability the bot asks to clarify instead of acting.
    "confidence_threshold": 0.5,
    # A message of several words whose best intent is below this probability is
    # taken as outside the shop (the bot says what it can do instead); chosen by
    # 5-fold cross-validation on the training data in benchmarks/chatbot.py.
    "out_of_scope_threshold": 0.3,
    # Failed turns (clarifications) in a row before a handoff to a person.
    "max_failures": 2,
    # Longer messages get a polite request to shorten them (characters).
    "max_message_chars": 1000,
    # Held-out shares of the shared Bitext sample (never trained on).
    "holdout_llm": 0.25,
    "holdout_20k": 0.1,
    # Rows of the LLM sample count this much more than 20k rows in training.
    "llm_sample_weight": 3.0,
    # Classifier hyper-parameters (chatbot.nlu.intents.IntentClassifier).
    "classifier": {},
    # FAQ answers need at least this cosine similarity to be used.
    "faq_min_similarity": 0.35,
    # A message read as out of scope is answered by an FAQ entry of no intent
    # (where we are, wholesale, damaged items) only when this close to it.
    "faq_out_of_scope_similarity": 0.6,
    # FAQ entries (keys) that answer an intent. A listed intent is answered by the
    # most similar of its own entries, whatever the similarity; an entry listed
    # here never answers another intent (chatbot.services.knowledge.faq_answer).
    "faq_intents": {
        "check_payment_methods": ("payment-methods",),
        "payment_issue": ("payment-problem",),
        "delivery_options": ("shipping-options", "international"),
        "delivery_period": ("delivery-times",),
        "check_refund_policy": ("returns-policy", "refund-timing"),
        "check_cancellation_fee": ("cancellation",),
        "opening_hours": ("opening-hours",),
        "contact_customer_service": ("opening-hours",),
        "check_invoice": ("invoice",),
        "get_invoice": ("invoice",),
    },
    # Seconds between checks that the cached FAQ, category and product-name indexes
    # are current (a count/last-change query); an edit shows within this time.
    "index_check_seconds": 10,
    # Product search: results shown and minimum cosine similarity.
    "search_results": 5,
    "search_min_similarity": 0.25,
    # "Do you sell X?": a product fits when X's words are all catalogue words
    # (rapidfuzz ratio >= product_word_cutoff for typos) and its cosine with the
    # description reaches search_fit_similarity (chatbot.services.products).
    "search_fit_similarity": 0.45,
    "search_strong_similarity": 0.6,
    "product_word_cutoff": 85,
    # rapidfuzz score (0..100) for a product name mentioned in a message.
    "product_match_cutoff": 85,
    "random_state": 0,
    # Answers below this confidence go to the "misunderstood messages" queue.
    "review_confidence": 0.7,
    # A new visit resumes the visitor's latest conversation that is not closed and
    # was active within this many days (its support replies shown), else starts one.
    "resume_days": 30,
    # Support inbox: the priority of a handoff by its reason (the hours to reply per
    # priority are in the support policy, edited in the admin).
    "ticket_priority": {
        "complaint": "high",
        "frustration": "high",
        "payment_issue": "high",
    },  # fmt: skip
}

# Unknown keys in settings.CHATBOT are refused at start-up (core.appsettings).
APP_SETTINGS = AppSettings("CHATBOT", DEFAULTS, env_name="CHATBOT_SETTINGS")


def chatbot_settings() -> dict[str, Any]:
    """The defaults merged with ``settings.CHATBOT`` (read at call time)."""
    return APP_SETTINGS.merged()
