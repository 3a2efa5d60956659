"""Shared fixtures.

* Tests run on SQLite unless ``DATABASE_URL`` is set; ``make test`` runs the database
  tests a second time on PostgreSQL when it is reachable (always under ``CI=true``).
* ``@pytest.mark.services`` tests need PostgreSQL/Redis/a worker; they skip when those
  are unreachable, except under ``CI=true`` where they must run (and fail instead).
* Trained-model files go to a temporary ``ARTIFACTS_ROOT`` per test.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(
    os.environ.get(
        "SHARED_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data"
    )
)
ONLINE_RETAIL = SHARED_DATA / "online_retail.csv.gz"
MOVIELENS_RATINGS = SHARED_DATA / "movielens-small" / "ratings.csv"
BITEXT_DIR = SHARED_DATA / "bitext-customer-service"

_DB_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_setup",
    "live_server",
    "client",
    "admin_client",
    "django_user_model",
    "api_client",
}


def pytest_report_header(config):
    """Say where the shared data is read from, and say it loudly when it is missing."""
    if SHARED_DATA.is_dir():
        return f"shared data: {SHARED_DATA}"
    return (
        f"shared data: {SHARED_DATA} NOT FOUND - tests on the real data will fail; "
        "set SHARED_DATA_DIR to the folder holding online_retail.csv.gz"
    )


def pytest_collection_modifyitems(config, items):
    for item in items:
        uses_db = item.get_closest_marker("django_db") is not None or bool(
            _DB_FIXTURES & set(getattr(item, "fixturenames", ()))
        )
        if uses_db:
            item.add_marker(pytest.mark.database)


@pytest.fixture(autouse=True)
def _artifacts_root(settings, tmp_path):
    settings.ARTIFACTS_ROOT = tmp_path / "artifacts"
    # impressions written at once by the request, not a background thread, and
    # none left waiting for the exit flush (experiments)
    settings.EXPERIMENTS = {"impression_writer": "inline", "impression_batch": 1}


@pytest.fixture(autouse=True)
def _fresh_chatbot_indexes():
    """The chatbot's per-process indexes (FAQ, product names, categories) and their
    freshness stamps do not outlive the test whose rows they came from."""
    from chatbot.services.knowledge import knowledge_caches_clear

    knowledge_caches_clear()
    yield
    knowledge_caches_clear()


@pytest.fixture(autouse=True)
def _fresh_experiment_serving_cache():
    """Running experiments and surface configurations cached in-process
    (experiments.serving) do not outlive the test whose rolled-back rows they came
    from: the cache is cleared when a change commits, and a test never commits, so a
    later test was served a deleted variant (and its impressions broke the foreign
    key to it)."""
    from experiments.serving import serving_cache_clear

    serving_cache_clear()
    yield
    serving_cache_clear()


@pytest.fixture(autouse=True)
def _fresh_shop_clock():
    """The shop clock's cached newest-order time (shop.clock) does not outlive the
    test whose rolled-back orders it came from."""
    from django.core.cache import cache

    from shop.clock import CACHE_KEY

    cache.delete(CACHE_KEY)
    yield
    cache.delete(CACHE_KEY)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


class QueuedTasks:
    """Stands in for core.launch's background thread: records what the admin
    enqueued (so a test sees the request return first), then runs it on demand."""

    def __init__(self) -> None:
        self.calls: list = []

    def submit(self, fn, *args, **kwargs):
        self.calls.append((fn, args, kwargs))

    def run_all(self) -> int:
        done = 0
        while self.calls:
            fn, args, kwargs = self.calls.pop(0)
            fn(*args, **kwargs)
            done += 1
        return done


@pytest.fixture
def queued_tasks(monkeypatch):
    """Admin-launched tasks (core.launch, eager mode) are queued, not threaded; call
    ``queued_tasks.run_all()`` to run them in the test's thread and transaction."""
    import core.launch

    queue = QueuedTasks()
    monkeypatch.setattr(core.launch, "local_executor", lambda: queue)
    monkeypatch.setattr(core.launch, "close_old_connections", lambda: None)
    # the test's transaction never commits: send at once, as the admin's request does
    monkeypatch.setattr(core.launch, "after_commit", lambda fn: fn())
    return queue


@pytest.fixture(scope="session")
def online_retail_path() -> Path:
    if not ONLINE_RETAIL.exists():
        pytest.fail(f"shared data missing: {ONLINE_RETAIL}")
    return ONLINE_RETAIL


@pytest.fixture(scope="session")
def online_retail_slice(tmp_path_factory, online_retail_path) -> Path:
    """The first 5,000 data rows of the real Online Retail file, dirty rows included."""
    import gzip

    out = tmp_path_factory.mktemp("data") / "online_retail_head5000.csv"
    with (
        gzip.open(online_retail_path, "rt", encoding="utf-8") as src,
        open(out, "w", encoding="utf-8") as dst,
    ):
        for i, line in enumerate(src):
            if i > 5000:
                break
            dst.write(line)
    return out


def services_required() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require_service(reachable: bool, what: str) -> None:
    """Skip when a service is down locally; fail under CI=true, where it must run."""
    if reachable:
        return
    if services_required():
        pytest.fail(f"{what} is not reachable but CI=true requires it")
    pytest.skip(f"{what} is not reachable")


@pytest.fixture(scope="session", autouse=True)
def _close_other_test_db_sessions(request, django_db_blocker):
    """On PostgreSQL, end the sessions other processes or threads (Celery workers,
    the live server) still hold on the test database before pytest-django drops
    it; otherwise the drop fails with "being accessed by other users"."""
    from django.conf import settings

    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        yield
        return
    request.getfixturevalue("django_db_setup")  # so this teardown runs first
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        except Exception:  # noqa: BLE001 - the database may already be gone
            pass


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Finish the web process's task thread (core.launch, eager mode) before the
    test's fixtures are torn down: a task it still runs would otherwise reach the
    database after the test lost access, and its traceback would be formatted while
    the next test runs (CPython 3.11's ``ast`` is not safe across threads:
    "AST constructor recursion depth mismatch" stopped a whole run)."""
    yield
    import core.launch

    executor = core.launch._executor
    if executor is not None:
        try:
            executor.submit(lambda: None).result(timeout=600)
        except Exception:  # the test's own outcome is what matters here
            pass
