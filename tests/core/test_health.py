"""GET /healthz: database, broker, worker, models; 200 or 503; no secrets."""

from __future__ import annotations

import pytest

from core.demo import demo_train
from core.models import ModelArtifact

pytestmark = pytest.mark.django_db


def test_healthy_in_eager_mode_with_active_model(client, settings):
    demo_train(n_samples=100, epochs=5)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"]
    assert body["models"]["core.demo"]["active"] == "core.demo:v1"
    text = response.content.decode()
    assert "://" not in text
    if settings.SECRET_KEY:
        assert settings.SECRET_KEY not in text


def test_missing_model_file_is_unhealthy(client, settings):
    artifact = demo_train(n_samples=100, epochs=5)
    (settings.ARTIFACTS_ROOT / artifact.file).unlink()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["models"]["core.demo"]["file_present"] is False


def test_kind_without_active_model_is_reported(client):
    artifact = demo_train(n_samples=100, epochs=5)
    ModelArtifact.objects.filter(pk=artifact.pk).update(status="retired")
    body = client.get("/healthz").json()
    assert body["models"]["core.demo"] == {"ok": True, "active": None}


def test_unreachable_broker_is_503(client, settings):
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = old
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["worker"]["ok"] is False
    assert "127.0.0.1" not in response.content.decode()


def test_post_is_refused(client):
    assert client.post("/healthz").status_code == 405
