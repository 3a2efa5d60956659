"""Jobs of the shop started from the admin (see core.jobs): upload an order file."""

from __future__ import annotations

from django import forms
from django.urls import reverse

from core.jobs import Job, UploadJobForm, register


class OrdersUploadForm(UploadJobForm):
    """An order-history file in the Online Retail layout."""

    file = forms.FileField(
        help_text="Order lines in the Online Retail layout (InvoiceNo, StockCode, "
        "Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country), .csv "
        "or .csv.gz, UTF-8, Windows-1252 or Latin-1; times in the shop's time zone. "
        "Known invoices are skipped; every rejected or repaired row is reported with "
        "its row number."
    )


def _report_links(run) -> list[tuple[str, str]]:
    pk = run.metrics.get("report")
    links = [
        (f"Import report #{pk}", reverse("admin:shop_importreport_change", args=[pk]))
    ]
    if run.metrics.get("rows_rejected"):
        issues = reverse("admin:shop_importissue_changelist")
        links.append(
            (
                f"{run.metrics['rows_rejected']:,} rejected rows, by row number",
                f"{issues}?report__id__exact={pk}&action__exact=rejected",
            )
        )
    return links


register(
    Job(
        name="shop-import-orders",
        task="shop.import_orders",
        title="Upload orders",
        description="Import an order-history file (Online Retail layout). The same "
        "file imports once; each bad row is reported with its number and reason.",
        audience="operations",
        form=OrdersUploadForm,
        permission="shop.add_importreport",
        results=_report_links,
    )
)
