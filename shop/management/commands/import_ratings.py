"""``manage.py import_ratings PATH``: import MovieLens-style explicit ratings."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.exceptions import DomainError
from core.locks import single_flight
from core.taskruns import task_run
from shop.services.imports import MOVIELENS_SOURCE, ratings_import

from ._report import report_table


class Command(BaseCommand):
    help = (
        "Import ratings (userId, itemId|movieId, rating[, timestamp]); movies.csv "
        "beside the file gives titles. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--source", default=MOVIELENS_SOURCE)

    def handle(self, *args, path, source, **options):
        try:
            with (
                single_flight("shop.import"),
                task_run("shop.import_ratings", {"path": path, "source": source}),
            ):
                report = ratings_import(path=path, source=source, progress=tqdm)
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(report_table(report))
