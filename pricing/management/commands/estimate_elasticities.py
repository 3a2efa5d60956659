"""``manage.py estimate_elasticities``: twin of ``pricing.estimate_elasticities``."""

import json

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.exceptions import DomainError
from core.taskruns import task_run
from pricing.services import elasticities_estimate


class Command(BaseCommand):
    help = "Estimate price elasticities (skipped when the sales data did not change)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="refit estimates")

    def handle(self, *args, force, **options):
        def bar(items, total):
            return tqdm(items, total=total, desc="elasticities", unit="product")

        try:
            with task_run("pricing.estimate_elasticities", {"force": force}) as run:
                artifact = elasticities_estimate(force=force, progress=bar, run=run)
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{artifact.label}: {json.dumps(artifact.metrics, sort_keys=True)[:2000]}"
        )
