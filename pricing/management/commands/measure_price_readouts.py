"""``manage.py measure_price_readouts``: twin of ``pricing.measure_readouts``."""

from django.core.management.base import BaseCommand

from core.taskruns import task_run
from pricing.services import readouts_measure

from ._readout_table import summary_line


class Command(BaseCommand):
    help = "Read out applied prices after N weeks against their forecast."

    def add_arguments(self, parser):
        parser.add_argument("--weeks", type=int, help="weeks (default READOUT_WEEKS)")

    def handle(self, *args, weeks=None, **options):
        with task_run("pricing.measure_readouts", {"weeks": weeks}):
            out = readouts_measure(weeks=weeks)
        self.stdout.write(
            f"measured {out.get('measured', 0)}, waiting {out.get('waiting', 0)}, "
            f"no baseline {out.get('no_baseline', 0)}\n"
            f"all readouts: {summary_line(out['summary'])}"
        )
