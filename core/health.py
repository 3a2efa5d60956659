"""Health of the deployment: database, broker, workers and the active models.

Used by ``GET /healthz`` (load balancers, ``make run``, the operator) and
``manage.py healthcheck``. Answers carry no URLs, hosts or credentials: a failed check
names only the exception class.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection

from .models import ModelArtifact


def _error(exc: BaseException) -> dict:
    return {"ok": False, "error": type(exc).__name__}


def database_status() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return _error(exc)
    return {"ok": True, "vendor": connection.vendor}


def _eager() -> bool:
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


def broker_status(*, timeout: float = 2.0) -> dict:
    if _eager():
        return {"ok": True, "mode": "eager (tasks run in the web process)"}
    from config.celery import app

    try:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:
        return _error(exc)
    return {"ok": True, "transport": app.conf.broker_url.split(":", 1)[0]}


def worker_status(*, timeout: float = 1.0) -> dict:
    """Celery nodes answering a ping within ``timeout`` s (at least one is needed)."""
    if _eager():
        return {"ok": True, "mode": "eager", "count": 0}
    from config.celery import app

    try:
        replies = app.control.inspect(timeout=timeout).ping() or {}
    except Exception as exc:
        return _error(exc)
    return {"ok": bool(replies), "count": len(replies)}


def models_status() -> dict:
    """Per kind: the active version and whether its file is present.

    A kind that has artifacts but none active reports ``active: null`` (not trained
    to completion yet); a missing active file makes the check fail.
    """
    from .artifacts import artifacts_root

    root = artifacts_root()
    out: dict = {}
    kinds = ModelArtifact.objects.values_list("kind", flat=True).distinct()
    for kind in sorted(set(kinds)):
        active = ModelArtifact.objects.filter(
            kind=kind, status=ModelArtifact.Status.ACTIVE
        ).first()
        if active is None:
            out[kind] = {"ok": True, "active": None}
            continue
        present = (root / active.file).exists()
        out[kind] = {
            "ok": present,
            "active": active.label,
            "algorithm": active.algorithm,
            "activated_at": active.activated_at.isoformat()
            if active.activated_at
            else None,
            "file_present": present,
        }
    return out


def health_report() -> tuple[bool, dict]:
    """``(healthy, report)``; healthy when every check and every active model is ok."""
    checks = {"database": database_status()}
    checks["broker"] = broker_status()
    checks["worker"] = (
        worker_status() if checks["broker"]["ok"] else {"ok": False, "error": "broker"}
    )
    try:
        models = models_status() if checks["database"]["ok"] else {}
    except Exception as exc:
        models = {"registry": _error(exc)}
    healthy = all(c["ok"] for c in checks.values()) and all(
        m["ok"] for m in models.values()
    )
    return healthy, {
        "status": "ok" if healthy else "unhealthy",
        "checks": checks,
        "models": models,
    }
