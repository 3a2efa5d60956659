import json

from django.core.management.base import BaseCommand, CommandError

from core.health import health_report


class Command(BaseCommand):
    help = "Print the /healthz report; exit 1 when unhealthy."

    def handle(self, *args, **options):
        healthy, report = health_report()
        self.stdout.write(json.dumps(report, indent=2))
        if not healthy:
            raise CommandError("unhealthy")
