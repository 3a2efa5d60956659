"""Log filters: redact e-mail addresses and invoice numbers from log records."""

from __future__ import annotations

import logging
import re

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
INVOICE_RE = re.compile(r"\b[CA]?\d{6}\b")


def redact(text: str) -> str:
    """Replace e-mail addresses and 6-digit order numbers with placeholders."""
    return INVOICE_RE.sub("[order]", EMAIL_RE.sub("[email]", text))


class RedactFilter(logging.Filter):
    """A logging filter that redacts personal data from the formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logged as it is
            return True
        record.msg, record.args = redact(message), None
        return True


def _current_task():
    try:
        from celery import current_task
    except ImportError:  # pragma: no cover
        return None
    task = current_task
    return task if task and getattr(task, "request", None) else None


class TaskContextFilter(logging.Filter):
    """Add ``task_id``/``task_name`` of the running Celery task ("-" outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        task = _current_task()
        request = getattr(task, "request", None)
        record.task_id = getattr(request, "id", None) or "-"
        record.task_name = (
            getattr(task, "name", None) if record.task_id != "-" else None
        ) or "-"
        return True


class RedactingFormatter(logging.Formatter):
    """A plain formatter that also redacts tracebacks and exception text."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, task id/name, exception.

    Personal data is redacted from the message and the traceback.
    """

    def format(self, record: logging.LogRecord) -> str:
        import json

        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "task_id": getattr(record, "task_id", "-"),
            "task_name": getattr(record, "task_name", "-"),
            "process": record.process,
        }
        if record.exc_info:
            payload["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(payload, default=str)


class CacheOutageFilter(logging.Filter):
    """One warning per cache outage instead of a traceback per request.

    Attached to the logger django-redis reports ignored errors to
    (``DJANGO_REDIS_LOGGER = "core.cache"``, with ``IGNORE_EXCEPTIONS``). The first
    error of an outage passes as one WARNING line naming the exception class (never the
    URL); later ones are dropped while they keep coming. An outage ends after
    ``quiet_seconds`` without an error (Redis is back: its connection pool reconnects by
    itself), so the next error is reported again.
    """

    def __init__(self, quiet_seconds: float = 60.0) -> None:
        super().__init__()
        self.quiet_seconds = float(quiet_seconds)
        self._last_error: float | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        import time

        if getattr(record, "cache_outage_reported", False):
            return True  # already rewritten by another instance (logging set up twice)
        now = time.monotonic()
        ongoing = (
            self._last_error is not None and now - self._last_error < self.quiet_seconds
        )
        self._last_error = now
        if ongoing:
            return False
        exc = record.exc_info[1] if record.exc_info else None
        cause = getattr(exc, "__cause__", None) or exc
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.msg = (
            "cache unavailable (%s); serving without it: cached pages are rebuilt and "
            "API throttles let requests through until it is back"
        )
        record.args = (type(cause).__name__ if cause else "error",)
        record.exc_info = record.exc_text = None
        record.cache_outage_reported = True
        return True
