"""``manage.py stop_due_experiments``: stop experiments whose planned stop passed."""

from django.core.management.base import BaseCommand

from experiments.services import experiments_stop_due


class Command(BaseCommand):
    help = (
        "Stop every running experiment whose planned stop has passed (every record "
        "is kept). The twin of the scheduled task experiments.stop_due."
    )

    def handle(self, *args, **options):
        stopped = experiments_stop_due()
        names = ", ".join(stopped) if stopped else "none"
        self.stdout.write(f"{len(stopped)} experiment(s) stopped: {names}")
