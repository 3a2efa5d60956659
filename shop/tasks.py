"""Celery tasks of the shop (thin wrappers; twins: ``manage.py import_orders`` and
``manage.py import_ratings``)."""

from __future__ import annotations

from core.tracked import tracked_task


@tracked_task(name="shop.import_orders", lock="shop.import")
def shop_import_orders_task(path: str) -> dict:
    from .services.imports import orders_import

    return _metrics(orders_import(path=path))


@tracked_task(name="shop.import_ratings", lock="shop.import")
def shop_import_ratings_task(path: str, source: str = "movielens") -> dict:
    from .services.imports import ratings_import

    return _metrics(ratings_import(path=path, source=source))


def _metrics(report) -> dict:
    return {
        "report": report.pk,
        "status": report.status,
        "rows_total": report.rows_total,
        "rows_imported": report.rows_imported,
        "rows_rejected": report.rows_rejected,
        "rows_skipped_existing": report.rows_skipped_existing,
    }
