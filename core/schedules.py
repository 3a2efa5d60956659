"""The default retraining schedules, in one place, and the service that installs them.

Schedules live in django-celery-beat's tables (edit them in the admin: Periodic tasks).
:func:`schedules_setup` creates the missing ones and leaves edited ones alone (pass
``reset=True`` to restore the defaults). Tasks are referenced by name, so this module
imports none of the apps' code.

Times are in ``CELERY_TIMEZONE`` (Europe/London by default). Exactly ONE beat process
may run in a deployment; the tasks also hold a single-flight lock (``core.locks``), so a
duplicated trigger is recorded as ``skipped`` instead of training twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction


@dataclass(frozen=True)
class DefaultSchedule:
    name: str
    task: str
    description: str
    crontab: dict | None = None  # minute, hour, day_of_week, ...
    every_seconds: int | None = None
    kwargs: dict = field(default_factory=dict)
    enabled: bool = True
    #: other names the task may be registered under (used when ``task`` is not)
    aliases: tuple[str, ...] = ()


DEFAULT_SCHEDULES: tuple[DefaultSchedule, ...] = (
    DefaultSchedule(
        name="shop: nightly categories",
        task="shop.categorise_products",
        description="Give new products categories (01:45 nightly, before the "
        "retrain); a no-op when no product or rule changed.",
        crontab={"minute": "45", "hour": "1"},
    ),
    DefaultSchedule(
        name="recommender: nightly retrain",
        task="recommender.train",
        description="Retrain the recommenders on the latest orders (02:15 nightly).",
        crontab={"minute": "15", "hour": "2"},
    ),
    DefaultSchedule(
        name="recommender: refresh precomputed lists",
        task="recommender.precompute",
        description="Recompute the customers' stale precomputed lists (new orders, "
        "a new day for buy again; hourly at :40). A promotion recomputes at once.",
        crontab={"minute": "40"},
    ),
    DefaultSchedule(
        name="experiments: stop at the planned stop",
        task="experiments.stop_due",
        description="Stop running A/B experiments whose planned stop has passed "
        "(every 15 minutes; records kept).",
        every_seconds=900,
    ),
    DefaultSchedule(
        name="inventory: nightly forecast",
        task="inventory.forecast",
        description="Re-forecast demand and reorder points (03:15 nightly).",
        crontab={"minute": "15", "hour": "3"},
    ),
    DefaultSchedule(
        name="inventory: weekly backtest",
        task="inventory.backtest",
        description="Re-select every product's forecast model by rolling-origin "
        "backtest (Sundays 04:00).",
        crontab={"minute": "0", "hour": "4", "day_of_week": "0"},
    ),
    DefaultSchedule(
        name="pricing: weekly suggestions",
        task="pricing.suggest_prices",
        description="Re-estimate elasticities and suggest prices (Mondays 04:30).",
        crontab={"minute": "30", "hour": "4", "day_of_week": "1"},
        aliases=("pricing.suggest",),
    ),
    DefaultSchedule(
        name="pricing: daily approved prices",
        task="pricing.apply_due_prices",
        description="Apply approved prices whose effective date has come (00:05).",
        crontab={"minute": "5", "hour": "0"},
    ),
    DefaultSchedule(
        name="pricing: daily readouts",
        task="pricing.measure_readouts",
        description="'Did it work': read out applied prices whose weeks have "
        "passed (00:20).",
        crontab={"minute": "20", "hour": "0"},
    ),
    DefaultSchedule(
        name="chatbot: retrain intents on change",
        task="chatbot.train",
        description="Every 15 min; the task retrains only when the intent data changed "
        "(same data fingerprint = no-op).",
        every_seconds=15 * 60,
    ),
    DefaultSchedule(
        name="core: reap dead task runs",
        task="core.reap_task_runs",
        description="Mark runs of dead workers failed; release their locks.",
        every_seconds=5 * 60,
    ),
)

DEMO_SCHEDULE = DefaultSchedule(
    name="core: demo retrain every minute",
    task="core.demo_train",
    description="Demonstration of scheduled retraining (disable after the demo).",
    every_seconds=60,
    kwargs={"epochs": 50},
)


def _schedule_fields(spec: DefaultSchedule) -> dict:
    from django_celery_beat.models import (
        CrontabSchedule,
        IntervalSchedule,
    )

    if spec.crontab is not None:
        cron = {
            "minute": "*",
            "hour": "*",
            "day_of_week": "*",
            "day_of_month": "*",
            "month_of_year": "*",
            **spec.crontab,
        }
        schedule, _ = CrontabSchedule.objects.get_or_create(
            timezone=settings.CELERY_TIMEZONE, **cron
        )
        return {"crontab": schedule, "interval": None}
    interval, _ = IntervalSchedule.objects.get_or_create(
        every=spec.every_seconds, period=IntervalSchedule.SECONDS
    )
    return {"interval": interval, "crontab": None}


def registered_tasks() -> set[str]:
    """Names of every task the apps register (imports each app's ``tasks`` module)."""
    from config.celery import app

    app.loader.import_default_modules()
    return set(app.tasks)


def _task_name(spec: DefaultSchedule, registered: set[str]) -> str:
    if spec.task in registered:
        return spec.task
    return next((a for a in spec.aliases if a in registered), spec.task)


def schedules_unregistered() -> list[tuple[str, str]]:
    """``(schedule name, task)`` of enabled schedules whose task no code registers."""
    from django_celery_beat.models import PeriodicTask

    registered = registered_tasks()
    rows = PeriodicTask.objects.filter(enabled=True).values_list("name", "task")
    return [(name, task) for name, task in rows if task not in registered]


@transaction.atomic
def schedules_setup(*, reset: bool = False, demo: bool = False) -> dict[str, str]:
    """Create the default periodic tasks; return ``{name: created|kept|reset}``.

    Idempotent: an existing schedule (perhaps edited in the admin) is kept unless
    ``reset``. ``demo`` also installs the every-minute ``core.demo_train`` schedule.
    """
    from django_celery_beat.models import PeriodicTask

    specs = DEFAULT_SCHEDULES + ((DEMO_SCHEDULE,) if demo else ())
    registered = registered_tasks()
    out = {}
    for spec in specs:
        existing = PeriodicTask.objects.filter(name=spec.name).first()
        if existing is not None and not reset:
            out[spec.name] = "kept"
            continue
        values = {
            "task": _task_name(spec, registered),
            "description": spec.description,
            "kwargs": json.dumps(spec.kwargs),
            "enabled": spec.enabled,
            **_schedule_fields(spec),
        }
        PeriodicTask.objects.update_or_create(name=spec.name, defaults=values)
        out[spec.name] = "reset" if existing is not None else "created"
    return out
