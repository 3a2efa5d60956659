"""Issue 16 defect 1: a Redis outage degrades the API instead of breaking it.

Production settings (``CACHE_URL=redis://...``) are built by the project's own settings
module; the cache points at a private redis-server that the test kills and restarts.
"""

import logging
import runpy
from pathlib import Path

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from tests.redis_server import own_redis  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]


def _production_caches(monkeypatch, url: str) -> dict:
    monkeypatch.setenv("CACHE_URL", url)
    return runpy.run_path(str(ROOT / "config" / "settings.py"))["CACHES"]


def _reset_outage_filters():
    for f in logging.getLogger("core.cache").filters:
        f._last_error = None  # earlier tests' errors do not count


@pytest.mark.services
def test_api_keeps_serving_while_redis_is_down_and_recovers(
    own_redis,  # noqa: F811
    settings,
    monkeypatch,
    caplog,
    db,
):
    from django.core.cache import caches

    settings.CACHES = _production_caches(monkeypatch, own_redis.url(0))
    assert caches["default"].__class__.__module__.startswith("django_redis")
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/min"})
    _reset_outage_filters()
    client = APIClient()

    def statuses(n, ip="10.9.0.1"):
        return [
            client.get("/api/v1/products/", REMOTE_ADDR=ip).status_code
            for _ in range(n)
        ]

    assert statuses(4) == [200, 200, 200, 429]  # Redis up: the throttle counts

    own_redis.stop()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.cache"):
        assert statuses(6, ip="10.9.0.2") == [200] * 6  # degraded, not 500
    warnings = [r for r in caplog.records if r.name == "core.cache"]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert warnings[0].levelno == logging.WARNING
    assert "cache unavailable (ConnectionError)" in warnings[0].getMessage()
    assert str(own_redis.port) not in warnings[0].getMessage()  # no URL or host
    assert warnings[0].exc_info is None

    own_redis.start()  # same port, empty: the pool reconnects by itself
    assert statuses(4, ip="10.9.0.3") == [200, 200, 200, 429]


def test_cache_outage_filter_logs_once_per_outage(monkeypatch):
    from core.logging import CacheOutageFilter

    clock = [100.0]
    monkeypatch.setattr("time.monotonic", lambda: clock[0])
    f = CacheOutageFilter(quiet_seconds=60)

    def record():
        try:
            raise ConnectionRefusedError("redis://secret@host:6379")
        except ConnectionRefusedError:
            import sys

            return logging.LogRecord(
                "core.cache", logging.ERROR, __file__, 1, "Exception ignored", (),
                sys.exc_info(),
            )  # fmt: skip

    first = record()
    assert f.filter(first) is True
    assert first.levelname == "WARNING" and "secret" not in first.getMessage()
    for _ in range(5):
        clock[0] += 30  # errors keep coming: the same outage
        assert f.filter(record()) is False
    clock[0] += 61  # a quiet minute: Redis was back; a new outage is reported
    assert f.filter(record()) is True
