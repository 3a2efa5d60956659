"""The storefront's chat widget in a real headless browser against the live server."""

from __future__ import annotations

import shutil

import pytest

from tests.factories import make_product

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def trained(transactional_db, tmp_path):
    """A small intent model (greeting vs a few intents) registered and active."""
    from chatbot.nlu.encoder import encode
    from chatbot.nlu.intents import IntentClassifier
    from chatbot.services.data import faq_seed
    from chatbot.services.nlu import intent_model_clear
    from core.artifacts import artifact_activate, artifact_create

    examples = {
        "greeting": ["hello", "hi there", "good morning", "hey, hello"],
        "track_order": ["where is my order", "track my parcel", "order status",
                        "has my order shipped"],
        "delivery_options": ["what delivery options do you have", "shipping costs",
                             "do you offer next day delivery", "how do you ship"],
        "out_of_scope": ["tell me a joke", "what's the weather", "who won the match",
                         "write a poem"],
    }  # fmt: skip
    texts = [t for items in examples.values() for t in items]
    labels = [k for k, items in examples.items() for _ in items]
    model = IntentClassifier(min_df=1).fit(texts, labels, embeddings=encode(texts))
    path = tmp_path / "m.npz"
    model.save(path)
    artifact = artifact_create(
        kind="chatbot.intents",
        algorithm="test",
        writer=lambda p: shutil.copyfile(path, p),
    )
    artifact_activate(artifact)
    intent_model_clear()
    faq_seed()
    yield artifact
    intent_model_clear()


def test_widget_sends_a_message_and_shows_the_reply(live_server, browser, trained):
    product = make_product(description="WHITE HANGING HEART T-LIGHT HOLDER")
    page = browser.new_page()
    page.goto(f"{live_server.url}/")
    assert "WHITE HANGING HEART" in page.inner_text("main").upper()
    page.click("#chat-toggle")
    page.wait_for_selector("#chat-log .msg.bot")  # the welcome message
    page.fill("#chat-input", "hello there")
    page.click("#chat-send")
    page.wait_for_function(
        "document.querySelectorAll('#chat-log .msg.bot').length >= 2", timeout=30_000
    )
    replies = page.locator("#chat-log .msg.bot p").all_inner_texts()
    assert "Hello" in replies[-1]
    # HTML typed by the customer is shown as text, never interpreted.
    page.fill("#chat-input", "<img src=x onerror=alert(1)><b>bold</b>")
    page.click("#chat-send")
    page.wait_for_function(
        "document.querySelectorAll('#chat-log .msg.bot').length >= 3", timeout=30_000
    )
    assert page.locator("#chat-log img").count() == 0
    assert page.locator("#chat-log b").count() == 0
    user_texts = page.locator("#chat-log .msg.user p").all_inner_texts()
    assert user_texts[-1] == "<img src=x onerror=alert(1)><b>bold</b>"
    # The product page renders (its recommendations are drawn by the server).
    page.goto(f"{live_server.url}/products/{product.pk}/")
    assert page.locator("h1").inner_text().upper().startswith("WHITE HANGING HEART")
    page.close()
