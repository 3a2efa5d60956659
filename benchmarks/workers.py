"""Wall time of one fanned-out job with 1 and 2 Celery worker processes on Redis.

The job: ``core.demo_chunk`` (CPU-bound dense solves) over N ids split into chunks by
``core.fanout.fanout_run`` (a chord); the parent ``TaskRun`` is polled until done. The
same job also runs serially in this process, without Celery, as the reference.

Usage (PostgreSQL recommended: several processes write progress at once)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shopai \\
        nice -n 10 .venv/bin/python benchmarks/workers.py --ids 96 --chunk 4 --work 1500

Broker and result backend: ``BENCH_REDIS_URL`` (default redis://127.0.0.1:6379/6; the
database is flushed before each setting). Workers are separate processes
(``celery -A config worker --pool prefork --concurrency 1``), as they would be on
separate machines.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
os.environ.update(
    CELERY_BROKER_URL=REDIS_URL,
    CELERY_RESULT_BACKEND=REDIS_URL,
    CELERY_TASK_ALWAYS_EAGER="false",
    DJANGO_SETTINGS_MODULE="config.settings",
)
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")  # one core per process, in every setting
os.environ.setdefault("SECRET_KEY", "benchmark-only-" + "x" * 40)
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/shopai-bench-workers.sqlite3")


def start_workers(n: int, app) -> list[subprocess.Popen]:
    procs, names = [], []
    for i in range(n):
        name = f"bench{i}-{os.getpid()}@%h"
        cmd = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--loglevel",
            "WARNING",
            "--without-mingle",
            "--without-gossip",
            "--hostname",
            name,
        ]
        procs.append(
            subprocess.Popen(
                cmd,
                cwd=ROOT,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        names.append(name.replace("%h", os.uname().nodename))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if len(app.control.ping(destination=names, timeout=0.5)) == n:
            return procs
    stop_workers(procs)
    raise SystemExit("workers did not start within 90 s")


def stop_workers(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)


def run_fanout(ids: list[int], chunk: int, work: int) -> tuple[float, dict]:
    from core.fanout import fanout_run
    from core.models import TaskRun

    t0 = time.perf_counter()
    parent = fanout_run(
        task_name="core.demo_chunk", ids=ids, chunk_size=chunk, kwargs={"work": work}
    )
    while True:
        parent.refresh_from_db()
        if parent.status != TaskRun.Status.RUNNING:
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - t0
    if parent.status != TaskRun.Status.SUCCEEDED:
        raise SystemExit(f"fan-out failed: {parent.error}")
    return elapsed, parent.metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=int, default=96)
    parser.add_argument("--chunk", type=int, default=4)
    parser.add_argument("--work", type=int, default=1500, help="solves per id")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    import django

    django.setup()
    import redis
    from django.core.management import call_command

    from config.celery import app
    from core.demo import demo_chunk

    call_command("migrate", verbosity=0)
    ids = list(range(args.ids))
    rows = []
    t0 = time.perf_counter()
    reference = demo_chunk(ids=ids, work=args.work)
    rows.append(
        (
            "serial, no Celery (reference)",
            0,
            time.perf_counter() - t0,
            1,
            reference["checksum"],
        )
    )
    for n in args.workers:
        redis.Redis.from_url(REDIS_URL).flushdb()
        procs = start_workers(n, app)
        try:
            elapsed, metrics = run_fanout(ids, args.chunk, args.work)
        finally:
            stop_workers(procs)
        pids = {r["pid"] for r in metrics["results"]}
        checksum = sum(r["checksum"] for r in metrics["results"])
        rows.append(
            (f"fan-out, {n} worker process(es)", n, elapsed, len(pids), checksum)
        )

    chunks = -(-args.ids // args.chunk)
    print(
        f"\njob: core.demo_chunk over {args.ids} ids, {chunks} chunks of "
        f"{args.chunk}, {args.work} solves per id; cpus={os.cpu_count()}, "
        f"load avg={os.getloadavg()[0]:.1f}"
    )
    base = next((r[2] for r in rows if r[1] == 1), rows[0][2])
    print(
        f"{'setup':<34}{'wall s':>9}{'speed-up':>10}{'procs used':>12}"
        f"{'checksum ok':>13}"
    )
    for label, _, elapsed, used, checksum in rows:
        same = abs(checksum - reference["checksum"]) < 1e-6 * max(
            1.0, abs(reference["checksum"])
        )
        print(
            f"{label:<34}{elapsed:>9.2f}{base / elapsed:>9.2f}x{used:>12}"
            f"{'yes' if same else 'NO':>13}"
        )
    print("(speed-up relative to 1 worker process)")


if __name__ == "__main__":
    main()
