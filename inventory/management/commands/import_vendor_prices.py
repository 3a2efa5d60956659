"""Import a vendor price list: vendor,product,unit_cost[,min_order_qty,pack_size,
lead_time_days,preferred].

Every rejected row is printed to stderr (row, field, reason); the good rows are
applied in one transaction, then the pending suggestions of those products are made
again on the new terms (vendor, unit cost, MOQ, pack size; a new lead time moves the
reorder point at the next ``forecast_demand``). Twin of the
``inventory.import_vendor_prices`` task.
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
            report = services.vendor_prices_import(path=opts["path"])
        except InvalidInput as exc:
            raise CommandError(exc.message) from exc
        for row, field, message in report.errors:
            self.stderr.write(f"row {row}: {field}: {message}")
        replanned = services.forecast_replan(product_ids=report.product_ids)
        self.stdout.write(
            f"{report.imported} of {report.rows_total} rows imported "
            f"({report.vendors_created} new vendors), {report.rejected} rejected; "
            f"{replanned['products']} products re-planned, "
            f"{replanned['suggestions']} reorder suggestions"
        )
