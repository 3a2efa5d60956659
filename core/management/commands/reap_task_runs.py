from django.core.management.base import BaseCommand

from core.reaper import task_runs_reap


class Command(BaseCommand):
    help = "Mark task runs of dead workers failed (twin of core.reap_task_runs)."

    def add_arguments(self, parser):
        parser.add_argument("--no-ping", action="store_true", help="skip worker ping")

    def handle(self, *args, no_ping, **options):
        reaped = task_runs_reap(ping=not no_ping)
        for run in reaped:
            self.stdout.write(f"  reaped #{run.pk} {run.task_name} (pid {run.pid})")
        self.stdout.write(f"{len(reaped)} run(s) reaped")
