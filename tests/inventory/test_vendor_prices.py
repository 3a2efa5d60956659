"""Vendor price lists (issue 18.3 vendors; 18 bad input: a vendor without a lead
time falls back to the policy's, flagged)."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from core.jobs import job_get
from inventory import services, tasks
from inventory.models import ReorderSuggestion, Vendor, VendorProduct
from shop.services.stock import stock_set

pytestmark = pytest.mark.django_db


def _write(tmp_path, text):
    path = tmp_path / "prices.csv"
    path.write_text(text)
    return path


def test_price_list_rows_are_checked_and_good_rows_applied(history, tmp_path):
    path = _write(
        tmp_path,
        "vendor,product,unit_cost,min_order_qty,pack_size,lead_time_days,preferred\n"
        "Acme,10001,0.55,48,24,21,yes\n"
        "Acme,NOPE,1,1,1,,\n"
        ",10002,1,1,1,,\n"
        "Acme,10002,-1,1,1,,\n"
        "Acme,10002,abc,1,1,,\n"
        "Acme,10002,0.123456,1,1,,\n"
        "Acme,10002,1.10,2.5,1,,\n"
        "Acme,10002,1.10,1,0,,\n"
        "Acme,10002,1.10,1,1,400,\n"
        "Acme,10002,1.10,1,1,,maybe\n"
        "Vague,10002,2.10,,,,\n",
    )
    report = services.vendor_prices_import(path=path)
    assert (report.rows_total, report.imported, report.vendors_created) == (11, 2, 2)
    assert [(r, f) for r, f, _ in report.errors] == [
        (2, "product"),
        (3, "vendor"),
        (4, "unit_cost"),
        (5, "unit_cost"),
        (6, "unit_cost"),
        (7, "min_order_qty"),
        (8, "pack_size"),
        (9, "lead_time_days"),
        (10, "preferred"),
    ]
    acme = VendorProduct.objects.get(vendor__name="Acme")
    assert acme.unit_cost == Decimal("0.55") and acme.is_preferred
    assert (acme.min_order_qty, acme.pack_size, acme.lead_time_days) == (48, 24, 21)
    vague = VendorProduct.objects.get(vendor__name="Vague")
    assert (vague.min_order_qty, vague.pack_size, vague.lead_time_days) == (1, 1, None)
    # a second list updates the pair instead of adding one
    services.vendor_prices_import(
        path=_write(tmp_path, "vendor,product,unit_cost\nAcme,10001,0.60\n")
    )
    assert VendorProduct.objects.get(vendor__name="Acme").unit_cost == Decimal("0.60")
    assert Vendor.objects.count() == 2


def test_new_terms_replan_the_pending_suggestion_and_flag_a_missing_lead_time(
    history, tmp_path, capsys, admin_user
):
    stock_set(product=history["sometimes"], on_hand=0, is_assumed=False, reason="c")
    services.forecast_demand()
    before = ReorderSuggestion.objects.get(status="pending")
    assert before.vendor is None
    call_command(
        "import_vendor_prices",
        str(
            _write(tmp_path, "vendor,product,unit_cost,pack_size\nVague,10002,2.1,50\n")
        ),
    )
    assert "1 of 1 rows imported (1 new vendors)" in capsys.readouterr().out
    after = ReorderSuggestion.objects.get(status="pending")
    assert after.vendor.name == "Vague" and after.quantity % 50 == 0
    assert after.unit_cost == Decimal("2.1")
    assert after.lead_time_source.startswith("policy default")
    assert job_get("inventory-import-vendor-prices").allowed(admin_user)
    out = tasks.import_vendor_prices_task.delay(
        path=str(_write(tmp_path, "vendor,product,unit_cost\nVague,X1,1\n"))
    ).get()
    assert out["rows_rejected"] == 1 and out["errors"][0].startswith("row 1: product")
