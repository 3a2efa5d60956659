"""Real Celery worker processes against Redis and PostgreSQL.

These tests run in the PostgreSQL pass of ``make test``
(``DATABASE_URL=postgres://... pytest -m database``): the worker subprocess connects to
the very test database pytest-django created (``test_<name>``), so both see committed
rows (``transactional_db``). In the SQLite pass they skip (a worker process cannot
share an in-memory SQLite database); with ``CI=true`` they fail when PostgreSQL or
Redis cannot be reached.

Redis: ``OPS_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/5``, a database number
of our own; it is flushed before each test).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("OPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def _redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.exceptions.RedisError:
        return False


def _postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def services(transactional_db, settings):
    """PostgreSQL test database + Redis, or a skip (locally) / failure (CI=true)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        require_service(_postgres_reachable(), "PostgreSQL at 127.0.0.1:5432")
        pytest.skip(
            "needs the PostgreSQL pass (DATABASE_URL=postgres://...): a worker "
            "process cannot share the in-memory SQLite test database"
        )
    require_service(_redis_reachable(), f"Redis at {REDIS_URL}")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    settings.CORE_LOCK_REDIS_URL = REDIS_URL  # the reaper here sees the worker's locks
    return connection.settings_dict


@pytest.fixture
def redis_app(services, settings):
    """The project's Celery app pointed at the test Redis for this test (not eager)."""
    from config.celery import app

    saved = {
        k: app.conf[k] for k in ("broker_url", "result_backend", "task_always_eager")
    }
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = REDIS_URL

    def reset_connections():  # drop pools cached by earlier (eager) tests
        app._pool = None
        app.amqp._producer_pool = None
        app.__dict__.pop("backend", None)
        if hasattr(app, "_local"):
            app._local.__dict__.pop("backend", None)

    app.conf.update(
        broker_url=REDIS_URL, result_backend=REDIS_URL, task_always_eager=False
    )
    reset_connections()
    yield app
    app.conf.update(**saved)
    reset_connections()


def _database_url(db: dict) -> str:
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


class Workers:
    """Starts and stops worker subprocesses; kills them with SIGKILL on demand."""

    def __init__(self, app, db: dict, artifacts_root: Path, log_dir: Path) -> None:
        self.app = app
        self.env = {
            **os.environ,
            "DATABASE_URL": _database_url(db),
            "CELERY_BROKER_URL": REDIS_URL,
            "CELERY_RESULT_BACKEND": REDIS_URL,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "ARTIFACTS_ROOT": str(artifacts_root),
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "integration-" + "x" * 40,
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen] = []

    def start(self, *, pool: str = "prefork", timeout: float = 40) -> tuple:
        name = f"opstest-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
        log = open(self.log_dir / f"{name.split('@')[0]}.log", "w")
        cmd = [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "--pool", pool, "--concurrency", "1", "--loglevel", "INFO",
            "--without-mingle", "--without-gossip", "--hostname", name,
        ]  # fmt: skip
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop_all kills children
        )
        self.procs.append(proc)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited: see {log.name}")
            if self.app.control.ping(destination=[name], timeout=0.5):
                return proc, name
        raise RuntimeError(f"worker {name} not ready after {timeout} s: {log.name}")

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL the worker process (its prefork children, if any, too)."""
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs:
            self.kill(proc)


@pytest.fixture
def workers(redis_app, services, settings, tmp_path):
    pool = Workers(redis_app, services, Path(settings.ARTIFACTS_ROOT), tmp_path)
    yield pool
    pool.stop_all()


def wait_for(predicate, *, timeout: float = 30, every: float = 0.1):
    """Poll ``predicate()`` until it returns a truthy value; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout} s")
