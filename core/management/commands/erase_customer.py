from django.core.management.base import BaseCommand, CommandError

from core.privacy import customer_erase


class Command(BaseCommand):
    help = "Erase a customer's personal data (orders/events anonymised, signal sent)."

    def add_arguments(self, parser):
        parser.add_argument("external_id", help="the customer's id in its source")
        parser.add_argument("--source", default=None, help="e.g. online_retail, shop")

    def handle(self, *args, external_id, source, **options):
        from shop.models import Customer

        rows = Customer.objects.filter(external_id=external_id)
        if source:
            rows = rows.filter(source=source)
        matches = list(rows[:2])
        if not matches:
            raise CommandError(f"no customer with external_id {external_id!r}")
        if len(matches) > 1:
            raise CommandError("several sources have this id; pass --source")
        customer = customer_erase(customer_id=matches[0].pk)
        self.stdout.write(f"customer #{customer.pk} erased as {customer.external_id}")
