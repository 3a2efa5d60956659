"""Replay the real demand against the suggested policy: fill rate vs target."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from tqdm import tqdm

from inventory import services


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--window-days", type=int, default=84)
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
        parser.add_argument("--show", type=int, default=10)

    def handle(self, *args, **opts):
        t0 = time.perf_counter()
        bar = tqdm(total=0, unit="product", desc="simulate", disable=None)

        def tick(done, total):
            bar.total = total
            bar.update(done - bar.n)

        out = services.inventory_simulate(
            window_days=opts["window_days"],
            replan_every=opts["replan_every"],
            limit=opts["limit"],
            error_scale=opts["error_scale"],
            on_product=tick,
        )
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
        self.stdout.write(
            f"{s['products']} products over {opts['window_days']} days: fill rate "
            f"{s['fill_rate_overall']:.3f} overall (mean {s['fill_rate_mean']:.3f}), "
            f"cycle service level {s['cycle_service_level_mean']:.3f} vs target "
            f"{s['target_service_level']:.2f}; mean stock {s['average_stock_mean']:.1f}"
            f" units, {s['stockout_days_mean']:.2f} stock-out days per product, "
            f"{s['products_without_stockout']} products never out; "
            f"{time.perf_counter() - t0:.1f} s"
        )
