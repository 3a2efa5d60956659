"""``manage.py evaluate_recommenders [--cutoff 2011-09-01] [--algorithm X ...]``:
twin of the ``recommender.evaluate`` task; prints the table and stores it."""

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.exceptions import DomainError
from recommender.registry import ALGORITHMS
from recommender.services.evaluation import DEFAULT_CUTOFF, recommenders_evaluate


class Command(BaseCommand):
    help = "Evaluate every recommender on the temporal purchase split (issue 3)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--cutoff",
            default=DEFAULT_CUTOFF,
            help="train on purchases before this date (YYYY-MM-DD, the shop's "
            f"local time), test on the rest (default {DEFAULT_CUTOFF})",
        )
        parser.add_argument(
            "--algorithm",
            action="append",
            dest="algorithms",
            help="evaluate only this algorithm (repeatable; default: all of "
            f"{', '.join(sorted(ALGORITHMS))})",
        )
        parser.add_argument(
            "--k", type=int, default=10, help="list length of the metrics (default 10)"
        )

    def handle(self, *args, cutoff, algorithms=None, k=10, **options):
        started = time.perf_counter()
        bar = tqdm(total=100, desc="evaluate", unit="%", leave=False)

        def on_progress(frac: float, msg: str) -> None:
            bar.n = int(frac * 100)
            bar.set_postfix_str(msg)
            bar.refresh()

        try:
            run = recommenders_evaluate(
                cutoff=cutoff, algorithms=algorithms, k=k, on_progress=on_progress
            )
        except DomainError as exc:
            raise CommandError(exc.message)
        finally:
            bar.close()
        self.stdout.write(run.summary)
        self.stdout.write(
            self.style.SUCCESS(
                f"evaluation #{run.pk}: {run.split} in "
                f"{time.perf_counter() - started:.1f} s"
            )
        )
