"""Import stock counts from a CSV: product,on_hand[,lead_time_days].

``product`` is a stock code, or ``id:<product id>``. Every rejected row is printed
to stderr (row, field, reason); the good rows are applied in one transaction, then
the latest forecast's suggestions are re-planned on the new counts. Twin of the
``inventory.import_stock`` task.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import InvalidInput
from inventory import services


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, **opts):
        try:
            report = services.stock_import(path=opts["path"])
        except InvalidInput as exc:
            raise CommandError(exc.message) from exc
        for row, field, message in report.errors:
            self.stderr.write(f"row {row}: {field}: {message}")
        replanned = services.forecast_replan()
        self.stdout.write(
            f"{report.imported} of {report.rows_total} rows imported, "
            f"{report.rejected} rejected; {replanned['products']} products re-planned "
            f"on the new counts, {replanned['suggestions']} reorder suggestions"
        )
