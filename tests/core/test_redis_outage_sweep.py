"""Issue 16 defect 1, repeated over the whole API: with Redis gone (cache, broker and
locks all pointing at a port where nothing listens), no endpoint answers 5xx."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from tests.redis_server import free_port
from tests.storefront.world import build_shop_world

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def redis_gone(settings, monkeypatch):
    """Production settings whose Redis is down for cache, broker and locks."""
    from config.celery import app

    # saved before the Django settings change: Celery reads its conf from them
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    url = f"redis://127.0.0.1:{free_port()}/0"
    monkeypatch.setenv("CACHE_URL", url)
    settings.CACHES = runpy.run_path(str(ROOT / "config" / "settings.py"))["CACHES"]
    settings.CELERY_BROKER_URL = url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CORE_LOCK_REDIS_URL = url
    settings.RECOMMENDER = {"filter_cache_seconds": 0, "active_cache_seconds": 0}
    app.conf.update(broker_url=url, task_always_eager=False)
    app._pool = None
    app.amqp._producer_pool = None
    yield url
    app.conf.update(**saved)
    app._pool = None
    app.amqp._producer_pool = None


def test_no_endpoint_answers_5xx_while_redis_is_down(redis_gone):
    world = build_shop_world()
    alice, candle = world["alice"], world["candles"][0]
    client = APIClient()
    client.force_login(alice.user)
    ext = alice.external_id
    calls = [
        ("get", "/api/v1/products/", None),
        ("get", f"/api/v1/products/{candle.pk}/", None),
        ("get", "/api/v1/categories/", None),
        ("get", "/api/v1/orders/", None),
        ("get", f"/api/v1/orders/{world['a_order'].invoice_no}/", None),
        ("get", "/api/v1/customers/me/", None),
        ("get", f"/api/v1/customers/{ext}/recommendations", None),
        ("get", f"/api/v1/customers/{ext}/buy-again", None),
        ("get", f"/api/v1/products/{candle.pk}/similar", None),
        ("get", f"/api/v1/products/{candle.pk}/bought-together", None),
        ("post", "/api/v1/recommendations/basket", {"product_ids": [candle.pk]}),
        ("get", f"/api/v1/products/{candle.pk}/price", None),
        ("get", f"/api/v1/products/{candle.pk}/availability", None),
        ("post", "/api/v1/events/", {"kind": "view", "product": candle.pk}),
        ("post", "/api/v1/chat/conversations/", {}),
        ("get", "/", None),
        ("get", f"/products/{candle.pk}/", None),
        ("get", "/basket/", None),
        ("get", "/account/", None),
    ]
    answers = {}
    for method, url, data in calls:
        response = getattr(client, method)(url, data, format="json")
        answers[url] = response.status_code
    conversation = client.post("/api/v1/chat/conversations/", {}, format="json")
    assert conversation.status_code == 201
    public_id = conversation.json()["conversation"]["id"]
    for text in ("where is my order?", "I want to talk to a person"):
        url = f"/api/v1/chat/conversations/{public_id}/messages/"
        answers[f"{url} {text}"] = client.post(
            url, {"text": text}, format="json"
        ).status_code
    errors = {url: code for url, code in answers.items() if code >= 500}
    assert not errors, errors
    assert answers["/api/v1/products/"] == 200
    assert all(code < 400 for code in answers.values()), answers


def test_saving_a_product_or_customer_queues_its_follow_up_or_says_why_not(
    redis_gone, django_capture_on_commit_callbacks, caplog
):
    from tests.factories import make_customer, make_product

    with django_capture_on_commit_callbacks(execute=True):
        product = make_product(description="NEW LANTERN", source="shop")
        customer = make_customer(source="shop")
    assert product.pk and customer.pk  # saved: no exception from the dead broker
    warnings = [r.getMessage() for r in caplog.records if r.name == "core.enqueue"]
    assert any("recommender.cold_start" in w for w in warnings), warnings
