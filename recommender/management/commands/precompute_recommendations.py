"""``manage.py precompute_recommendations [--k 20] [--chunk-size 500]``: twin of the
``recommender.precompute`` task (fan-out over workers; in-process without a broker)."""

import time

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DomainError
from recommender.services.precompute import recommendations_precompute_all


class Command(BaseCommand):
    help = "Precompute every customer's recommendations (fanned out in chunks)."

    def add_arguments(self, parser):
        parser.add_argument("--k", type=int, default=20)
        parser.add_argument("--chunk-size", type=int, default=500)

    def handle(self, *args, k=20, chunk_size=500, **options):
        started = time.perf_counter()
        try:
            run = recommendations_precompute_all(k=k, chunk_size=chunk_size)
        except DomainError as exc:
            raise CommandError(exc.message)
        run.refresh_from_db()
        self.stdout.write(
            self.style.SUCCESS(
                f"precompute: run #{run.pk} {run.status} "
                f"({run.progress:.0%}) in {time.perf_counter() - started:.1f} s"
            )
        )
