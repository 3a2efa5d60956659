"""``manage.py apply_due_prices``: twin of the ``pricing.apply_due_prices`` task."""

from django.core.management.base import BaseCommand

from core.taskruns import task_run
from pricing.services import suggestions_apply_due


class Command(BaseCommand):
    help = "Apply approved price suggestions whose effective date has come."

    def handle(self, *args, **options):
        with task_run("pricing.apply_due_prices", {}):
            counts = suggestions_apply_due()
        self.stdout.write(
            f"{counts['applied']} scheduled price(s) applied, "
            f"{counts['superseded']} superseded (the price changed meanwhile)."
        )
