"""System checks: refuse to run without a secret key when DEBUG is off."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def secret_key_check(app_configs, **kwargs):
    if not settings.DEBUG and not settings.SECRET_KEY:
        return [
            Error(
                "SECRET_KEY is not set and DEBUG is off.",
                hint="Set SECRET_KEY in the environment or in .env (make run "
                "writes one).",
                id="core.E001",
            )
        ]
    return []


@register(deploy=True)
def production_services_check(app_configs, **kwargs):
    """Deploy checks: a shared cache for throttles; broker and results."""
    from django.core.checks import Warning

    out = []
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend.endswith(("LocMemCache", "DummyCache")):
        out.append(
            Warning(
                "The default cache is per-process, so API throttling counts each "
                "gunicorn worker separately.",
                hint="Set CACHE_URL=redis://127.0.0.1:6379/1 in production.",
                id="core.W001",
            )
        )
    broker = getattr(settings, "CELERY_BROKER_URL", "") or ""
    if broker.startswith("memory") or getattr(
        settings, "CELERY_TASK_ALWAYS_EAGER", False
    ):
        out.append(
            Warning(
                "Celery runs tasks in the web process (eager mode).",
                hint="Set CELERY_BROKER_URL=redis://127.0.0.1:6379/0 and run a worker.",
                id="core.W002",
            )
        )
    elif not getattr(settings, "CELERY_RESULT_BACKEND", None):
        out.append(
            Warning(
                "No CELERY_RESULT_BACKEND: chords (fan-out jobs) cannot complete.",
                hint="Set CELERY_RESULT_BACKEND (Redis).",
                id="core.W003",
            )
        )
    return out
