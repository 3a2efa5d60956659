"""Single-flight locks: database lease backend (and Redis when reachable)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from core.locks import (
    LockBusy,
    lock_acquire,
    lock_holder,
    lock_redis_url,
    lock_release,
    single_flight,
)
from core.models import Lock
from tests.conftest import require_service


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


pytestmark = pytest.mark.django_db


def test_database_backend_is_used_without_redis(settings):
    settings.CELERY_BROKER_URL = "memory://"
    settings.CORE_LOCK_REDIS_URL = ""
    assert lock_redis_url() == ""


def test_second_acquire_is_refused_until_release():
    token = lock_acquire("t.train")
    assert token is not None
    assert lock_acquire("t.train") is None
    assert lock_holder("t.train") == token
    assert not lock_release("t.train", "someone-else")
    assert lock_release("t.train", token)
    assert lock_acquire("t.train") is not None


def test_expired_lease_is_taken_over():
    Lock.objects.create(
        name="t.expired",
        owner="elsewhere:1:x",
        acquired_at=timezone.now() - timedelta(hours=2),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert lock_acquire("t.expired") is not None


def test_lock_of_a_dead_process_on_this_host_is_taken_over():
    import socket

    Lock.objects.create(
        name="t.dead",
        owner=f"{socket.gethostname()}:{_dead_pid()}:abc",
        acquired_at=timezone.now(),
        expires_at=timezone.now() + timedelta(hours=1),
    )
    assert lock_acquire("t.dead") is not None


def test_single_flight_as_context_manager_and_decorator():
    calls = []

    @single_flight("t.job")
    def job():
        calls.append(1)
        with pytest.raises(LockBusy) as err:
            with single_flight("t.job"):
                pass
        assert err.value.status_code == 409
        assert "t.job" in str(err.value)

    job()
    job()  # released after the first call, so it runs again
    assert calls == [1, 1]
    assert lock_holder("t.job") is None


@pytest.mark.services
def test_redis_backend(settings):
    import redis

    url = "redis://127.0.0.1:6379/5"
    try:
        redis.Redis.from_url(url, socket_timeout=1).ping()
        reachable = True
    except redis.exceptions.RedisError:
        reachable = False
    require_service(reachable, "Redis at 127.0.0.1:6379")
    settings.CORE_LOCK_REDIS_URL = url
    name = f"t.redis.{uuid.uuid4().hex[:6]}"
    with single_flight(name, ttl=30):
        assert lock_holder(name)
        with pytest.raises(LockBusy):
            with single_flight(name):
                pass
    assert lock_holder(name) is None
