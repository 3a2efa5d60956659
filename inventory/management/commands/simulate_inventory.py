"""Replay the real demand against our policy and a hand-made min/max rule.

Both replay the same products, window, lead times and review days (see
``inventory.services.inventory_simulate``); the table gives cycle service level,
fill rate, average stock value (GBP) and stock-out days of each, and the run is
stored for the admin (Inventory > Simulation runs).

Example (issue 18.5: the 300 highest-demand products over the autumn peak)::

    manage.py simulate_inventory --end 2011-11-30 --window-days 91 --limit 300
"""

from __future__ import annotations

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.exceptions import DomainError
from inventory import services


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--window-days", type=int, default=84)
        parser.add_argument(
            "--end",
            type=date.fromisoformat,
            default=None,
            help="last day of the window, YYYY-MM-DD (default: the history's end)",
        )
        parser.add_argument(
            "--rank-by",
            choices=services.SIMULATION_RANK_BY,
            default="history",
            help="rank products for --limit by demand before the window (default) "
            "or in the window (look-ahead stress test)",
        )
        parser.add_argument(
            "--recent-days",
            type=int,
            default=None,
            help="floor the lead-time forecast by this many days' recent rate "
            "(default INVENTORY['POLICY_RECENT_DAYS']; 0 = off)",
        )
        parser.add_argument(
            "--replan-every",
            type=int,
            default=None,
            help="trading days between re-plans (default: the review period)",
        )
        parser.add_argument(
            "--limit", type=int, default=None, help="top-N products by window demand"
        )
        parser.add_argument(
            "--error-scale",
            choices=("rms", "level"),
            default="rms",
            help="pool safety-stock errors by own RMS (default) or by demand level",
        )
        parser.add_argument(
            "--service-level",
            type=float,
            default=None,
            help="what-if: this cycle service level for every product (default: "
            "each product's policy)",
        )
        parser.add_argument(
            "--service-level-range",
            default="setting",
            help="LOWER,UPPER: spread the products' levels in this range around "
            "their mean target (default INVENTORY['SERVICE_LEVEL_RANGE']; 'none': "
            "one level for all)",
        )
        parser.add_argument("--show", type=int, default=10)

    def handle(self, *args, **opts):
        t0 = time.perf_counter()
        bar = tqdm(total=0, unit="product", desc="simulate", disable=None)

        def tick(done, total):
            bar.total = total
            bar.update(done - bar.n)

        try:
            out = services.inventory_simulate(
                window_days=opts["window_days"],
                end=opts["end"],
                replan_every=opts["replan_every"],
                limit=opts["limit"],
                rank_by=opts["rank_by"],
                error_scale=opts["error_scale"],
                recent_days=opts["recent_days"],
                on_product=tick,
                record=True,
                service_level=opts["service_level"],
                service_level_range=_level_range(opts["service_level_range"]),
            )
        except DomainError as exc:
            bar.close()
            option = f"--{exc.field.replace('_', '-')}: " if exc.field else ""
            raise CommandError(f"{option}{exc.message}") from None
        bar.close()
        rows = sorted(out["products"], key=lambda r: r["fill_rate"])
        self.stdout.write(
            f"{'stock_code':<12} {'fill':>6} {'CSL':>6} {'target':>6} "
            f"{'avg stock':>9} {'out days':>8} {'orders':>6}"
        )
        for r in rows[: opts["show"]]:
            self.stdout.write(
                f"{r['stock_code']:<12} {r['fill_rate']:>6.3f} "
                f"{r['cycle_service_level']:>6.3f} {r['target_service_level']:>6.2f} "
                f"{r['average_stock']:>9.1f} {r['stockout_days']:>8} {r['orders']:>6}"
            )
        s = out["summary"]
        if not s.get("products"):
            self.stdout.write("no product with demand in the window")
            return
        self._table(s)
        self.stdout.write(
            f"{s['products']} products over {opts['window_days']} days "
            f"({s['window_start']}..{s['window_end']}, ranked by {s['rank_by']}); "
            f"simulation run #{out['run_id']}; {time.perf_counter() - t0:.1f} s"
        )

    def _table(self, s: dict) -> None:
        b, c = s["baseline"], s["comparison"]
        self.stdout.write("")
        self.stdout.write(
            f"{'policy':<34} {'CSL':>6} {'fill rate':>9} {'avg stock value':>16} "
            f"{'out days':>8} {'orders':>7}"
        )
        for name, row in (("ours (forecast + empirical SS)", s), ("min/max rule", b)):
            self.stdout.write(
                f"{name:<34} {row['cycle_service_level_mean']:>6.3f} "
                f"{row['fill_rate_overall']:>9.3f} "
                f"{'£' + format(row['average_stock_value'], ',.0f'):>16} "
                f"{row['stockout_days_mean']:>8.2f} {row['orders']:>7,}"
            )
        self.stdout.write(
            f"units lost: ours {s['lost_units']:,.0f} of {s['demand_units']:,.0f} "
            f"({s['products_with_80pct_of_lost']} products lose 80 % of them), "
            f"rule {b['lost_units']:,.0f} ({b['products_with_80pct_of_lost']})"
        )
        ratio = c["stock_value_ratio"]
        self.stdout.write(
            f"target CSL {s['target_service_level']:.2f} "
            f"(ours {c['csl_gap']:+.3f}: "
            f"{'within' if c['csl_within_2_points'] else 'OUTSIDE'} ±0.02); "
            f"fill rate {c['fill_rate_difference']:+.3f} vs the rule "
            f"({'>=' if c['fill_rate_at_least_baseline'] else 'BELOW'}); "
            f"stock value {ratio:.2f}x the rule's "
            f"({'<=' if c['stock_value_at_most_075'] else 'ABOVE'} 0.75x)"
            if ratio is not None
            else "the rule holds no stock value to compare"
        )


def _level_range(text: str):
    """``"setting"``, ``"none"`` or ``"LOWER,UPPER"`` (two numbers in (0, 1))."""
    if text in ("setting", "none"):
        return None if text == "none" else text
    try:
        lower, upper = (float(v) for v in text.split(","))
    except ValueError:
        raise CommandError(
            f"--service-level-range: expected LOWER,UPPER or none, got {text!r}"
        ) from None
    if not 0 < lower <= upper < 1:
        raise CommandError("--service-level-range: need 0 < LOWER <= UPPER < 1")
    return lower, upper
