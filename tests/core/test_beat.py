"""Issue 16 defect 2: beat sends each scheduled slot once, through restarts.

In-process schedulers on the database lock backend; the same scheduler as a real
``celery beat`` process against a Redis that is restarted is covered in
tests/integration/test_beat_restarts.py.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from celery.signals import before_task_publish
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from core.beat import SingleBeatScheduler, slot_key
from core.locks import BEAT_LOCK, lock_holder, lock_release

pytestmark = [
    # Transactional: django-celery-beat's DatabaseScheduler calls Django's
    # close_old_connections() in sync() and schedule_changed(), as a beat process
    # should between ticks. Inside a test's atomic block the connection's autocommit
    # (off) differs from the settings' (on), so Django closes it; on PostgreSQL the
    # test's next query then fails with "the connection is closed" (SQLite's
    # in-memory test database ignores close()). Outside a transaction the scheduler
    # reconnects as it does in production.
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]

NAME = "test: every second"


@pytest.fixture
def sent(settings):
    """Headers of every message published during the test (the broker's view)."""
    settings.CORE_LOCK_REDIS_URL = ""
    settings.CELERY_BROKER_URL = "memory://"
    out: list[dict] = []

    def record(sender=None, headers=None, **kwargs):
        if headers and headers.get("periodic_task_name") == NAME:
            out.append(dict(headers))

    before_task_publish.connect(record, weak=False)
    yield out
    before_task_publish.disconnect(record)


@pytest.fixture
def schedule(transactional_db):
    every = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    return PeriodicTask.objects.create(
        name=NAME,
        task="tests.never_registered",  # sent by name; nothing consumes it here
        interval=every,
        last_run_at=timezone.now() - timedelta(minutes=1),
    )


@pytest.fixture
def beats():
    """Make schedulers; their exit-time sync is cancelled (the test database goes)."""
    from config.celery import app

    made = []

    def make():
        made.append(SingleBeatScheduler(app=app))
        return made[-1]

    yield make
    for beat in made:
        beat._finalize.cancel()


def _ticks(beat, n=4):
    for _ in range(n):
        beat.tick()


def test_a_beat_killed_before_saving_does_not_resend_the_slot(
    sent, schedule, beats, caplog
):
    stale = PeriodicTask.objects.get(pk=schedule.pk).last_run_at
    first = beats()
    _ticks(first)
    assert [h["beat_slot"] for h in sent] == [slot_key(NAME, stale)]
    # kill -9 after the send, before last_run_at was saved: the new beat reads the
    # old last_run_at, and the old beat's lease has expired
    PeriodicTask.objects.filter(pk=schedule.pk).update(last_run_at=stale)
    lock_release(BEAT_LOCK, first._lease)
    second = beats()
    with caplog.at_level(logging.WARNING, logger="core.beat"):
        _ticks(second)
    assert len(sent) == 1, "the restarted beat sent the same slot again"
    assert "already sent" in caplog.text
    saved = PeriodicTask.objects.get(pk=schedule.pk).last_run_at
    assert saved > stale  # advanced and saved at once (CELERY_BEAT_SYNC_EVERY = 1)
    time.sleep(1.1)  # the next slot is sent, once
    _ticks(second)
    assert len(sent) == 2 and sent[1]["beat_slot"] == slot_key(NAME, saved)


def test_a_second_beat_stands_by_and_a_lost_lease_is_retaken(
    sent, schedule, beats, caplog
):
    leader, standby = beats(), beats()
    _ticks(leader, 2)
    with caplog.at_level(logging.WARNING, logger="core.beat"):
        assert standby.tick() == standby.standby_interval
    assert "standing by" in caplog.text
    assert len(sent) == 1
    # the lease vanishes (an unpersisted Redis restarted): the leader takes it again
    # and goes on instead of exiting
    lock_release(BEAT_LOCK, leader._lease)
    time.sleep(1.1)
    with caplog.at_level(logging.WARNING, logger="core.beat"):
        _ticks(leader, 3)
    assert "retaken" in caplog.text
    assert lock_holder(BEAT_LOCK) == leader._lease
    assert len(sent) == 2
    assert len({h["beat_slot"] for h in sent}) == 2
    leader.close()  # a clean stop hands over at once
    time.sleep(1.1)
    _ticks(standby, 3)
    assert len(sent) == 3 and len({h["beat_slot"] for h in sent}) == 3


def test_a_crontab_slot_never_run_before_is_sent_once_through_a_kill(settings, beats):
    """A schedule with no last run (its slot keyed on ``date_changed``), killed after
    the send and before the save; and two beats at once (issue 16.2: a fresh beat sent
    the cleanup job twice within 0.12 s)."""
    from django_celery_beat.models import CrontabSchedule

    settings.CORE_LOCK_REDIS_URL = ""
    cron = CrontabSchedule.objects.create(minute="*", hour="*", timezone="UTC")
    task = PeriodicTask.objects.create(
        name="test: every minute", task="tests.never_registered", crontab=cron
    )
    changed = timezone.now() - timedelta(days=2)
    PeriodicTask.objects.filter(pk=task.pk).update(date_changed=changed)
    out = []

    def record(sender=None, headers=None, **kwargs):
        if headers and headers.get("periodic_task_name") == "test: every minute":
            out.append(headers["beat_slot"])

    before_task_publish.connect(record, weak=False)
    try:
        first = beats()
        _ticks(first, 6)
        assert len(out) == 1
        # killed before saving: no last run recorded, the lease expired
        PeriodicTask.objects.filter(pk=task.pk).update(
            last_run_at=None, date_changed=changed
        )
        lock_release(BEAT_LOCK, first._lease)
        second = beats()
        _ticks(second, 6)
    finally:
        before_task_publish.disconnect(record)
    assert out == [slot_key("test: every minute", changed)]
