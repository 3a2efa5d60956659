"""Celery tasks of the shop (thin wrappers; twins: ``manage.py import_orders``,
``manage.py import_ratings`` and ``manage.py categorise_products``)."""

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


@tracked_task(name="shop.categorise_products", lock="shop.categorise")
def shop_categorise_products_task(force: bool = False) -> dict:
    from .services.categories import products_categorise

    return products_categorise(force=force).as_metrics()


def _metrics(report) -> dict:
    return {
        "report": report.pk,
        "status": report.status,
        "rows_total": report.rows_total,
        "rows_imported": report.rows_imported,
        "rows_rejected": report.rows_rejected,
        "rows_skipped_existing": report.rows_skipped_existing,
    }
