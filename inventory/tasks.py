"""Celery tasks of the inventory app: thin wrappers around services (ids, strings).

* ``inventory.forecast`` (nightly, see ``core.schedules``): fans the catalogue out in
  chunks (``core.fanout``: a chord of ``inventory.forecast_chunk``); a redelivered chunk
  skips the products already forecast in its run; ``inventory.forecast_publish``
  closes the run. Twin: ``manage.py forecast_demand``.
* ``inventory.backtest`` (weekly): re-selects every product's model by backtest.
  Twin: ``manage.py forecast_demand --mode select --force``.
* ``inventory.import_stock`` (the admin's "Upload stock counts" job): imports the
  counts, then re-plans the latest forecasts on them. Twin: ``manage.py import_stock``.
"""

from __future__ import annotations

from core.tracked import tracked_task

from . import services


@tracked_task(name="inventory.forecast", lock=True)
def forecast_task(mode: str = "auto", force: bool = False) -> dict:
    return services.forecast_dispatch(mode=mode, force=force)


@tracked_task(name="inventory.backtest", lock="inventory.forecast")
def backtest_task() -> dict:
    return services.forecast_dispatch(mode="select", force=True)


@tracked_task(name="inventory.forecast_chunk")
def forecast_chunk_task(ids: list[int], run_id: int) -> dict:
    return services.forecast_products(run_id=run_id, product_ids=list(ids))


@tracked_task(name="inventory.forecast_publish")
def forecast_publish_task(results: list) -> dict:
    run_id = next(r["run_id"] for r in results if isinstance(r, dict))
    run = services.forecast_run_finish(run_id=run_id)
    return {"run_id": run.pk, **run.metrics}


@tracked_task(name="inventory.import_stock", lock="inventory.import_stock")
def import_stock_task(path: str) -> dict:
    report = services.stock_import(path=path)
    # the counts take effect now: the latest forecasts are re-planned on them
    replanned = services.forecast_replan()
    return {
        "rows_total": report.rows_total,
        "rows_imported": report.imported,
        "rows_rejected": report.rejected,
        # the first 200 rejected rows (row number, field, reason); all in the log
        "errors": [f"row {r}: {f}: {m}" for r, f, m in report.errors[:200]],
        "replanned_products": replanned["products"],
        "suggestions": replanned["suggestions"],
    }


@tracked_task(name="inventory.import_vendor_prices", lock="inventory.import_stock")
def import_vendor_prices_task(path: str) -> dict:
    report = services.vendor_prices_import(path=path)
    # the new terms take effect now on the latest forecasts' suggestions
    replanned = services.forecast_replan(product_ids=report.product_ids)
    return {
        "rows_total": report.rows_total,
        "rows_imported": report.imported,
        "rows_rejected": report.rejected,
        "vendors_created": report.vendors_created,
        "errors": [f"row {r}: {f}: {m}" for r, f, m in report.errors[:200]],
        "replanned_products": replanned["products"],
        "suggestions": replanned["suggestions"],
    }
