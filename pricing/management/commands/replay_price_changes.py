"""``manage.py replay_price_changes``: 'did it work' on the shop's own history."""

from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.exceptions import DomainError
from pricing.services import price_changes_replay

from ._readout_table import summary_line


def _day(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise CommandError(f"--cutoff {text!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = (
        "Replay history: estimate elasticities on the sales before each cut-off, "
        "forecast the list-price changes of the following weeks as a suggestion "
        "would, and read them out against the weeks that followed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--cutoff", action="append", required=True, help="YYYY-MM-DD (repeat)"
        )
        parser.add_argument("--weeks", type=int, help="readout weeks (READOUT_WEEKS)")
        parser.add_argument("--window-weeks", type=int, default=4)
        parser.add_argument("--min-step", type=float, default=0.02)
        parser.add_argument("--rows", type=int, default=15, help="changes to list")

    def handle(self, *args, cutoff, weeks, window_weeks, min_step, rows, **options):
        def bar(items, total):
            return tqdm(items, total=total, desc="elasticities", unit="product")

        try:
            out = price_changes_replay(
                cutoffs=[_day(c) for c in cutoff],
                weeks=weeks,
                window_weeks=window_weeks,
                min_step=min_step,
                progress=bar,
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        w = self.stdout.write
        w(f"readout weeks {out['weeks']}; skipped {out['skipped']}")
        w(f"{'evidence':<12} summary (objective change per week, summed)")
        for name, s in out["by_evidence"].items():
            w(f"{name:<12} {summary_line(s)}")
        for name, s in out["by_size"].items():
            w(f"{name:<14} {summary_line(s)}")
        w(f"{'ALL':<12} {summary_line(out['overall'])}")
        w("")
        w(f"{'week':<11}{'product':<34}{'evidence':<11}{'price GBP':<14}")
        w("   expected change GBP/week (low..high) | realised | hit")
        for row in out["rows"][:rows]:
            r = row["readout"]
            lo, mid, hi = r.expected_change
            w(
                f"{row['week']:<11}{row['description'][:32]:<34}"
                f"{row['evidence']:<11}{r.old_price:.2f}->{r.new_price:.2f}"
            )
            w(
                f"   {mid:+.2f} ({lo:+.2f}..{hi:+.2f}) | {r.realised_change:+.2f} | "
                f"{'yes' if r.hit else 'no'}"
            )
