"""``manage.py recommender_cold_start --product PK | --customer PK``: twin of the
``recommender.cold_start_product`` / ``recommender.cold_start_customer`` tasks."""

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DomainError
from recommender.services.coldstart import customer_cold_start, product_cold_start


class Command(BaseCommand):
    help = "Cold-start work for a new product (neighbours) or customer (first recs)."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--product", type=int)
        group.add_argument("--customer", type=int)

    def handle(self, *args, product=None, customer=None, **options):
        try:
            if product is not None:
                row = product_cold_start(product_id=product)
                msg = f"product {product}: {len(row.neighbour_ids)} neighbours"
            else:
                row = customer_cold_start(customer_id=customer)
                msg = f"customer {customer}: {len(row.items)} items ({row.strategy})"
        except DomainError as exc:
            raise CommandError(exc.message)
        self.stdout.write(self.style.SUCCESS(msg))
