"""Impression logging off the request's critical path: rows are buffered in-process
and written with one ``bulk_create`` per batch.

A response appends one dict (microseconds); every ``impression_batch`` rows, or on
the first response after the oldest waiting row turned ``impression_max_age_seconds``
old, the buffer is written in one INSERT, by a background writer thread
(``impression_writer: "thread"``, the default: no request waits for the write) or
by the request that filled the batch (``"inline"``: the tests, for determinism).
:func:`impressions_flush` writes what waits (the readout calls it first; ``atexit``
calls it when a worker stops). A failed write is logged and never breaks a
response; at most one batch can be lost if a process dies.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time

from .conf import exp_settings

log = logging.getLogger(__name__)

_LOCK = threading.Lock()
_PENDING: list[dict] = []
_OLDEST: list[float] = []


def impression_log(row: dict) -> None:
    """Queue one impression (the fields of :class:`experiments.models.Impression`)."""
    conf = exp_settings()
    with _LOCK:
        if not _PENDING:
            _OLDEST[:] = [time.monotonic()]
        _PENDING.append(row)
        due = len(_PENDING) >= int(conf["impression_batch"]) or (
            time.monotonic() - _OLDEST[0] >= float(conf["impression_max_age_seconds"])
        )
    if due:
        if conf["impression_writer"] == "thread":
            _wake_writer()
        else:
            impressions_flush()


_WAKE = threading.Event()
_WRITER: list[threading.Thread] = []


def _write_forever() -> None:
    from django.db import connections

    while True:
        _WAKE.wait()
        _WAKE.clear()
        try:
            impressions_flush()
        finally:
            connections.close_all()  # this thread's connections only


def _wake_writer() -> None:
    with _LOCK:
        if not _WRITER or not _WRITER[0].is_alive():
            thread = threading.Thread(
                target=_write_forever, name="impression-writer", daemon=True
            )
            _WRITER[:] = [thread]
            thread.start()
    _WAKE.set()


def impressions_flush() -> int:
    """Write every waiting impression; returns how many were written."""
    from .models import Impression

    with _LOCK:
        rows = list(_PENDING)
        _PENDING.clear()
    if not rows:
        return 0
    try:
        Impression.objects.bulk_create(
            [Impression(**row) for row in rows], ignore_conflicts=True
        )
    except Exception:  # noqa: BLE001 - logging must never break serving
        log.exception("%d impressions not recorded", len(rows))
        return 0
    return len(rows)


def impressions_pending() -> int:
    return len(_PENDING)


def impressions_discard() -> None:
    """Forget waiting impressions (tests)."""
    with _LOCK:
        _PENDING.clear()


atexit.register(impressions_flush)
