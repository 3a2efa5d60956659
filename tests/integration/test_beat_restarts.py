"""Issue 16 defect 2: real beat processes, killed and restarted, and a Redis restart.

The broker is the test Redis (``OPS_TEST_REDIS_URL``; nothing consumes, so every send
stays countable in its queue); beat's locks (leader lease and slot claims) live in a
private redis-server that the test kills and restarts, losing every key as an
unpersisted Redis does. Before the fix beat exited with "beat lock lost to another
beat" after the Redis restart, and a restarted beat could re-send a slot.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from tests.integration.conftest import REDIS_URL, _database_url, wait_for
from tests.redis_server import own_redis  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]
NAME = "itest: every 2 s"

pytestmark = [pytest.mark.services, pytest.mark.slow]


def _sent_slots() -> list[str]:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    out = []
    for raw in client.lrange("celery", 0, -1):
        headers = json.loads(raw)["headers"]
        if headers.get("periodic_task_name") == NAME:
            out.append(headers.get("beat_slot") or headers["id"])
    return out


class Beats:
    def __init__(self, env: dict, log_dir: Path) -> None:
        self.env, self.log_dir, self.procs = env, log_dir, {}

    def start(self, tag: str) -> subprocess.Popen:
        log = open(self.log_dir / f"beat-{tag}.log", "w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "INFO"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[tag] = proc
        return proc

    def kill(self, tag: str) -> None:
        proc = self.procs[tag]
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)

    def log(self, tag: str) -> str:
        return (self.log_dir / f"beat-{tag}.log").read_text()

    def stop_all(self) -> None:
        for tag in self.procs:
            self.kill(tag)


def test_each_slot_is_sent_once_through_beat_kills_and_a_redis_restart(
    services,
    own_redis,  # noqa: F811
    tmp_path,
):
    from django.utils import timezone
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every = IntervalSchedule.objects.create(every=2, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name=NAME,
        task="tests.never_registered",
        interval=every,
        last_run_at=timezone.now() - timedelta(minutes=1),
    )
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(services),
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_RESULT_BACKEND": REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CORE_LOCK_REDIS_URL": own_redis.url(0),
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "integration-" + "x" * 40,
    }
    beats = Beats(env, tmp_path)
    try:
        beats.start("a")
        wait_for(lambda: len(_sent_slots()) >= 2, timeout=90, every=0.5)

        beats.kill("a")  # kill -9, then a new beat at once
        n = len(_sent_slots())
        beats.start("b")
        wait_for(lambda: len(_sent_slots()) >= n + 2, timeout=90, every=0.5)

        own_redis.restart()  # the lease and every claim are gone
        n = len(_sent_slots())
        # beat renewed its lease every 30 s and exited when it found it gone: sends
        # must go on for longer than that (17 x 2 s)
        wait_for(lambda: len(_sent_slots()) >= n + 17, timeout=120, every=0.5)
        assert beats.procs["b"].poll() is None, beats.log("b")
        assert "retaken" in beats.log("b")

        beats.start("c")  # a second beat: stands by, does not exit, sends nothing
        wait_for(lambda: "standing by" in beats.log("c"), timeout=90, every=0.5)
        n = len(_sent_slots())
        wait_for(lambda: len(_sent_slots()) >= n + 2, timeout=60, every=0.5)
        assert beats.procs["c"].poll() is None, beats.log("c")
        assert "Sending due task" not in beats.log("c")
    finally:
        beats.stop_all()

    slots = _sent_slots()
    twice = {slot: k for slot, k in Counter(slots).items() if k > 1}
    assert not twice, f"slots sent more than once: {twice}"
    assert len(slots) >= 23
