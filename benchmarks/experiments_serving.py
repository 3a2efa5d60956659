"""What the experiments' serving hook adds to a recommendation request.

Run::

    OPENBLAS_NUM_THREADS=1 nice -n 10 \\
        .venv/bin/python benchmarks/experiments_serving.py [--calls 5000]

With ``DATABASE_URL`` unset it migrates a scratch SQLite file in the temp directory
(deleted afterwards); with ``DATABASE_URL`` set it uses that database (its
experiments and impressions tables get the benchmark's rows, then they are
removed). A running experiment with two variants tests the ``for_you`` surface;
each call serves a customer through
:func:`experiments.serving.recommendations_serve` with a recommender that returns a
fixed answer at once, so the time measured is the hook's own: the cached lookup of
running experiments, the hash assignment, the ``recommendation_id`` and the
impression (buffered and written by ``bulk_create`` every ``impression_batch``
calls by a background thread: the served default, 50; beside it the same batches
written by the request that fills them, and a write per request). Prints
p50/p95/p99 and the mean per call in ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _setup(scratch: Path | None) -> None:
    sys.path.insert(0, str(ROOT))
    if scratch is not None:
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _world(customers: int):
    from experiments import services
    from shop.models import Customer

    base = Customer.objects.count()
    Customer.objects.bulk_create(
        Customer(source="bench-exp", external_id=f"bench-{base + i}")
        for i in range(customers)
    )
    people = list(Customer.objects.filter(source="bench-exp"))
    exp = services.experiment_create(
        name=f"serving-bench-{time.time_ns()}",
        hypothesis="benchmark of the serving hook",
        surfaces=["for_you"],
        variants=[
            {"name": "control", "share": "0.5", "is_control": True},
            {"name": "treatment", "share": "0.5", "serving_config": {"k": 5}},
        ],
    )
    return services.experiment_start(experiment=exp), people


def _measure(calls: int, people: list, batch: int, writer: str) -> list[float]:
    from django.conf import settings

    from experiments.impressions import impressions_flush
    from experiments.serving import recommendations_serve
    from recommender.services import RecommendationResult

    settings.EXPERIMENTS = {"impression_batch": batch, "impression_writer": writer}
    items = [{"product_id": i, "reason": "r"} for i in range(1, 11)]

    def recommend(k):
        return RecommendationResult(items=items[:k], strategy="personalised")

    times = []
    for i in range(calls):
        customer = people[i % len(people)]
        started = time.perf_counter()
        recommendations_serve(
            surface="for_you", k=10, recommend=recommend, customer=customer
        )
        times.append((time.perf_counter() - started) * 1000)
    impressions_flush()
    return times


def _row(name: str, times: list[float]) -> str:
    q = statistics.quantiles(times, n=100)
    return (
        f"{name:<38} {q[49]:>8.3f} {q[94]:>8.3f} {q[98]:>8.3f} "
        f"{statistics.fmean(times):>8.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--customers", type=int, default=2000)
    args = parser.parse_args()
    scratch = None
    if not os.environ.get("DATABASE_URL"):
        scratch = Path(tempfile.mkdtemp()) / "experiments-serving.sqlite3"
    _setup(scratch)
    from django.db import connection

    from experiments.models import Impression

    exp, people = _world(args.customers)
    print(f"database: {connection.vendor}; {args.calls:,} calls per row, "
          f"{len(people):,} customers")  # fmt: skip
    print(f"{'serving hook (ms per call)':<38} {'p50':>8} {'p95':>8} {'p99':>8} "
          f"{'mean':>8}")  # fmt: skip
    for batch, writer, label in (
        (50, "thread", "batches of 50, writer thread (ours)"),
        (50, "inline", "batches of 50, written by a request"),
        (1, "inline", "one INSERT per request"),
    ):
        print(_row(label, _measure(args.calls, people, batch, writer)))
        time.sleep(1.0)  # let the writer thread finish before the next row
    stored = Impression.objects.filter(experiment=exp).count()
    print(f"impressions stored: {stored:,} of {3 * args.calls:,} served")
    if scratch is None:  # a shared database: remove the benchmark's rows
        from shop.models import Customer

        Impression.objects.filter(experiment=exp).delete()
        exp.audit.all().delete()
        exp.delete()
        Customer.objects.filter(source="bench-exp").delete()
    else:
        scratch.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
