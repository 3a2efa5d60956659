"""Celery beat that sends each scheduled slot exactly once, through restarts.

:class:`SingleBeatScheduler` is django-celery-beat's ``DatabaseScheduler`` (schedules
edited in the admin) with two guards built on :mod:`core.locks` (Redis ``SET NX PX``,
or a database lease row without Redis):

* **Slot claim** (the guarantee). Before a due entry is sent, beat claims the key
  ``beat-slot:<schedule name>:<last_run_at>``. ``last_run_at`` identifies the slot: the
  run due after it is the same run whichever beat process computes it. A beat killed
  with ``kill -9`` before it saved ``last_run_at`` comes back with the old value, finds
  the slot claimed and skips it; two beats running at once send it once. Claims live
  for :data:`SLOT_CLAIM_TTL` (7 days), longer than any gap between a send and the save
  of ``last_run_at`` (beat saves after every send: ``CELERY_BEAT_SYNC_EVERY = 1``).
* **Leader lease** (keeps a second beat idle). A beat sends only while it holds the
  ``celery-beat`` lease (90 s, renewed at every tick, at most every 5 s). A beat that
  finds the lease gone (Redis restarted without persistence) takes it again and goes
  on; one that finds another live beat holding it stands by and takes over when that
  beat stops. Beat never exits over the lease, so a Procfile's other processes never
  stop with it.

If the lock store cannot be reached, beat sends anyway (at least once rather than not
at all) and says so; the training tasks hold their own single-flight locks. Publishing
retries for about 30 s (:data:`PUBLISH_RETRY_POLICY`), so a broker restart delays a
send instead of losing it.

References: the Redis documentation, "Distributed locks with Redis" (``SET NX PX``);
celery-redbeat's leader lock, which this lease follows for the DatabaseScheduler.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django_celery_beat.schedulers import DatabaseScheduler

from .locks import BEAT_LOCK, lock_acquire, lock_holder, lock_release, lock_renew

log = logging.getLogger("core.beat")

#: seconds a slot claim is kept
SLOT_CLAIM_TTL = 7 * 24 * 3600
#: seconds of the leader lease; a stopped leader's lease frees after this long
LEADER_TTL = 90
#: kombu retry policy for beat's sends (about 30 s in all)
PUBLISH_RETRY_POLICY = {
    "max_retries": 12,
    "interval_start": 0.5,
    "interval_step": 0.5,
    "interval_max": 3.0,
}


def slot_key(name: str, last_run_at: datetime) -> str:
    """The claim key of the run of schedule ``name`` due after ``last_run_at``.

    Parameters
    ----------
    name : str
        The schedule's (``PeriodicTask``) name.
    last_run_at : datetime
        When the schedule last ran, as this beat knows it (aware, any time zone;
        naive is taken as UTC, as celery's ``maybe_make_aware`` does).
    """
    if last_run_at.tzinfo is None:
        last_run_at = last_run_at.replace(tzinfo=UTC)
    stamp = last_run_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return f"beat-slot:{name}:{stamp}"


def slot_claim(key: str) -> str | bool | None:
    """Claim ``key``: the claim's token, False if already claimed (by any process,
    dead or alive), or None when the lock store is unreachable."""
    try:
        return lock_acquire(key, ttl=SLOT_CLAIM_TTL, take_over_dead=False) or False
    except Exception as exc:  # Redis or database down
        log.warning("beat: cannot claim %s (%s)", key, type(exc).__name__)
        return None


class SingleBeatScheduler(DatabaseScheduler):
    """``DatabaseScheduler`` with a slot claim per send and a leader lease.

    Use ``celery -A config beat --scheduler core.beat:SingleBeatScheduler`` (the
    default: ``CELERY_BEAT_SCHEDULER``).
    """

    #: seconds between checks while another beat leads
    standby_interval = 5.0

    def __init__(self, *args, **kwargs) -> None:
        self._lease: str | None = None
        self._standby_logged = False
        super().__init__(*args, **kwargs)

    # --- leader lease ------------------------------------------------------------
    def _lead(self) -> bool:
        """Hold (renew or take) the leader lease; False while another beat has it."""
        try:
            if self._lease and lock_renew(BEAT_LOCK, self._lease, ttl=LEADER_TTL):
                return True
            was_leader = self._lease is not None
            self._lease = lock_acquire(BEAT_LOCK, ttl=LEADER_TTL)
        except Exception as exc:  # lock store down: keep going, slots still claimed
            log.warning("beat: leader lease unavailable (%s)", type(exc).__name__)
            return True
        if self._lease:
            if was_leader:
                log.warning("beat: leader lease was lost (Redis restart?); retaken")
            else:
                log.info("beat: leading (lease %s)", self._lease)
                self._heap = None  # re-read schedules a previous leader advanced
                self._initial_read = True
            self._standby_logged = False
            return True
        if not self._standby_logged:
            log.warning(
                "beat: another beat leads (%s); standing by", lock_holder(BEAT_LOCK)
            )
            self._standby_logged = True
        return False

    def tick(self, *args, **kwargs) -> float:
        if not self._lead():
            return self.standby_interval
        return super().tick(*args, **kwargs)

    # --- one send per slot -------------------------------------------------------
    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        key = slot_key(entry.name, entry.last_run_at)
        claimed = slot_claim(key)
        if claimed is False:
            log.warning("beat: %s was already sent; not sending it again", key)
            self._tasks_since_sync += 1  # save the advanced last_run_at all the same
            if self.should_sync():
                self._do_sync()
            return None
        if claimed is None:
            log.warning("beat: sending %s unclaimed (lock store unavailable)", key)
        entry.options = {
            **entry.options,
            "headers": {**entry.options.get("headers", {}), "beat_slot": key},
            "retry": True,
            "retry_policy": PUBLISH_RETRY_POLICY,
        }
        try:
            return super().apply_async(
                entry, producer=producer, advance=advance, **kwargs
            )
        except Exception:
            if claimed:  # not sent: the claim must not block a later try
                _release_quietly(key, claimed)
            raise

    def close(self) -> None:
        super().close()
        if self._lease:  # a clean stop lets a standby beat lead at once
            _release_quietly(BEAT_LOCK, self._lease)
            self._lease = None


def _release_quietly(name: str, token: str) -> None:
    try:
        lock_release(name, token)
    except Exception:  # the lock expires by itself
        log.warning("beat: could not release %s", name)
