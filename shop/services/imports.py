"""Importing order history and ratings files into the shop.

``orders_import`` (Online Retail layout) and ``ratings_import`` (MovieLens layout)
share one shape:

1. read and validate the whole file vectorised (``shop.datasets``), so every
   rejected, repaired or flagged row is known up front with its 1-based row number;
2. skip the file when a succeeded import of the same content (sha256 of the
   decompressed bytes) exists: nothing is added and the report says so;
3. save the report and its issues, then write catalogue rows, then orders (or
   ratings) in batches, each batch in its own transaction; an invoice is never split
   across batches, and invoices already in the database are skipped, so an
   interrupted import can be run again and overlapping files add only what is new.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from core.db_statistics import tables_analyze
from core.exceptions import InvalidInput
from core.taskruns import current_run
from core.taskruns import progress as run_progress

from ..clock import clock_cache_clear
from ..conf import shop_setting
from ..datasets.files import FileError, IssueLog, content_sha256
from ..datasets.movielens import RatingsData, parse_ratings
from ..datasets.online_retail import RetailData, parse_retail
from ..models import (
    Category,
    Customer,
    ImportIssue,
    ImportReport,
    Order,
    OrderLine,
    PriceChange,
    Product,
    Rating,
)

RETAIL_SOURCE = "online_retail"
# what orders_import writes, analysed at its end
IMPORTED_TABLES = (Product, PriceChange, Customer, Order, OrderLine, ImportIssue)
MOVIELENS_SOURCE = "movielens"
ISSUE_BATCH = 20_000
LINE_COLUMNS = [
    "order",
    "product",
    "line_no",
    "quantity",
    "unit_price",
    "description",
    "source_row",
]
ProgressFactory = Callable[..., object]


def _noop_bar(**_kw):
    class _Bar:
        def update(self, n=1):
            return None

        def close(self):
            return None

    return _Bar()


def _chunks(seq: list, size: int) -> Iterator[list]:
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


def _aware(ts) -> object:
    return None if pd.isna(ts) else ts.to_pydatetime()


def _already_imported(kind: str, sha256: str) -> ImportReport | None:
    return (
        ImportReport.objects.filter(
            kind=kind, file_sha256=sha256, status=ImportReport.Status.SUCCEEDED
        )
        .order_by("created_at")
        .first()
    )


def _report_skipped(kind: str, path: Path, sha256: str, earlier: ImportReport):
    now = timezone.now()
    return ImportReport.objects.create(
        kind=kind,
        path=str(path)[:500],
        file_sha256=sha256,
        status=ImportReport.Status.SKIPPED,
        started_at=now,
        finished_at=now,
        rows_total=earlier.rows_total,
        summary=f"Same file content (sha256 {sha256[:12]}) was already imported by "
        f"report #{earlier.pk} on {earlier.finished_at:%Y-%m-%d %H:%M}; "
        "nothing added.",
    )


def _insert_rows(model, columns: list[str], rows: list[tuple]) -> None:
    """Plain INSERTs of ready-made rows, bypassing the ORM's per-object cost (the
    bottleneck on half a million lines; these rows need no model logic).

    SQLite gets one ``executemany`` (a C loop); PostgreSQL ``COPY ... FROM STDIN``
    (psycopg 3); other databases multi-row ``VALUES`` statements of up to 1,000 rows.
    """
    if not rows:
        return
    qn = connection.ops.quote_name
    head = "INSERT INTO {} ({}) VALUES ".format(
        qn(model._meta.db_table),
        ", ".join(qn(model._meta.get_field(c).column) for c in columns),
    )
    one = "({})".format(", ".join(["%s"] * len(columns)))
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.executemany(head + one, rows)
            return
        raw = getattr(cursor, "cursor", None)
        if connection.vendor == "postgresql" and hasattr(raw, "copy"):
            table = head[len("INSERT INTO ") : -len(" VALUES ")]
            with raw.copy(f"COPY {table} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        per = max(1, min(1000, 60_000 // len(columns)))
        for chunk in _chunks(rows, per):
            params = [value for row in chunk for value in row]
            cursor.execute(head + ", ".join([one] * len(chunk)), params)


def _save_issues(report: ImportReport, issues: IssueLog) -> None:
    frame = issues.frame()
    columns = ["row_number", "action", "reason", "field", "value", "message"]
    rows = list(
        zip(
            [report.pk] * len(frame),
            *(frame[c].tolist() for c in columns),
            strict=True,
        )
    )
    for batch in _chunks(rows, ISSUE_BATCH):
        with transaction.atomic():
            _insert_rows(ImportIssue, ["report", *columns], batch)


def _counts_fields(issues: IssueLog) -> dict:
    counts = issues.counts()
    return {
        "counts_by_reason": counts,
        "rows_repaired": len(issues.rows_with("repaired")),
        "rows_rejected": len(issues.rows_with("rejected")),
    }


def _wrap_file_error(fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except FileError as exc:
        raise InvalidInput(str(exc), field=exc.field) from None


# --- Online Retail ------------------------------------------------------------------


def orders_import(
    *,
    path: str | Path,
    batch_lines: int | None = None,
    progress: ProgressFactory | None = None,
) -> ImportReport:
    """Import an Online Retail file (``.csv`` / ``.csv.gz``; UTF-8 with or without
    BOM, else Windows-1252, else Latin-1; see
    :func:`shop.datasets.files.read_csv_text`).

    The file's naive ``InvoiceDate`` times are read in the shop's time zone
    (``settings.TIME_ZONE``, env ``TIME_ZONE``) and stored in UTC; the report records
    the encoding and the time zone used.

    Creates products (``source="online_retail"``; non-product codes with
    ``is_merchandise=False`` and a kind), customers (external id ``17850`` from
    ``17850.0``), orders (``C`` invoices as kind ``cancellation`` with status
    ``cancelled``; stock write-offs and ``A`` invoices as kind ``adjustment``; sales
    with the status ``IMPORTED_SALE_STATUS``), order lines with their source row, one
    ``PriceChange(origin="import")`` per new product (list price rule in
    :func:`shop.datasets.online_retail.typical_prices`), and an ``ImportReport`` with
    one ``ImportIssue`` per rejected/repaired/flagged row and reason. The tables it
    wrote are then analysed (:func:`core.db_statistics.tables_analyze`: fresh planner
    statistics even when autovacuum is off).

    Parameters
    ----------
    path : path of the file.
    batch_lines : int, lines per transaction (default ``IMPORT_BATCH_LINES``).
    progress : callable like ``tqdm(total=..., desc=..., unit=...)`` or None.

    Returns
    -------
    ImportReport
        ``status`` succeeded, or skipped when the same content was imported before.

    Raises
    ------
    InvalidInput
        File missing/unreadable, or a required column missing (named in the error).
    """
    path = Path(path)
    started = time.monotonic()
    sha256 = _wrap_file_error(content_sha256, path)
    earlier = _already_imported("orders", sha256)
    if earlier is not None:
        return _report_skipped("orders", path, sha256, earlier)
    data = _wrap_file_error(
        parse_retail,
        path,
        tz=settings.TIME_ZONE,
        price_window_days=int(shop_setting("LIST_PRICE_WINDOW_DAYS")),
    )
    report = ImportReport.objects.create(
        kind="orders",
        path=str(path)[:500],
        file_sha256=data.sha256,
        started_at=timezone.now(),
        rows_total=data.rows_total,
        encoding=data.encoding,
        time_zone=settings.TIME_ZONE,
        **_counts_fields(data.issues),
    )
    run_progress(current_run(), 0.2, f"{data.rows_total:,} rows validated")
    try:
        _save_issues(report, data.issues)
        products = _write_products(data)
        customers = _write_customers(data.customers, source=RETAIL_SOURCE, country=True)
        imported, skipped = _write_orders(
            data,
            report,
            products,
            customers,
            batch_lines=batch_lines or int(shop_setting("IMPORT_BATCH_LINES")),
            progress=progress or _noop_bar,
        )
        linked = _link_cancellations(report, data.cancels)
    except Exception as exc:
        report.status = ImportReport.Status.FAILED
        report.error = f"{type(exc).__name__}: {exc}"[:5000]
        report.finished_at = timezone.now()
        report.save()
        raise
    finally:  # committed batches may have moved the shop clock's "today"
        clock_cache_clear()
    report.rows_imported = imported
    report.rows_skipped_existing = skipped
    report.status = ImportReport.Status.SUCCEEDED
    report.finished_at = timezone.now()
    report.summary = _retail_summary(
        data, imported, skipped, time.monotonic() - started
    ) + (f" {linked:,} cancellations linked to the sale they cancel." if linked else "")
    report.save()
    # fresh planner statistics: with autovacuum off the planner would keep those of
    # the empty tables (core.db_statistics)
    tables_analyze(models=IMPORTED_TABLES)
    return report


def _retail_summary(data: RetailData, imported: int, skipped: int, secs: float) -> str:
    kinds = data.invoices["kind"].value_counts().to_dict()
    return (
        f"{data.rows_total:,} rows read ({data.encoding}, times in "
        f"{settings.TIME_ZONE}); "
        f"{imported:,} lines imported, "
        f"{skipped:,} lines of invoices already present skipped; "
        f"{len(data.invoices):,} invoices in the file ({kinds.get('sale', 0):,} sales, "
        f"{kinds.get('cancellation', 0):,} cancellations, "
        f"{kinds.get('adjustment', 0):,} adjustments); {len(data.products):,} stock "
        f"codes; {len(data.customers):,} customers; {secs:.1f} s."
    )


def _write_products(data: RetailData) -> dict[str, int]:
    """Create new products (with their import price record); return code -> pk."""
    existing = dict(
        Product.objects.filter(source=RETAIL_SOURCE).values_list("stock_code", "pk")
    )
    frame = data.products
    new = frame[~frame["code"].isin(existing)]
    old = frame[frame["code"].isin(existing)]
    with transaction.atomic():
        created = Product.objects.bulk_create(
            [
                Product(
                    source=RETAIL_SOURCE,
                    stock_code=r.code,
                    description=r.description[:255],
                    alt_descriptions=[d[:255] for d in r.alt_descriptions],
                    kind=r.kind,
                    is_merchandise=bool(r.is_merchandise),
                    list_price=r.list_price,
                    currency="GBP",
                    first_sold_at=_aware(r.first_sold_at),
                    last_sold_at=_aware(r.last_sold_at),
                )
                for r in new.itertuples(index=False)
            ],
            batch_size=500,
        )
        del created  # pks are not returned by every backend: read them back
        ids = dict(
            Product.objects.filter(source=RETAIL_SOURCE).values_list("stock_code", "pk")
        )
        now = timezone.now()
        PriceChange.objects.bulk_create(
            [
                PriceChange(
                    product_id=ids[r.code],
                    old_price=None,
                    new_price=r.list_price,
                    currency="GBP",
                    changed_at=_aware(r.last_sold_at) or now,
                    origin=PriceChange.Origin.IMPORT,
                    reason=f"initial list price from import: {r.price_basis}",
                )
                for r in new.itertuples(index=False)
            ],
            batch_size=500,
        )
        _merge_existing_products(old, existing)
    return ids


def _merge_existing_products(old: pd.DataFrame, ids: dict[str, int]) -> None:
    """Extend sold dates and descriptions of products seen in an earlier file.

    The list price is left alone: it changes only through ``product_set_price``.
    """
    if old.empty:
        return
    by_code = {r.code: r for r in old.itertuples(index=False)}
    rows = list(Product.objects.filter(pk__in=[ids[c] for c in by_code]))
    for product in rows:
        r = by_code[product.stock_code]
        seen = {product.description, *product.alt_descriptions}
        extra = [d for d in [r.description, *r.alt_descriptions] if d and d not in seen]
        product.alt_descriptions = [*product.alt_descriptions, *extra]
        first, last = _aware(r.first_sold_at), _aware(r.last_sold_at)
        if first and (product.first_sold_at is None or first < product.first_sold_at):
            product.first_sold_at = first
        if last and (product.last_sold_at is None or last > product.last_sold_at):
            product.last_sold_at = last
    Product.objects.bulk_update(
        rows, ["alt_descriptions", "first_sold_at", "last_sold_at"], batch_size=500
    )


def _write_customers(frame: pd.DataFrame, *, source: str, country: bool) -> dict:
    existing = dict(
        Customer.objects.filter(source=source).values_list("external_id", "pk")
    )
    new = frame[~frame["external_id"].isin(existing)]
    with transaction.atomic():
        Customer.objects.bulk_create(
            [
                Customer(
                    source=source,
                    external_id=r.external_id,
                    country=r.country[:64] if country else "",
                )
                for r in new.itertuples(index=False)
            ],
            batch_size=500,
        )
    return dict(Customer.objects.filter(source=source).values_list("external_id", "pk"))


def _invoice_batches(lines: pd.DataFrame, batch_lines: int) -> list[np.ndarray]:
    """Split invoice numbers (in file order) into batches of about ``batch_lines``."""
    sizes = lines.groupby("invoice", sort=False).size()
    cum = np.cumsum(sizes.to_numpy())
    batch_id = (cum - 1) // max(1, batch_lines)
    invoices = sizes.index.to_numpy()
    return [invoices[batch_id == b] for b in np.unique(batch_id)]


def _write_orders(data, report, products, customers, *, batch_lines, progress):
    existing = set(Order.objects.values_list("invoice_no", flat=True))
    lines = data.lines
    present = lines["invoice"].isin(existing)
    skipped = int(present.sum())
    lines = lines[~present]
    invoices = data.invoices[~data.invoices["invoice"].isin(existing)].set_index(
        "invoice"
    )
    status = {
        "sale": shop_setting("IMPORTED_SALE_STATUS"),
        "adjustment": shop_setting("IMPORTED_SALE_STATUS"),
        "cancellation": Order.Status.CANCELLED,
    }
    lines = lines.assign(
        line_no=lines.groupby("invoice", sort=False).cumcount() + 1,
        product_id=lines["code"].map(products),
    )
    bar = progress(total=len(lines), desc="import orders", unit="line")
    imported = 0
    try:
        for batch in _invoice_batches(lines, batch_lines):
            part = lines[lines["invoice"].isin(batch)]
            with transaction.atomic():
                order_ids = _create_orders(
                    invoices.loc[batch], customers, status, report
                )
                _insert_rows(
                    OrderLine,
                    LINE_COLUMNS,
                    list(
                        zip(
                            part["invoice"].map(order_ids).tolist(),
                            part["product_id"].tolist(),
                            part["line_no"].tolist(),
                            part["qty"].tolist(),
                            part["price"].tolist(),
                            part["description"].str.slice(0, 255).tolist(),
                            part["row"].tolist(),
                            strict=True,
                        )
                    ),
                )
            imported += len(part)
            bar.update(len(part))
            run_progress(
                current_run(),
                0.3 + 0.7 * imported / max(1, len(lines)),
                f"{imported:,} of {len(lines):,} lines imported",
            )
    finally:
        bar.close()
    return imported, skipped


def _link_cancellations(report: ImportReport, cancels: pd.Series) -> int:
    """Set ``Order.cancels`` on this import's cancellation orders; return how many."""
    if cancels.empty:
        return 0
    pairs = dict(cancels.items())
    wanted = set(pairs) | set(pairs.values())
    ids = {
        no: pk
        for no, pk in Order.objects.filter(source=RETAIL_SOURCE)
        .values_list("invoice_no", "pk")
        .iterator(chunk_size=5000)
        if no in wanted
    }
    credits = list(
        Order.objects.filter(import_report=report, kind=Order.Kind.CANCELLATION).only(
            "pk", "invoice_no"
        )
    )
    linked = []
    for order in credits:
        original = ids.get(pairs.get(order.invoice_no))
        if original is not None:
            order.cancels_id = original
            linked.append(order)
    with transaction.atomic():
        Order.objects.bulk_update(linked, ["cancels"], batch_size=500)
    return len(linked)


ORDER_COLUMNS = [
    "created_at",
    "updated_at",
    "source",
    "invoice_no",
    "customer",
    "placed_at",
    "country",
    "kind",
    "status",
    "shipping_address",
    "import_report",
]


def _create_orders(inv: pd.DataFrame, customers, status, report) -> dict:
    """Insert the batch's orders; return ``{invoice_no: pk}``."""
    adapt = connection.ops.adapt_datetimefield_value
    now = adapt(timezone.now())
    rows = [
        (
            now,
            now,
            RETAIL_SOURCE,
            invoice,
            customers.get(r.customer) if r.customer else None,
            adapt(r.placed_at.to_pydatetime()),
            r.country[:64],
            r.kind,
            status[r.kind],
            "",
            report.pk,
        )
        for invoice, r in zip(inv.index, inv.itertuples(index=False), strict=True)
    ]
    before = Order.objects.aggregate(m=Max("pk"))["m"] or 0
    _insert_rows(Order, ORDER_COLUMNS, rows)
    return dict(
        Order.objects.filter(import_report=report, pk__gt=before).values_list(
            "invoice_no", "pk"
        )
    )


# --- MovieLens ratings -------------------------------------------------------------


def ratings_import(
    *,
    path: str | Path,
    source: str = MOVIELENS_SOURCE,
    batch_rows: int = 20_000,
    progress: ProgressFactory | None = None,
) -> ImportReport:
    """Import explicit ratings in the MovieLens layout.

    Columns ``userId``, ``itemId`` or ``movieId``, ``rating`` and an optional
    ``timestamp`` (Unix seconds, UTC). A ``movies.csv`` beside the file
    (``movieId,title,genres``) gives product titles and the first genre as category.
    Users become customers and items products, both with ``source``; ratings already
    present for a (customer, product) pair are skipped. Batch-transactional,
    idempotent by file content, with a report like :func:`orders_import`.

    Raises
    ------
    InvalidInput
        File missing/unreadable or a required column missing (named).
    """
    path = Path(path)
    started = time.monotonic()
    kind = "ratings"
    sha256 = _wrap_file_error(content_sha256, path)
    earlier = _already_imported(kind, sha256)
    if earlier is not None:
        return _report_skipped(kind, path, sha256, earlier)
    data = _wrap_file_error(parse_ratings, path)
    report = ImportReport.objects.create(
        kind=kind,
        path=str(path)[:500],
        file_sha256=data.sha256,
        started_at=timezone.now(),
        rows_total=data.rows_total,
        encoding=data.encoding,
        time_zone="UTC",  # Unix timestamps
        **_counts_fields(data.issues),
    )
    try:
        _save_issues(report, data.issues)
        products = _write_rated_items(data, source)
        customers = _write_customers(
            pd.DataFrame({"external_id": data.ratings["user"].unique(), "country": ""}),
            source=source,
            country=False,
        )
        imported, skipped = _write_ratings(
            data, products, customers, source, batch_rows, progress or _noop_bar
        )
    except Exception as exc:
        report.status = ImportReport.Status.FAILED
        report.error = f"{type(exc).__name__}: {exc}"[:5000]
        report.finished_at = timezone.now()
        report.save()
        raise
    report.rows_imported = imported
    report.rows_skipped_existing = skipped
    report.status = ImportReport.Status.SUCCEEDED
    report.finished_at = timezone.now()
    report.summary = (
        f"{data.rows_total:,} rows read ({data.encoding}); {imported:,} ratings "
        f"imported, {skipped:,} "
        f"already present skipped; {data.ratings['user'].nunique():,} users, "
        f"{data.ratings['item'].nunique():,} items"
        f"{' (titles from movies.csv)' if data.titles_found else ''}; "
        f"{time.monotonic() - started:.1f} s."
    )
    report.save()
    return report


def _write_rated_items(data: RatingsData, source: str) -> dict[str, int]:
    existing = dict(
        Product.objects.filter(source=source).values_list("stock_code", "pk")
    )
    items = pd.Index(data.ratings["item"].unique())
    new = [i for i in items if i not in existing]
    genres = {g for i in new if (g := data.genres.get(i))}
    with transaction.atomic():
        for name in sorted(genres):
            Category.objects.get_or_create(name=name[:120], defaults={"source": source})
        cats = dict(Category.objects.filter(name__in=genres).values_list("name", "pk"))
        Product.objects.bulk_create(
            [
                Product(
                    source=source,
                    stock_code=item[:64],
                    description=(data.titles.get(item) or f"item {item}")[:255],
                    category_id=cats.get(data.genres.get(item, "")),
                    list_price=Decimal("0"),
                )
                for item in new
            ],
            batch_size=500,
        )
    return dict(Product.objects.filter(source=source).values_list("stock_code", "pk"))


def _write_ratings(data, products, customers, source, batch_rows, progress):
    have = set(
        Rating.objects.filter(customer__source=source).values_list(
            "customer_id", "product_id"
        )
    )
    frame = data.ratings.assign(
        customer_id=data.ratings["user"].map(customers),
        product_id=data.ratings["item"].map(products),
    )
    present = (
        np.array(
            [
                (c, p) in have
                for c, p in zip(frame["customer_id"], frame["product_id"], strict=True)
            ],
            dtype=bool,
        )
        if have
        else np.zeros(len(frame), dtype=bool)
    )
    frame = frame[~present]
    bar = progress(total=len(frame), desc="import ratings", unit="rating")
    try:
        for start in range(0, len(frame), batch_rows):
            part = frame.iloc[start : start + batch_rows]
            adapt = connection.ops.adapt_datetimefield_value
            with transaction.atomic():
                _insert_rows(
                    Rating,
                    ["customer", "product", "value", "rated_at"],
                    list(
                        zip(
                            part["customer_id"].tolist(),
                            part["product_id"].tolist(),
                            part["value"].astype(float).tolist(),
                            [adapt(_aware(t)) for t in part["rated_at"]],
                            strict=True,
                        )
                    ),
                )
            bar.update(len(part))
    finally:
        bar.close()
    return len(frame), int(present.sum())
