"""Forecast every product's demand, policy numbers and reorder suggestions.

Twin of the ``inventory.forecast`` task (run here in-process, chunk by chunk). Sets an
assumed initial stock first for products without a stock row (no suggestion is made
from an assumed level unless ``INVENTORY["SUGGEST_FROM_ASSUMED_STOCK"]``). Unchanged
demand data means no new run (``--force`` to re-run), but products whose stock level
changed since the last run are re-planned (suggestions made again).
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from tqdm import tqdm

from core.taskruns import task_run
from inventory import services


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument(
            "--mode", default="auto", choices=["auto", "select", "refit"]
        )
        parser.add_argument("--force", action="store_true")
        parser.add_argument("--chunk-size", type=int, default=None)
        parser.add_argument("--no-assumed-stock", action="store_true")

    def handle(self, *args, **opts):
        t0 = time.perf_counter()
        with task_run("inventory.forecast", {"mode": opts["mode"]}) as run:
            assumed = 0
            if not opts["no_assumed_stock"]:
                assumed = services.stock_assume_initial()
            bar = tqdm(total=0, unit="product", desc="forecast", disable=None)

            def on_chunk(done, total):
                bar.total = total
                bar.update(done - bar.n)

            result = services.forecast_demand(
                mode=opts["mode"],
                force=opts["force"],
                chunk_size=opts["chunk_size"],
                on_chunk=on_chunk,
            )
            bar.close()
            run.metrics = {"assumed_stock_levels": assumed}
            if result is not None:
                run.metrics.update(result.metrics)
        secs = time.perf_counter() - t0
        if result is None:
            replanned = services.forecast_replan()
            self.stdout.write(
                "demand unchanged since the last forecast run: no new forecast; "
                f"{replanned['products']} products re-planned (new stock counts, or "
                "suggestions from assumed stock withdrawn), "
                f"{replanned['suggestions']} reorder suggestions "
                f"({assumed} assumed stock levels set, {secs:.1f} s)"
            )
            return
        m = result.metrics
        self.stdout.write(
            f"forecast run #{result.pk} as of {result.as_of}: {m['products']} "
            "products, "
            f"classes {m['demand_classes']}, backtest median MASE "
            f"{m['backtest_mase_median'] or float('nan'):.3f}, "
            f"{m['suggestions']} reorder suggestions, {assumed} assumed stock levels; "
            f"{secs:.1f} s"
        )
