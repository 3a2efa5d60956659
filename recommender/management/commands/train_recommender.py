"""``manage.py train_recommender [--algorithm X ...] [--force]``: twin of the
``recommender.train`` task. Idempotent: unchanged data and parameters reuse the
existing model."""

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.exceptions import DomainError
from recommender.services.training import recommenders_train


class Command(BaseCommand):
    help = "Train recommenders on the imported purchases and promote the better one."

    def add_arguments(self, parser):
        parser.add_argument(
            "--algorithm",
            action="append",
            dest="algorithms",
            help="algorithm name (repeatable); default: RECOMMENDER default_algorithms",
        )
        parser.add_argument("--force", action="store_true", help="retrain anyway")

    def handle(self, *args, algorithms=None, force=False, **options):
        started = time.perf_counter()
        bar = tqdm(total=100, desc="train_recommender", unit="%", leave=False)

        def on_progress(frac: float, msg: str) -> None:
            bar.n = int(frac * 100)
            bar.set_postfix_str(msg[:60])
            bar.refresh()

        try:
            artifacts = recommenders_train(
                algorithms=algorithms, force=force, on_progress=on_progress
            )
        except DomainError as exc:
            raise CommandError(exc.message)
        finally:
            bar.close()
        for a in artifacts:
            a.refresh_from_db()  # a later model of the same kind may have retired it
            val = a.metrics.get("validation", {})
            score = ", ".join(
                f"{k}={val[k]:.4f}" for k in ("ndcg@10", "recall@10") if k in val
            ) or val.get("skipped", "")
            self.stdout.write(
                f"{a.label:<28} {a.algorithm:<12} {a.status:<9} {score}  {a.notes}"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"train_recommender: {len(artifacts)} model(s) in "
                f"{time.perf_counter() - started:.1f} s"
            )
        )
