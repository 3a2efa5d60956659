"""``manage.py suggest_prices``: twin of the ``pricing.suggest_prices`` task."""

import json
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.exceptions import DomainError
from core.taskruns import task_run
from pricing.services import prices_weekly_run


def _bar(items, total):
    return tqdm(items, total=total, desc="elasticities", unit="product")


class Command(BaseCommand):
    help = (
        "Estimate price elasticities (skipped when the sales data did not change) "
        "and propose prices for review. Nothing is applied without approval."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="refit estimates")

    def handle(self, *args, force, **options):
        start = time.monotonic()
        try:
            with task_run("pricing.suggest_prices", {"force": force}) as run:
                out = prices_weekly_run(force=force, progress=_bar, run=run)
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        est = out["estimates"]
        self.stdout.write(
            f"model {out['model_version']}: {est['products']} products, "
            f"{est['with_elasticity']} with an elasticity ({est['pooled']} pooled, "
            f"{est.get('priors_given', 0)} category priors); "
            f"{est.get('excluded_nonpositive_price_lines', 0)} sold lines at a price "
            "<= 0 GBP left out of the estimation; "
            f"by status {json.dumps(est['by_status'], sort_keys=True)}\n"
            f"elasticity quantiles p05/p25/p50/p75/p95: "
            f"{est['quantiles_p05_p25_p50_p75_p95']}\n"
            f"suggestions: {json.dumps(out['suggestions'], sort_keys=True)}\n"
            f"done in {time.monotonic() - start:.1f} s"
        )
