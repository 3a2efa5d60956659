"""The Online Retail importer on the real slice (exact counts) and on small files."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from core.exceptions import InvalidInput
from shop.models import (
    Customer,
    ImportIssue,
    ImportReport,
    Order,
    OrderLine,
    PriceChange,
    Product,
)
from shop.services.imports import orders_import

from .conftest import HEADER, write_retail

pytestmark = pytest.mark.django_db
MERCH = re.compile(r"^\d{5}[A-Z]{0,3}$")


def expected_from_rows(rows):
    """Count outcomes with plain Python, independently of the importer."""
    seen: dict[tuple, int] = {}
    dup_of: dict[int, int] = {}
    kept = []
    for n, row in enumerate(rows, start=1):
        key = tuple(row)
        if key in seen:
            dup_of[n] = seen[key]
        else:
            seen[key] = n
            kept.append((n, row))
    inv_qty = defaultdict(list)
    for _, r in kept:
        inv_qty[r[0]].append(int(r[3]))

    def kind(inv):
        if inv.startswith("C"):
            return "cancellation"
        if inv.startswith("A") or max(inv_qty[inv]) < 0:
            return "adjustment"
        return "sale"

    c = Counter()
    for _, r in kept:
        code = r[1].strip().upper()
        c["guest_order"] += r[6] == ""
        c["cancellation"] += kind(r[0]) == "cancellation"
        c["stock_adjustment"] += kind(r[0]) == "adjustment"
        c["zero_price"] += float(r[5]) == 0
        c["negative_price"] += float(r[5]) < 0
        c["stock_code_case"] += code != r[1]
        c["non_product_code"] += not MERCH.match(code)
        c["unspecified_country"] += r[7].strip().lower() in ("", "unspecified")
    return {
        "dup_of": dup_of,
        "counts": {k: v for k, v in c.items() if v},
        "lines": len(kept),
        "invoices": {r[0] for _, r in kept},
        "kinds": Counter(kind(i) for i in inv_qty),
        "customers": {r[6].split(".")[0] for _, r in kept if r[6]},
        "codes": {r[1].strip().upper() for _, r in kept},
    }


def test_slice_import_exact_counts(online_retail_slice, slice_rows):
    exp = expected_from_rows(slice_rows)
    report = orders_import(path=online_retail_slice)

    # the slice's facts, counted once by hand with the csv module and pinned here
    assert (len(exp["dup_of"]), exp["lines"], len(exp["invoices"])) == (79, 4921, 300)
    assert exp["counts"]["guest_order"] == 1205
    assert exp["counts"]["cancellation"] == 70
    assert exp["counts"]["zero_price"] == 12
    assert (len(exp["customers"]), len(exp["codes"])) == (197, 1595)

    assert report.status == ImportReport.Status.SUCCEEDED
    assert report.rows_total == 5000 == len(slice_rows)
    assert report.rows_rejected == len(exp["dup_of"]) > 0
    assert report.rows_imported == exp["lines"] == 5000 - len(exp["dup_of"])
    assert OrderLine.objects.count() == exp["lines"]
    assert set(Order.objects.values_list("invoice_no", flat=True)) == exp["invoices"]
    kinds = Counter(Order.objects.values_list("kind", flat=True))
    assert kinds == exp["kinds"]
    assert exp["kinds"]["cancellation"] > 0
    assert (
        set(Customer.objects.values_list("external_id", flat=True))
        == (exp["customers"])
    )
    assert set(Product.objects.values_list("stock_code", flat=True)) == exp["codes"]

    flagged = report.counts_by_reason["flagged"]
    for reason in (
        "guest_order",
        "cancellation",
        "zero_price",
        "non_product_code",
        "stock_adjustment",
    ):
        assert flagged.get(reason, 0) == exp["counts"].get(reason, 0), reason
    assert exp["counts"]["guest_order"] > 0 and exp["counts"]["zero_price"] > 0
    assert report.counts_by_reason["rejected"] == {"duplicate_row": len(exp["dup_of"])}
    # every counted issue is listed with its row number
    by_reason = Counter(
        ImportIssue.objects.filter(report=report).values_list("action", "reason")
    )
    for action, reasons in report.counts_by_reason.items():
        for reason, n in reasons.items():
            assert by_reason[action, reason] == n
    for issue in ImportIssue.objects.filter(report=report, reason="duplicate_row"):
        earlier = exp["dup_of"][issue.row_number]
        assert issue.message == f"exact duplicate of row {earlier}"
        assert slice_rows[earlier - 1] == slice_rows[issue.row_number - 1]


def test_slice_known_facts(online_retail_slice, slice_rows):
    assert slice_rows[141][:3] == ["C536379", "D", "Discount"]
    orders_import(path=online_retail_slice)

    credit = Order.objects.get(invoice_no="C536379")
    assert credit.kind == Order.Kind.CANCELLATION
    assert credit.status == Order.Status.CANCELLED
    line = credit.lines.get()
    assert (line.quantity, line.unit_price, line.source_row) == (
        -1,
        Decimal("27.5"),
        142,
    )
    assert line.product.stock_code == "D"
    assert (line.product.kind, line.product.is_merchandise) == ("discount", False)
    assert credit.customer.external_id == "14527"
    assert Product.objects.get(stock_code="POST").kind == "postage"
    assert credit.cancels is None  # no earlier sale of D to 14527 in the file

    first = Order.objects.get(invoice_no="536365")
    # 2010-12-01 08:26 UK local time is GMT in winter
    assert first.placed_at == datetime(2010, 12, 1, 8, 26, tzinfo=UTC)
    assert first.customer.external_id == "17850"
    assert first.status == Order.Status.DELIVERED
    assert first.lines.count() == 7

    heart = Product.objects.get(stock_code="85123A")
    assert heart.is_merchandise and heart.list_price > 0
    assert heart.first_sold_at == datetime(2010, 12, 1, 8, 26, tzinfo=UTC)
    change = PriceChange.objects.get(product=heart)
    assert change.origin == "import" and change.new_price == heart.list_price
    assert PriceChange.objects.count() == Product.objects.count()


def test_reimport_same_file_adds_nothing(online_retail_slice):
    orders_import(path=online_retail_slice)
    counts = (Order.objects.count(), OrderLine.objects.count(), Product.objects.count())
    again = orders_import(path=online_retail_slice)
    assert again.status == ImportReport.Status.SKIPPED
    assert "already imported" in again.summary
    assert counts == (
        Order.objects.count(),
        OrderLine.objects.count(),
        Product.objects.count(),
    )
    assert PriceChange.objects.count() == counts[2]


@pytest.mark.slow
def test_overlapping_file_skips_existing_invoices(tmp_path, slice_rows):
    first = write_retail(tmp_path / "a.csv", slice_rows[:3000])
    whole = write_retail(tmp_path / "b.csv", slice_rows)
    orders_import(path=first)
    invoices_a = {r[0] for r in slice_rows[:3000]}
    exp = expected_from_rows(slice_rows)
    kept_rows = [r for n, r in enumerate(slice_rows, start=1) if n not in exp["dup_of"]]
    skipped = sum(r[0] in invoices_a for r in kept_rows)

    report = orders_import(path=whole)
    assert report.status == ImportReport.Status.SUCCEEDED
    assert report.rows_skipped_existing == skipped
    assert report.rows_imported == len(kept_rows) - skipped
    assert Order.objects.count() == len(exp["invoices"])
    assert Product.objects.count() == len(exp["codes"])


ROWS = [
    [
        "536365",
        "85123a",
        "HEART",
        "6",
        "2010-12-01 08:26:00",
        "2.55",
        "17850.0",
        "United Kingdom",
    ],
    [
        "536365",
        "71053",
        "LANTERN",
        "x",
        "2010-12-01 08:26:00",
        "3.39",
        "17850.0",
        "United Kingdom",
    ],
    ["536366", "71053", "LANTERN", "2", "not a date", "3.39", "", "France"],
    ["536367", "71053", "LANTERN", "2", "2011-06-01 10:00:00", "abc", "", "France"],
    ["536368", "71053", "LANTERN", "2", "2011-06-01 10:00:00", "3.39", "12A", "France"],
    ["", "71053", "LANTERN", "2", "2011-06-01 10:00:00", "3.39", "", "France"],
    ["536369", "71053", "", "0", "2011-06-01 10:00:00", "3.39", "", "France"],
    ["536370", "71053", "", "3", "2011-06-01 10:00:00", "0", "", "Unspecified"],
    ["536371", "22222", "damaged", "-5", "2011-06-01 10:00:00", "0", "", "UK"],
    ["536372", "71053", "LANTERN", "1", "2011-06-01 10:00:00", "3.39", "", "UK"],
    ["536373", "33333", "", "1", "2011-06-01 10:00:00", "1", "", "UK"],
]


def _issues(report):
    return {(i.row_number, i.reason) for i in ImportIssue.objects.filter(report=report)}


def test_bad_rows_rejected_with_row_numbers(tmp_path):
    report = orders_import(path=write_retail(tmp_path / "bad.csv", ROWS))
    issues = _issues(report)
    assert {
        (2, "bad_quantity"),
        (3, "bad_date"),
        (4, "bad_price"),
        (5, "bad_customer_id"),
        (6, "missing_invoice"),
        (7, "zero_quantity"),
        (1, "stock_code_case"),
        (8, "missing_description"),
        (8, "zero_price"),
        (8, "unspecified_country"),
        (8, "guest_order"),
        (9, "stock_adjustment"),
        (11, "missing_description"),
    } <= issues
    assert report.counts_by_reason["flagged"]["missing_description"] == 1
    assert report.counts_by_reason["repaired"]["missing_description"] == 1
    assert report.rows_rejected == 6
    assert report.rows_imported == 5
    assert Product.objects.get(stock_code="85123A").description == "HEART"
    # the empty description was filled from the code's canonical description
    assert OrderLine.objects.get(source_row=8).description == "LANTERN"
    assert Order.objects.get(invoice_no="536371").kind == Order.Kind.ADJUSTMENT
    assert Order.objects.get(invoice_no="536370").customer is None
    # 10:00 London summer time is 09:00 UTC
    assert Order.objects.get(invoice_no="536370").placed_at == datetime(
        2011, 6, 1, 9, 0, tzinfo=UTC
    )


@pytest.mark.parametrize("encoding", ["latin-1", "utf-8-sig", "gzip"])
def test_encodings_and_gzip(tmp_path, encoding):
    rows = [
        [
            "540001",
            "22000",
            "CAFÉ SET",
            "2",
            "2011-01-05 10:00:00",
            "1.5",
            "12345.0",
            "France",
        ],
    ]
    if encoding == "gzip":
        path = write_retail(tmp_path / "f.csv.gz", rows, gz=True)
    else:
        path = write_retail(tmp_path / "f.csv", rows, encoding=encoding)
    report = orders_import(path=path)
    assert report.rows_imported == 1
    assert Product.objects.get(stock_code="22000").description == "CAFÉ SET"
    assert Customer.objects.get().external_id == "12345"


def test_missing_column_is_named(tmp_path):
    header = [h for h in HEADER if h != "Quantity"]
    path = write_retail(tmp_path / "m.csv", [["1"] * 7], header=header)
    with pytest.raises(InvalidInput) as err:
        orders_import(path=path)
    assert "'Quantity'" in str(err.value) and err.value.field == "Quantity"
    with pytest.raises(CommandError, match="Quantity"):
        call_command("import_orders", str(path))
    assert not Order.objects.exists()


def test_missing_file(tmp_path):
    with pytest.raises(InvalidInput, match="file not found"):
        orders_import(path=tmp_path / "nope.csv")


def test_command_prints_summary_table(tmp_path):
    out = StringIO()
    path = write_retail(tmp_path / "bad.csv", ROWS + [ROWS[0]])
    call_command("import_orders", str(path), stdout=out)
    text = out.getvalue()
    assert "duplicate_row" in text and "bad_quantity" in text
    assert re.search(r"rows in file\s+12\b", text)
    out2 = StringIO()
    call_command("import_orders", str(path), stdout=out2)
    assert "nothing added" in out2.getvalue()


def test_celery_task_twin_records_a_task_run(tmp_path):
    from core.models import TaskRun
    from shop.tasks import shop_import_orders_task

    path = write_retail(tmp_path / "t.csv", ROWS)
    result = shop_import_orders_task.apply(args=[str(path)]).get()
    assert result["status"] == "succeeded" and result["rows_imported"] == 5
    run = TaskRun.objects.get(task_name="shop.import_orders")
    assert run.status == TaskRun.Status.SUCCEEDED
    assert run.metrics["report"] == result["report"]


def test_cancellation_linked_to_latest_matching_sale(tmp_path):
    day = "2011-03-0{} 10:00:00"
    rows = [
        ["550001", "22001", "A", "5", day.format(1), "1", "12345.0", "UK"],
        ["550002", "22001", "A", "5", day.format(2), "1", "12345.0", "UK"],
        ["550002", "22002", "B", "5", day.format(2), "1", "12345.0", "UK"],
        ["550003", "22002", "B", "5", day.format(3), "1", "99999.0", "UK"],
        ["C550004", "22001", "A", "-2", day.format(4), "1", "12345.0", "UK"],
        ["C550004", "22002", "B", "-1", day.format(4), "1", "12345.0", "UK"],
        ["C550005", "22001", "A", "-1", day.format(5), "1", "", "UK"],
    ]
    report = orders_import(path=write_retail(tmp_path / "c.csv", rows))
    credit = Order.objects.get(invoice_no="C550004")
    assert credit.cancels.invoice_no == "550002"
    assert Order.objects.get(invoice_no="C550005").cancels is None
    assert "1 cancellations linked" in report.summary
    messages = dict(
        ImportIssue.objects.filter(report=report, reason="cancellation").values_list(
            "row_number", "message"
        )
    )
    assert messages[5].endswith("cancels 550002")
    assert messages[7].endswith("no original sale found")


def _row(invoice, description="MUG", when="2011-01-05 10:00:00", code="22000"):
    return [invoice, code, description, "2", when, "1.5", "12345.0", "France"]


def test_windows_1252_file_is_read_as_cp1252(tmp_path):
    """Issue 16.8: Excel's Windows-1252 punctuation survives; the report names it."""
    text = "MUG – “CAFÉ” 5€ IT’S"
    path = write_retail(tmp_path / "w.csv", [_row("540001", text)], encoding="cp1252")
    report = orders_import(path=path)
    assert Product.objects.get(stock_code="22000").description == text
    assert report.encoding == "cp1252" and "(cp1252," in report.summary
    assert not ImportIssue.objects.filter(reason="control_characters").exists()


def test_bytes_undefined_in_cp1252_fall_back_to_latin_1_and_are_flagged(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(
        (",".join(HEADER) + "\n" + ",".join(_row("540001", "CAF\xc9 SET")) + "\n")
        .encode("latin-1")
        .replace(b" SET", b" \x81SET")  # 0x81: undefined in Windows-1252
    )
    report = orders_import(path=path)
    assert report.encoding == "latin-1" and report.rows_imported == 1
    issue = ImportIssue.objects.get(reason="control_characters")
    assert (issue.row_number, issue.field, issue.action) == (
        1,
        "Description",
        "flagged",
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_utf8_files_report_their_encoding(tmp_path, encoding):
    path = write_retail(
        tmp_path / "u.csv", [_row("540001", "MUG – “CAFÉ”")], encoding=encoding
    )
    assert orders_import(path=path).encoding == encoding


def test_import_times_follow_the_shops_time_zone(tmp_path, settings):
    """Issue 16.9: TIME_ZONE=Asia/Tokyo reads naive file times as Tokyo time, and a
    23:30 sale counts on its own day."""
    from inventory.selectors import demand_daily

    settings.TIME_ZONE = "Asia/Tokyo"
    rows = [
        _row("540001", when="2024-03-10 08:00:00"),
        _row("540002", when="2024-03-10 23:30:00"),
        _row("540003", when="2024-03-11 00:30:00"),
    ]
    report = orders_import(path=write_retail(tmp_path / "t.csv", rows))
    placed = dict(Order.objects.values_list("invoice_no", "placed_at"))
    assert placed["540001"] == datetime(2024, 3, 9, 23, 0, tzinfo=UTC)
    assert placed["540002"] == datetime(2024, 3, 10, 14, 30, tzinfo=UTC)
    daily = demand_daily()
    product = Product.objects.get(stock_code="22000").pk
    assert daily[product].to_dict() == {
        pd.Timestamp("2024-03-10"): 4.0,
        pd.Timestamp("2024-03-11"): 2.0,
    }
    assert report.time_zone == "Asia/Tokyo" and "Asia/Tokyo" in report.summary
