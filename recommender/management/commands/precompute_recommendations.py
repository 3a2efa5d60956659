"""``manage.py precompute_recommendations [--k 50] [--chunk-size 500] [--force]``:
twin of the ``recommender.precompute`` task (fan-out over workers; in-process
without a broker). Lists still fresh are kept unless ``--force``."""

import time

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DomainError
from recommender.services.precompute import recommendations_precompute_all


class Command(BaseCommand):
    help = "Precompute every customer's lists per surface (fanned out in chunks)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--k", type=int, default=None, help="default RECOMMENDER['precompute_k']"
        )
        parser.add_argument("--chunk-size", type=int, default=500)
        parser.add_argument("--force", action="store_true", help="recompute all")

    def handle(self, *args, k=None, chunk_size=500, force=False, **options):
        started = time.perf_counter()
        try:
            run = recommendations_precompute_all(
                k=k, chunk_size=chunk_size, force=force
            )
        except DomainError as exc:
            raise CommandError(exc.message)
        run.refresh_from_db()
        self.stdout.write(
            self.style.SUCCESS(
                f"precompute: run #{run.pk} {run.status} "
                f"({run.progress:.0%}) in {time.perf_counter() - started:.1f} s"
            )
        )
