"""Jobs of the inventory app started from the admin (see core.jobs): forecast demand,
upload stock counts (task ``inventory.import_stock``: import, then re-plan)."""

from __future__ import annotations

from django import forms
from django.urls import reverse

from core.jobs import Job, JobForm, UploadJobForm, register


class ForecastForm(JobForm):
    mode = forms.ChoiceField(
        choices=[
            ("auto", "refit each product's chosen model (fast)"),
            ("select", "re-select every product's model by backtest (slow)"),
        ],
        initial="auto",
        help_text="Forecasts count from the last day of the order history.",
    )
    force = forms.BooleanField(
        required=False, help_text="Forecast again even when no order changed."
    )


class StockCountForm(UploadJobForm):
    """Stock counts: ``product,on_hand[,lead_time_days]``."""

    file = forms.FileField(
        help_text="CSV with a header: product,on_hand[,lead_time_days]. product is "
        "a stock code, or id:<product id> (a bare number that is no stock code is "
        "rejected as ambiguous). Each bad row is reported with its number; the good "
        "rows are applied together, then the reorder suggestions are re-planned."
    )


class VendorPriceForm(UploadJobForm):
    """Vendor price lists: ``vendor,product,unit_cost[,min_order_qty,...]``."""

    file = forms.FileField(
        help_text="CSV with a header: vendor,product,unit_cost[,min_order_qty,"
        "pack_size,lead_time_days,preferred]. unit_cost in GBP per unit; product a "
        "stock code or id:<product id>; an empty lead time uses the vendor's or the "
        "policy's (flagged). Each bad row is reported with its number; the good rows "
        "are applied together."
    )


def _forecast_links(run) -> list[tuple[str, str]]:
    links = []
    if run.metrics.get("run_id"):
        links.append(
            (
                f"Forecast run #{run.metrics['run_id']}",
                reverse(
                    "admin:inventory_forecastrun_change", args=[run.metrics["run_id"]]
                ),
            )
        )
    links += [
        ("Products at risk", reverse("admin:inventory_productatrisk_changelist")),
        (
            "Reorder suggestions to review",
            reverse("admin:inventory_reordersuggestion_changelist")
            + "?status__exact=pending",
        ),
    ]
    return links


def _stock_links(run) -> list[tuple[str, str]]:
    return [
        ("Stock levels", reverse("admin:shop_stocklevel_changelist")),
        (
            "Reorder suggestions to review",
            reverse("admin:inventory_reordersuggestion_changelist") + "?status=pending",
        ),
    ]


register(
    Job(
        name="inventory-forecast",
        task="inventory.forecast",
        title="Forecast demand",
        description="Forecast every product's daily demand, then reorder points, "
        "products at risk and reorder suggestions.",
        audience="inventory planner",
        form=ForecastForm,
        permission="inventory.view_forecast",
        results=_forecast_links,
    )
)
register(
    Job(
        name="inventory-import-stock",
        task="inventory.import_stock",
        title="Upload stock counts",
        description="Replace the assumed stock levels with counted ones "
        "(product,on_hand[,lead_time_days]).",
        audience="inventory planner",
        form=StockCountForm,
        permission="shop.change_stocklevel",
        results=_stock_links,
    )
)
register(
    Job(
        name="inventory-import-vendor-prices",
        task="inventory.import_vendor_prices",
        title="Upload vendor price lists",
        description="Who sells which product, at what unit cost (GBP), MOQ, pack size "
        "and lead time; the reorder suggestions use them.",
        audience="inventory planner",
        form=VendorPriceForm,
        permission="inventory.change_vendorproduct",
        results=lambda run: [
            ("Vendors", reverse("admin:inventory_vendor_changelist")),
            (
                "Reorder suggestions to review",
                reverse("admin:inventory_reordersuggestion_changelist")
                + "?status=pending",
            ),
        ],
    )
)
