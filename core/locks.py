"""Named single-flight locks, so a duplicated trigger cannot train twice at once.

Two interchangeable backends, picked from settings:

* **Redis** (``CORE_LOCK_REDIS_URL``, defaulting to ``CELERY_BROKER_URL`` when that is a
  ``redis://`` URL): ``SET key token NX PX ttl`` to acquire, a compare-and-delete Lua
  script to release, so only the owner can release (Redis docs, "Distributed locks").
* **Database** (SQLite/PostgreSQL, no Redis configured): a :class:`core.models.Lock`
  lease row; acquiring inserts the row (the unique name makes a second insert fail) or
  takes over an expired one with one conditional ``UPDATE``.

Every lock has a time to live (default: the Celery hard time limit plus a minute), so
a worker killed while holding one blocks the next run at most that long; the reaper
(:mod:`core.reaper`) releases locks of processes it knows to be dead sooner.

Use it as a context manager or decorator::

    with single_flight("recommender.train"):
        ...

    @single_flight("pricing.suggest")
    def pricing_suggest_all(): ...

Both raise :class:`LockBusy` (a 409 ``Conflict``) when another holder has the lock.
"""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .exceptions import Conflict

KEY_PREFIX = "shopai:lock:"
_RELEASE_LUA = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class LockBusy(Conflict):
    """The named lock is held by someone else."""

    code = "lock_busy"


def owner_token() -> str:
    """``<host>:<pid>:<random>``: who holds a lock (the reaper parses host and pid)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def default_ttl_seconds() -> int:
    return int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 3600) or 3600) + 60


def lock_redis_url() -> str:
    """The Redis URL locks use, or ``""`` for the database backend."""
    url = getattr(settings, "CORE_LOCK_REDIS_URL", "") or ""
    if url:
        return url
    broker = getattr(settings, "CELERY_BROKER_URL", "") or ""
    return broker if broker.startswith(("redis://", "rediss://")) else ""


def _redis():
    import redis

    return redis.Redis.from_url(lock_redis_url(), socket_timeout=5)


def token_owner_dead(token: str) -> bool:
    """True when ``token`` was issued to a process on this host that no longer runs."""
    from .processes import pid_alive

    host, _, rest = token.partition(":")
    pid = rest.partition(":")[0]
    return host == socket.gethostname() and pid.isdigit() and not pid_alive(int(pid))


def _try_acquire(name: str, token: str, ttl: int) -> bool:
    if lock_redis_url():
        return bool(_redis().set(KEY_PREFIX + name, token, nx=True, px=ttl * 1000))
    return _db_acquire(name, token, ttl) is not None


def lock_acquire(
    name: str, *, ttl: int | None = None, take_over_dead: bool = True
) -> str | None:
    """Try to take lock ``name``; return the owner token, or None when busy.

    A lock whose holder was a process on this host that has died (a killed worker
    whose message is redelivered) is taken over, unless ``take_over_dead`` is False
    (a claim that must outlive its holder, such as a beat slot).
    """
    ttl = ttl or default_ttl_seconds()
    token = owner_token()
    if _try_acquire(name, token, ttl):
        return token
    if not take_over_dead:
        return None
    holder = lock_holder(name)
    if holder and token_owner_dead(holder):
        lock_release(name, holder)
        if _try_acquire(name, token, ttl):
            return token
    return None


def lock_release(name: str, token: str) -> bool:
    """Release lock ``name`` if ``token`` still owns it; True when released."""
    if lock_redis_url():
        return bool(_redis().eval(_RELEASE_LUA, 1, KEY_PREFIX + name, token))
    from .models import Lock

    return Lock.objects.filter(name=name, owner=token).delete()[0] > 0


def lock_holder(name: str) -> str | None:
    """The owner token of lock ``name`` if it is held and not expired."""
    if lock_redis_url():
        value = _redis().get(KEY_PREFIX + name)
        return value.decode() if value else None
    from .models import Lock

    row = Lock.objects.filter(name=name, expires_at__gt=timezone.now()).first()
    return row.owner if row else None


def locks_held() -> dict[str, str]:
    """Every held lock: ``{name: owner token}``."""
    if lock_redis_url():
        client = _redis()
        out = {}
        for key in client.scan_iter(match=KEY_PREFIX + "*", count=200):
            value = client.get(key)
            if value:
                out[key.decode()[len(KEY_PREFIX) :]] = value.decode()
        return out
    from .models import Lock

    rows = Lock.objects.filter(expires_at__gt=timezone.now())
    return dict(rows.values_list("name", "owner"))


def _db_acquire(name: str, token: str, ttl: int) -> str | None:
    from .models import Lock

    now = timezone.now()
    expires = now + timedelta(seconds=ttl)
    try:
        with transaction.atomic():
            Lock.objects.create(
                name=name, owner=token, acquired_at=now, expires_at=expires
            )
        return token
    except IntegrityError:
        taken = Lock.objects.filter(name=name, expires_at__lte=now).update(
            owner=token, acquired_at=now, expires_at=expires
        )
        return token if taken else None


class single_flight(contextlib.ContextDecorator):  # noqa: N801 (reads as a verb)
    """Hold the named lock for the block; raise :class:`LockBusy` when it is taken.

    Parameters
    ----------
    name : str
        Lock name, conventionally the task name (``"recommender.train"``).
    ttl : int, optional
        Seconds before the lock expires by itself (default: hard time limit + 60 s).
    """

    def __init__(self, name: str, *, ttl: int | None = None) -> None:
        self.name = name
        self.ttl = ttl
        self.token: str | None = None

    def __enter__(self) -> single_flight:
        token = lock_acquire(self.name, ttl=self.ttl)
        if token is None:
            raise LockBusy(
                f"{self.name!r} is already running (lock held by "
                f"{lock_holder(self.name) or 'another process'})",
                field="lock",
            )
        self.token = token
        return self

    def __exit__(self, *exc) -> None:
        if self.token:
            lock_release(self.name, self.token)
            self.token = None

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def inner(*args, **kwargs):
            with single_flight(self.name, ttl=self.ttl):
                return func(*args, **kwargs)

        return inner


@contextlib.contextmanager
def maybe_single_flight(name: str | None) -> Iterator[None]:
    """:class:`single_flight` when ``name`` is given, else a no-op."""
    if not name:
        yield
        return
    with single_flight(name):
        yield


_RENEW_LUA = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


def lock_renew(name: str, token: str, *, ttl: int) -> bool:
    """Extend lock ``name`` by ``ttl`` s if ``token`` still owns it (True if so)."""
    if lock_redis_url():
        return bool(_redis().eval(_RENEW_LUA, 1, KEY_PREFIX + name, token, ttl * 1000))
    from .models import Lock

    expires = timezone.now() + timedelta(seconds=ttl)
    return Lock.objects.filter(name=name, owner=token).update(expires_at=expires) > 0


#: the leader lease of beat (core.beat.SingleBeatScheduler)
BEAT_LOCK = "celery-beat"
