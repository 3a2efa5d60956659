from django.core.management.base import BaseCommand

from core.schedules import schedules_setup, schedules_unregistered


class Command(BaseCommand):
    help = "Create the default retraining schedules (idempotent; keeps admin edits)."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="restore defaults")
        parser.add_argument(
            "--demo", action="store_true", help="add core.demo_train every minute"
        )

    def handle(self, *args, reset, demo, **options):
        for name, outcome in schedules_setup(reset=reset, demo=demo).items():
            self.stdout.write(f"  {outcome:<8} {name}")
        for name, task in schedules_unregistered():
            self.stderr.write(f"  WARNING  {name}: task {task!r} is not registered")
