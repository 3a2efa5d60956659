"""Structured logs with the task id, redaction, deploy checks and API throttling."""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from celery import shared_task
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from core.logging import JsonFormatter, RedactingFormatter, TaskContextFilter

ROOT = Path(__file__).resolve().parents[2]


def _record(msg: str, *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("t", logging.INFO, __file__, 1, msg, args, exc_info)


captured: list[logging.LogRecord] = []


@shared_task(name="tests.core.logs")
def logging_task() -> None:
    record = _record("inside")
    TaskContextFilter().filter(record)
    captured.append(record)


def test_task_context_filter_adds_task_id_and_name():
    captured.clear()
    logging_task.apply(task_id="tid-42").get()
    assert (captured[0].task_id, captured[0].task_name) == ("tid-42", "tests.core.logs")
    outside = _record("outside")
    TaskContextFilter().filter(outside)
    assert (outside.task_id, outside.task_name) == ("-", "-")


def test_json_formatter_redacts_message_and_traceback():
    try:
        raise ValueError("order 536365 of bob@example.com failed")
    except ValueError:
        record = _record(
            "refund %s for %s", "C536379", "ann@shop.co.uk", exc_info=sys.exc_info()
        )
    TaskContextFilter().filter(record)
    line = JsonFormatter().format(record)
    payload = json.loads(line)
    assert payload["message"] == "refund [order] for [email]"
    assert payload["task_id"] == "-"
    assert "536365" not in line and "bob@example.com" not in line
    assert "[order]" in payload["exception"]
    plain = RedactingFormatter("%(message)s").format(record)
    assert "536365" not in plain and "ann@shop.co.uk" not in plain


def _deploy_check(extra_env: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL"}}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL="sqlite:////tmp/ops-deploy-check.sqlite3",
        ARTIFACTS_ROOT="/tmp/ops-deploy-check-artifacts",
        **extra_env,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_check_deploy_is_clean_in_production_mode():
    done = _deploy_check(
        {
            "SECURE_HTTPS": "true",
            "CACHE_URL": "redis://127.0.0.1:6379/1",
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
            "ALLOWED_HOSTS": "shop.example.com",
        }
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
    plain_http = _deploy_check({})  # same without the production toggles: warnings
    assert plain_http.returncode != 0
    for code in (
        "security.W004",
        "security.W008",
        "security.W012",
        "core.E002",
        "core.W002",
    ):
        assert code in plain_http.stderr + plain_http.stdout


class _Ping(APIView):
    permission_classes: list = []

    def get(self, request):
        return Response({"ok": True})


def test_api_throttles_per_anonymous_client_and_per_user(
    monkeypatch, django_user_model, db, settings
):
    from django.core.cache import cache

    from config import settings as project_settings

    classes = project_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]
    assert "rest_framework.throttling.AnonRateThrottle" in classes
    assert "rest_framework.throttling.UserRateThrottle" in classes
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/min"})
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/min"})
    cache.clear()
    view = _Ping.as_view()
    factory = APIRequestFactory()

    def call(ip, user=None):
        request = factory.get("/ping", REMOTE_ADDR=ip)
        if user is not None:
            force_authenticate(request, user=user)
        return view(request).status_code

    assert [call("10.0.0.1") for _ in range(3)] == [200, 200, 429]
    assert call("10.0.0.2") == 200  # another anonymous client has its own budget
    ann = django_user_model.objects.create_user("ann", password="x")
    bob = django_user_model.objects.create_user("bob", password="x")
    assert [call("10.0.0.1", ann) for _ in range(4)] == [200, 200, 200, 429]
    assert call("10.0.0.1", bob) == 200  # per user, not per address


def test_django_request_logs_go_through_the_redacting_handler():
    """Django's own loggers (request paths carry order numbers) use our console
    handler, which redacts, instead of Django's default handlers."""
    import logging

    from core.logging import RedactFilter

    streams = [
        h
        for h in logging.getLogger("django").handlers
        if type(h) is logging.StreamHandler
    ]
    assert streams, "the django logger has no console handler"
    for handler in streams:
        assert any(isinstance(f, RedactFilter) for f in handler.filters)
        record = logging.LogRecord(
            "django.request",
            logging.WARNING,
            __file__,
            1,
            "Not Found: %s",
            ("/api/v1/orders/536367/a@b.com",),
            None,
        )
        for f in handler.filters:
            f.filter(record)
        assert handler.format(record).endswith(
            "Not Found: /api/v1/orders/[order]/[email]"
        )
