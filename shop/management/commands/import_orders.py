"""``manage.py import_orders PATH``: import an Online Retail order history file."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.exceptions import DomainError
from core.locks import single_flight
from core.taskruns import task_run
from shop.services.imports import orders_import

from ._report import report_table


class Command(BaseCommand):
    help = (
        "Import an Online Retail file (.csv/.csv.gz; UTF-8, BOM, Windows-1252 or "
        "Latin-1). "
        "Idempotent: the same file imports once; known invoices are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--batch-lines", type=int, default=None)

    def handle(self, *args, path, batch_lines, **options):
        try:
            with (
                single_flight("shop.import"),
                task_run("shop.import_orders", {"path": path}),
            ):
                report = orders_import(
                    path=path, batch_lines=batch_lines, progress=tqdm
                )
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(report_table(report))
