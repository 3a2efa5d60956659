"""The admin home: what waits for whom, model health, and the jobs to start.

Apps declare what belongs on it in ``<app>/dashboard.py`` (discovered like
``admin.py``)::

    from core.dashboard import Queue, ModelHealth, register_queue, register_health

    register_queue(
        Queue(
            name="pricing-review",
            title="Price suggestions to review",
            audience="pricing analyst",
            permission="pricing.view_pricesuggestion",
            url=lambda: changelist_url(PriceSuggestion, status__exact="proposed"),
            count=lambda: PriceSuggestion.objects.filter(status="proposed").count(),
            trend=lambda: weekly_counts(PriceSuggestion.objects.all(), "created_at"),
            trend_label="suggestions created per week",
        )
    )

A queue's count links to its filtered admin list; an ``urgent`` count (overdue,
at risk) links to its own filter. Every callable is evaluated when the home page is
drawn; one that fails shows "unavailable" instead of breaking the page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from .jobs import AUDIENCES

logger = logging.getLogger(__name__)

_queues: dict[str, Queue] = {}
_health: dict[str, ModelHealth] = {}


def _call(fn, *args, default=None):
    if fn is None:
        return default
    try:
        return fn(*args) if callable(fn) else fn
    except Exception:  # one broken card never breaks the home page
        logger.exception("dashboard item failed")
        return default


@dataclass(frozen=True)
class Queue:
    """Work waiting for a person, as one card on the home page.

    Parameters
    ----------
    name : str, unique id.
    title : str, what waits (``"Price suggestions to review"``).
    audience : str, who works it (a key of ``core.jobs.AUDIENCES``).
    permission : str, ``app_label.codename`` needed to see the card.
    url : str or callable, the filtered admin list (stable query parameters).
    count : callable() -> int, rows waiting.
    urgent : callable() -> int, optional, rows past due / at risk.
    urgent_label, urgent_url : what the urgent count means, and its list.
    trend : callable() -> list of float, optional, a small history (oldest first).
    trend_label : str, what one trend point counts.
    hint : str, how the list is sorted or what to do first.
    """

    name: str
    title: str
    audience: str
    permission: str
    url: str | Callable[[], str]
    count: Callable[[], int]
    urgent: Callable[[], int] | None = None
    urgent_label: str = ""
    urgent_url: str | Callable[[], str] | None = None
    trend: Callable[[], list[float]] | None = None
    trend_label: str = ""
    hint: str = ""


@dataclass(frozen=True)
class ModelHealth:
    """How to describe the serving model of one kind (``recommender.purchases``).

    Parameters
    ----------
    kind : str, ``ModelArtifact.kind`` (or any id when ``current`` is given).
    title : str, what the model does, in words.
    metric : callable(artifact) -> str, the headline quality figure with its name.
    train_task : str, the task that trains it (its last run is shown).
    evaluation : callable() -> (text, url) or None, the last evaluation, if separate.
    data_end : callable(artifact) -> date or None, the newest data it learned from.
    current : callable() -> dict, for models that are not artifacts (forecast runs):
        ``{"label", "url", "since", "metric", "data_end"}``.
    permission : str, needed to see the row.
    """

    kind: str
    title: str
    metric: Callable = lambda artifact: ""
    train_task: str = ""
    evaluation: Callable[[], tuple[str, str] | None] | None = None
    data_end: Callable | None = None
    current: Callable[[], dict | None] | None = None
    permission: str = "core.view_modelartifact"


@dataclass(frozen=True)
class DataSource:
    """Where the data come from, and how fresh they are.

    Parameters
    ----------
    name : str, unique id; title : str, ``"Orders"``.
    newest : callable() -> datetime or date, the newest record.
    summary : callable() -> str, e.g. ``"25,900 invoices, 4,372 customers"``.
    url : the admin list of the records (or of the import reports).
    defines_today : bool, the newest record is the data's "today" (historical data:
        the models, forecasts and dates on the screens count from it).
    """

    name: str
    title: str
    newest: Callable
    summary: Callable[[], str]
    url: str | Callable[[], str]
    defines_today: bool = False
    permission: str = ""


_sources: dict[str, DataSource] = {}


def register_source(source: DataSource) -> DataSource:
    _sources[source.name] = source
    return source


def _as_date(value) -> date | None:
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            return timezone.localtime(value).date()
        return value.date()
    return value


def data_sources(user) -> tuple[list[dict], date | None]:
    """The data sources ``user`` may see and the data's "today" (or None)."""
    dashboard_discover()
    rows, today = [], None
    for source in _sources.values():
        if source.permission and not user.has_perm(source.permission):
            continue
        newest = _call(source.newest)
        if source.defines_today and newest is not None:
            today = max(today, _as_date(newest)) if today else _as_date(newest)
        rows.append(
            {
                "source": source,
                "newest": newest,
                "summary": _call(source.summary, default=""),
                "url": _url(source.url),
            }
        )
    return rows, today


def register_queue(queue: Queue) -> Queue:
    if queue.audience not in AUDIENCES:
        raise ValueError(f"queue {queue.name}: unknown audience {queue.audience!r}")
    _queues[queue.name] = queue
    return queue


def register_health(item: ModelHealth) -> ModelHealth:
    _health[item.kind] = item
    return item


def dashboard_discover() -> None:
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("dashboard")


def daily_counts(
    queryset: QuerySet, field: str, *, days: int = 14, end: date | None = None
) -> list[float]:
    """Rows of ``queryset`` per day of ``field`` over the ``days`` days ending ``end``
    (default today), oldest first (0 on days without rows)."""
    end = end or timezone.localdate()
    start = end - timedelta(days=days - 1)
    rows = (
        queryset.filter(**{f"{field}__date__gte": start, f"{field}__date__lte": end})
        .annotate(day=TruncDate(field))
        .values("day")
        .annotate(n=Count("pk"))
    )
    counts = {row["day"]: row["n"] for row in rows}
    return [float(counts.get(start + timedelta(days=i), 0)) for i in range(days)]


def weekly_counts(
    queryset: QuerySet, field: str, *, weeks: int = 8, end: date | None = None
) -> list[float]:
    """Rows per 7-day block over the ``weeks`` weeks ending ``end``, oldest first."""
    daily = daily_counts(queryset, field, days=7 * weeks, end=end)
    return [sum(daily[i : i + 7]) for i in range(0, len(daily), 7)]


def _url(value) -> str:
    return _call(value, default="") or ""


def queue_cards(user) -> list[dict]:
    """The queues ``user`` may see, grouped by audience (in ``AUDIENCES`` order)."""
    from .charts import sparkline

    dashboard_discover()
    cards = []
    for queue in _queues.values():
        if queue.permission and not user.has_perm(queue.permission):
            continue
        count = _call(queue.count)
        trend = _call(queue.trend, default=[]) or []
        cards.append(
            {
                "queue": queue,
                "audience": AUDIENCES[queue.audience],
                "count": count,
                "url": _url(queue.url),
                "urgent": _call(queue.urgent),
                "urgent_url": _url(queue.urgent_url) or _url(queue.url),
                "trend": sparkline(trend, label=queue.trend_label or queue.title)
                if len(trend) > 1
                else "",
                "trend_total": sum(trend),
            }
        )
    order = list(AUDIENCES.values())
    cards.sort(key=lambda c: (order.index(c["audience"]), c["queue"].title))
    return cards


def _last_run(task_name: str):
    from .models import TaskRun

    if not task_name:
        return None
    return (
        TaskRun.objects.filter(task_name=task_name)
        .exclude(status=TaskRun.Status.PENDING)
        .order_by("-created_at")
        .first()
    )


def _artifact_state(item: ModelHealth) -> dict:
    from django.urls import reverse

    from .models import ModelArtifact

    active = ModelArtifact.objects.filter(
        kind=item.kind, status=ModelArtifact.Status.ACTIVE
    ).first()
    if active is None:
        return {}
    return {
        "label": f"v{active.version} {active.algorithm}",
        "url": reverse("admin:core_modelartifact_change", args=[active.pk]),
        "since": active.activated_at,
        "metric": _call(item.metric, active, default=""),
        "data_end": _call(item.data_end, active) if item.data_end else None,
    }


def model_rows(user, *, data_today: date | None) -> list[dict]:
    """One row per model: what serves, its quality, its data, its last training."""
    from .models import ModelArtifact

    dashboard_discover()
    rows = []
    for item in sorted(_health.values(), key=lambda h: h.title):
        if item.permission and not user.has_perm(item.permission):
            continue
        state = (_call(item.current) if item.current else _artifact_state(item)) or {}
        data_end = _as_date(state.get("data_end"))
        behind = (data_today - data_end).days if data_today and data_end else None
        rows.append(
            {
                "item": item,
                "state": state,
                "last_run": _last_run(item.train_task),
                "evaluation": _call(item.evaluation),
                "data_end": data_end,
                "days_behind": behind,
                "candidates": 0
                if item.current
                else ModelArtifact.objects.filter(
                    kind=item.kind, status=ModelArtifact.Status.CANDIDATE
                ).count(),
            }
        )
    return rows


def _failed_runs() -> QuerySet:
    from .models import TaskRun

    return TaskRun.objects.filter(status=TaskRun.Status.FAILED)


def _failed_recently() -> QuerySet:
    return _failed_runs().filter(created_at__gte=timezone.now() - timedelta(days=7))


def _failed_url() -> str:
    from .adminkit import changelist_url
    from .models import TaskRun

    return changelist_url(TaskRun, status__exact="failed")


register_queue(
    Queue(
        name="failed-runs",
        title="Failed task runs, last 7 days",
        audience="operations",
        permission="core.view_taskrun",
        url=_failed_url,
        count=lambda: _failed_recently().count(),
        trend=lambda: daily_counts(_failed_runs(), "created_at"),
        trend_label="failed runs per day, last 14 days",
        hint="Each run's page shows the error and the traceback.",
    )
)
