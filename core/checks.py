"""System checks: a secret key when DEBUG is off; shared services in production."""

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


PER_PROCESS_CACHES = ("LocMemCache", "DummyCache")


@register(deploy=True)
def production_services_check(app_configs, **kwargs):
    """Deploy checks: a shared cache for throttles; broker and results.

    Throttling on a per-process cache is an Error (``core.E002``): with N gunicorn
    workers each counts alone, so a 2/min limit lets up to 2N requests through.
    """
    from django.core.checks import Warning

    out = []
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    throttles = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_CLASSES") or []
    if throttles and backend.endswith(PER_PROCESS_CACHES):
        out.append(
            Error(
                f"API throttling ({len(throttles)} throttle classes) counts in a "
                f"per-process cache ({backend.rsplit('.', 1)[-1]}), so each web "
                "worker has its own budget and the limits do not hold.",
                hint="Set CACHE_URL=redis://127.0.0.1:6379/1 in production.",
                id="core.E002",
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
