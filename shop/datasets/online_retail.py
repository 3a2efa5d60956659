"""Validate and shape an Online Retail file (UCI layout) with vectorised pandas.

Layout: ``InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice,
CustomerID, Country`` (the Online Retail II spellings ``Invoice``, ``Price`` and
``Customer ID`` are accepted too). Row numbers are 1-based data rows (the header is
row 0), so pandas index ``i`` is row ``i + 1``.

What happens to each kind of dirt (every case is listed as an issue of the row):

========================  ========  ===============================================
reason                    action    rule
========================  ========  ===============================================
missing_invoice           rejected  empty InvoiceNo
missing_stock_code        rejected  empty StockCode
bad_quantity              rejected  Quantity is not an integer
zero_quantity             rejected  Quantity is 0 (the line carries nothing)
bad_date                  rejected  InvoiceDate is not a date
bad_price                 rejected  UnitPrice is not a finite number
bad_customer_id           rejected  CustomerID is not an integer (``17850.0`` is)
duplicate_row             rejected  all eight fields equal an earlier row (cited)
stock_code_case           repaired  code upper-cased / stripped (``85123a``)
missing_description       repaired  empty Description filled with the canonical one
                          (flagged  when the code has no description at all)
description_variant       repaired  the product keeps the most frequent description
                                    of its code; this row's text goes to
                                    ``alt_descriptions`` (the line keeps its own)
price_rounded             repaired  UnitPrice had more than 3 decimals
dst_local_time            repaired  a local time that does not exist or is ambiguous
                                    at a DST change (read as standard time)
guest_order               flagged   no CustomerID: kept as a guest order
cancellation              flagged   ``C`` invoice: an order of kind ``cancellation``
stock_adjustment          flagged   negative quantity, not ``C``: stock write-off,
                                    order of kind ``adjustment`` (``A`` invoices too)
positive_cancellation     flagged   ``C`` invoice with a positive quantity
zero_price                flagged   UnitPrice is 0
negative_price            flagged   UnitPrice is below 0
non_product_code          flagged   postage, fees, adjustments (``is_merchandise``
                                    False on the product)
unspecified_country       flagged   Country empty or ``Unspecified``
invoice_field_conflict    flagged   customer/country differ from the invoice's
                                    first row (the first row's values are used)
========================  ========  ===============================================

``CustomerID`` float text (``17850.0``) is the source's format, parsed as ``17850``
like dates are parsed; it is not listed as a repair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from .files import (
    FileError,
    IssueLog,
    flag_control_characters,
    read_csv_text,
    rename_columns,
)

COLUMNS = [
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
]
ALIASES = {
    "invoiceno": "InvoiceNo",
    "invoice": "InvoiceNo",
    "stockcode": "StockCode",
    "description": "Description",
    "quantity": "Quantity",
    "invoicedate": "InvoiceDate",
    "unitprice": "UnitPrice",
    "price": "UnitPrice",
    "customerid": "CustomerID",
    "country": "Country",
}
REQUIRED = ["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice"]

MERCHANDISE_RE = re.compile(r"^\d{5}[A-Z]{0,3}$")
NON_PRODUCT_CODES = {
    "POST": "postage",
    "DOT": "postage",
    "C2": "postage",
    "M": "adjustment",
    "B": "adjustment",
    "D": "discount",
    "S": "sample",
    "BANK CHARGES": "fee",
    "AMAZONFEE": "fee",
    "CRUK": "fee",
    "PADS": "other",
}
NON_PRODUCT_PREFIXES = {"DCGS": "other", "GIFT_": "other"}
# Services sold under a merchandise-shaped code (23444 "Next Day Carriage", 23574
# "PACKING CHARGE", 22016 "Dotcomgiftshop Gift Voucher £100.00"): recognised by the
# description (upper-cased, spaces collapsed). "CARRIAGE CLOCK" stays merchandise.
SERVICE_DESCRIPTIONS: tuple[tuple[re.Pattern, str], ...] = (
    (
        re.compile(
            r"^(NEXT DAY |EXPRESS |STANDARD )?(CARRIAGE|POSTAGE|DELIVERY|SHIPPING)$"
        ),
        "postage",
    ),
    (
        re.compile(r"\b(PACKING|HANDLING|DELIVERY|POSTAGE|CARRIAGE|BANK) CHARGES?\b"),
        "fee",
    ),
    (re.compile(r"\b(AMAZON|EBAY|PAYPAL) FEES?\b"), "fee"),
    (re.compile(r"\bGIFT VOUCHER\b"), "other"),
    (re.compile(r"^HIGH RESOLUTION IMAGES?$"), "other"),
    (
        re.compile(r"^(MANUAL|SAMPLES?|DISCOUNT|ADJUSTMENT|ADJUST BAD DEBT)$"),
        "adjustment",
    ),
)
UNSPECIFIED_COUNTRIES = {"", "unspecified"}
PRICE_QUANTUM = Decimal("0.001")


def classify_stock_code(code: str) -> tuple[str, bool]:
    """``(kind, is_merchandise)`` of a normalised (upper-case) stock code.

    Five digits with an optional letter suffix (``85123A``) are merchandise; the
    known service codes get their kind (postage, fee, adjustment, discount, sample);
    any other shape (``DCGS0003``, ``GIFT_0001_20``) is ``other``, not merchandise.
    """
    if MERCHANDISE_RE.match(code):
        return "merchandise", True
    if code in NON_PRODUCT_CODES:
        return NON_PRODUCT_CODES[code], False
    for prefix, kind in NON_PRODUCT_PREFIXES.items():
        if code.startswith(prefix):
            return kind, False
    return "other", False


def classify_product(code: str, description: str) -> tuple[str, bool]:
    """``(kind, is_merchandise)`` of a product from its code and its description.

    The code decides (:func:`classify_stock_code`), except that a description
    naming a service (carriage, a packing charge, a gift voucher, ...; see
    ``SERVICE_DESCRIPTIONS``) makes a merchandise-shaped code a non-product.
    """
    kind, merchandise = classify_stock_code(code)
    if not merchandise:
        return kind, merchandise
    text = " ".join(str(description or "").upper().split())
    for pattern, service_kind in SERVICE_DESCRIPTIONS:
        if pattern.search(text):
            return service_kind, False
    return kind, merchandise


@dataclass
class RetailData:
    """The validated content of one file.

    lines : one row per kept line: row, invoice, code, description, qty (int64),
        price (Decimal, GBP), price_f (float), customer (str, "" = guest),
        country, ts (UTC Timestamp).
    invoices : invoice, kind, customer, country, placed_at (UTC), first_row.
    products : code, description, alt_descriptions (list), kind, is_merchandise,
        list_price (Decimal GBP), price_basis, first_sold_at, last_sold_at.
    customers : external_id, country (most frequent on the customer's rows).
    cancels : Series indexed by cancellation invoice, the matched sale invoice (see
        :func:`match_cancellations`).
    """

    rows_total: int
    sha256: str
    encoding: str
    lines: pd.DataFrame
    invoices: pd.DataFrame
    products: pd.DataFrame
    customers: pd.DataFrame
    issues: IssueLog
    cancels: pd.Series  # cancellation invoice -> the sale invoice it cancels


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _parse_dates(raw: pd.Series, tz: str, log: IssueLog, rows: pd.Series):
    ts = pd.to_datetime(raw, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    retry = ts.isna() & raw.str.strip().ne("")
    if retry.any():
        ts[retry] = pd.to_datetime(raw[retry], format="mixed", errors="coerce")
    local = ts.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    odd = local.isna() & ts.notna()
    if odd.any():
        local[odd] = ts[odd].dt.tz_localize(
            tz, ambiguous=False, nonexistent="shift_forward"
        )
        log.add(
            rows[odd],
            action="repaired",
            reason="dst_local_time",
            field="InvoiceDate",
            value=raw[odd],
            message="local time ambiguous or missing at a DST change; read as "
            "standard time",
        )
    return local.dt.tz_convert("UTC")


def _reject(log: IssueLog, keep: pd.Series, bad: pd.Series, rows, reason, field, raw):
    bad = bad & keep
    log.add(rows[bad], action="rejected", reason=reason, field=field, value=raw[bad])
    return keep & ~bad


def parse_retail(path, *, tz: str = "Europe/London", price_window_days: int = 90):
    """Read and validate an Online Retail file; see the module docstring.

    Returns
    -------
    RetailData

    Raises
    ------
    FileError
        The file is missing/unreadable or lacks a required column (named).
    """
    csv = read_csv_text(path)
    df = rename_columns(csv.frame, ALIASES, REQUIRED, what="Online Retail")
    for col in ("Description", "CustomerID", "Country"):
        if col not in df.columns:
            df[col] = ""
    df = df[COLUMNS]
    log = IssueLog()
    rows = pd.Series(np.arange(1, len(df) + 1, dtype=np.int64), index=df.index)
    flag_control_characters(log, df, rows, ["Description"])
    inv = df["InvoiceNo"].str.strip().str.upper()
    code_raw = df["StockCode"]
    code = code_raw.str.strip().str.upper()
    qty_txt = df["Quantity"].str.strip()
    price_txt = df["UnitPrice"].str.strip()
    cust_txt = df["CustomerID"].str.strip()

    keep = pd.Series(True, index=df.index)
    keep = _reject(log, keep, inv.eq(""), rows, "missing_invoice", "InvoiceNo", inv)
    keep = _reject(
        log, keep, code.eq(""), rows, "missing_stock_code", "StockCode", code_raw
    )
    qty_ok = qty_txt.str.fullmatch(r"[+-]?\d{1,9}")
    keep = _reject(log, keep, ~qty_ok, rows, "bad_quantity", "Quantity", qty_txt)
    qty = pd.to_numeric(qty_txt.where(qty_ok, "0")).astype(np.int64)
    keep = _reject(log, keep, qty.eq(0), rows, "zero_quantity", "Quantity", qty_txt)
    ts = _parse_dates(df["InvoiceDate"], tz, log, rows)
    keep = _reject(
        log, keep, ts.isna(), rows, "bad_date", "InvoiceDate", df["InvoiceDate"]
    )
    uniq = {p: _decimal(p) for p in price_txt.unique()}
    price_dec = price_txt.map(uniq)
    keep = _reject(
        log, keep, price_dec.isna(), rows, "bad_price", "UnitPrice", price_txt
    )
    cust_ok = cust_txt.str.fullmatch(r"(\d{1,12})(\.0*)?") | cust_txt.eq("")
    keep = _reject(log, keep, ~cust_ok, rows, "bad_customer_id", "CustomerID", cust_txt)
    customer = cust_txt.str.replace(r"\.0*$", "", regex=True).where(cust_ok, "")

    dup = df.duplicated(keep="first")
    if dup.any():
        first = df.groupby(COLUMNS, sort=False, dropna=False).ngroup()
        first_row = rows.groupby(first).transform("min")
        bad = dup & keep
        log.add(
            rows[bad],
            action="rejected",
            reason="duplicate_row",
            field="*",
            value=first_row[bad].astype(str),
            message="exact duplicate of row " + first_row[bad].astype(str),
        )
        keep &= ~dup

    data = pd.DataFrame(
        {
            "row": rows,
            "invoice": inv,
            "code": code,
            "description": df["Description"].str.strip(),
            "qty": qty,
            "price": price_dec,
            "customer": customer,
            "country": df["Country"].str.strip(),
            "ts": ts,
        }
    )[keep]
    data, repaired_price = _round_prices(data)
    _log_price_rounding(log, data, repaired_price, price_txt)
    _log_code_case(log, data, code_raw)
    invoices = _invoices(data, log)
    data = data.merge(invoices[["invoice", "kind"]], on="invoice", how="left")
    cancels = match_cancellations(data)
    _log_flags(log, data, cancels)
    products = _products(data, log, price_window_days)
    customers = _customers(data)
    return RetailData(
        rows_total=len(df),
        sha256=csv.sha256,
        encoding=csv.encoding,
        lines=data,
        invoices=invoices,
        products=products,
        customers=customers,
        issues=log,
        cancels=cancels,
    )


def _round_prices(data: pd.DataFrame):
    uniq = {p: p.quantize(PRICE_QUANTUM) for p in data["price"].unique()}
    rounded = data["price"].map(uniq)
    changed = rounded != data["price"]
    data = data.assign(price=rounded)
    data["price_f"] = data["price"].astype(float)
    return data, changed


def _log_price_rounding(log, data, changed, price_txt):
    if changed.any():
        rows = data["row"][changed]
        log.add(
            rows,
            action="repaired",
            reason="price_rounded",
            field="UnitPrice",
            value=price_txt.iloc[rows - 1].to_numpy(),
            message="rounded to 0.001 GBP",
        )


def _log_code_case(log, data, code_raw):
    raw = code_raw.iloc[data["row"] - 1].to_numpy()
    changed = raw != data["code"].to_numpy()
    log.add(
        data["row"][changed],
        action="repaired",
        reason="stock_code_case",
        field="StockCode",
        value=raw[changed],
        message="normalised to " + data["code"][changed],
    )


def _invoices(data: pd.DataFrame, log: IssueLog) -> pd.DataFrame:
    g = data.groupby("invoice", sort=False)
    inv = g.agg(
        customer=("customer", "first"),
        country=("country", "first"),
        placed_at=("ts", "min"),
        first_row=("row", "min"),
        max_qty=("qty", "max"),
    ).reset_index()
    kind = np.where(
        inv["invoice"].str.startswith("C"),
        "cancellation",
        np.where(
            inv["invoice"].str.startswith("A") | (inv["max_qty"] < 0),
            "adjustment",
            "sale",
        ),
    )
    inv["kind"] = kind
    inv = inv.drop(columns="max_qty")
    head = data[["invoice"]].merge(inv, on="invoice", how="left")
    conflict = (head["customer"].to_numpy() != data["customer"].to_numpy()) | (
        head["country"].to_numpy() != data["country"].to_numpy()
    )
    log.add(
        data["row"][conflict],
        action="flagged",
        reason="invoice_field_conflict",
        field="CustomerID",
        value=data["customer"][conflict] + "/" + data["country"][conflict],
        message="differs from the invoice's first row; the first row's values used",
    )
    return inv


def match_cancellations(data: pd.DataFrame) -> pd.Series:
    """Link each cancellation invoice to the sale it most likely cancels.

    The data carries no link, so each cancellation line of an identified customer
    is matched to that customer's latest sale line of the same stock code at or
    before it (``pandas.merge_asof``, backward); the invoice matched by most lines
    (ties: the latest) is the one cancelled. Guest cancellations and those with no
    earlier sale in the file stay unlinked (flagged only).

    Returns
    -------
    Series indexed by cancellation invoice, values the sale invoice.
    """
    known = data["customer"].ne("")
    cols = ["invoice", "customer", "code", "ts"]
    canc = data.loc[known & data["kind"].eq("cancellation"), cols]
    sales = data.loc[known & data["kind"].eq("sale") & data["qty"].gt(0), cols]
    if canc.empty or sales.empty:
        return pd.Series(dtype=object, name="original")
    left = canc.astype({c: object for c in cols[:3]}).sort_values("ts")
    right = sales.astype({c: object for c in cols[:3]}).sort_values("ts")
    matched = pd.merge_asof(
        left.rename(columns={"invoice": "cancellation"}),
        right.rename(columns={"invoice": "original"}),
        on="ts",
        by=["customer", "code"],
        direction="backward",
    ).dropna(subset=["original"])
    best = (
        matched.groupby(["cancellation", "original"])
        .size()
        .reset_index(name="n")
        .sort_values(["cancellation", "n", "original"], ascending=[True, False, False])
        .drop_duplicates("cancellation")
    )
    return best.set_index("cancellation")["original"]


def _log_flags(log: IssueLog, data: pd.DataFrame, cancels: pd.Series) -> None:
    row, kind = data["row"], data["kind"]
    guest = data["customer"].eq("")
    log.add(row[guest], action="flagged", reason="guest_order", field="CustomerID")
    canc = kind.eq("cancellation")
    original = data["invoice"][canc].map(cancels)
    log.add(
        row[canc],
        action="flagged",
        reason="cancellation",
        field="InvoiceNo",
        value=data["invoice"][canc],
        message=np.where(
            original.notna(),
            "kept as a cancellation order; cancels " + original.fillna("").astype(str),
            "kept as a cancellation order; no original sale found",
        ),
    )
    adj = kind.eq("adjustment")
    log.add(
        row[adj],
        action="flagged",
        reason="stock_adjustment",
        field="Quantity",
        value=data["qty"][adj].astype(str),
        message="kept as an order of kind adjustment",
    )
    pos = canc & data["qty"].gt(0)
    log.add(
        row[pos],
        action="flagged",
        reason="positive_cancellation",
        field="Quantity",
        value=data["qty"][pos].astype(str),
    )
    for reason, mask in (
        ("zero_price", data["price_f"].eq(0)),
        ("negative_price", data["price_f"].lt(0)),
    ):
        log.add(
            row[mask],
            action="flagged",
            reason=reason,
            field="UnitPrice",
            value=data["price"][mask].astype(str),
        )
    pairs = data[["code", "description"]].drop_duplicates()
    merch = {
        (c, d): classify_product(c, d)[1]
        for c, d in zip(pairs["code"], pairs["description"], strict=True)
    }
    non_product = ~pd.Series(
        [merch[k] for k in zip(data["code"], data["description"], strict=True)],
        index=data.index,
    ).astype(bool)
    log.add(
        row[non_product],
        action="flagged",
        reason="non_product_code",
        field="StockCode",
        value=data["code"][non_product],
    )
    unspecified = data["country"].str.lower().isin(UNSPECIFIED_COUNTRIES)
    log.add(
        row[unspecified],
        action="flagged",
        reason="unspecified_country",
        field="Country",
        value=data["country"][unspecified],
    )


def _descriptions(data: pd.DataFrame, log: IssueLog):
    has = data["description"].ne("")
    counts = (
        data[has]
        .assign(sale=(data["kind"].eq("sale") & data["qty"].gt(0)).astype(int))
        .groupby(["code", "description"], sort=False)
        .agg(n=("row", "size"), sales=("sale", "sum"), first=("row", "min"))
        .reset_index()
        .sort_values(
            ["code", "sales", "n", "first"], ascending=[True, False, False, True]
        )
    )
    canonical = counts.drop_duplicates("code").set_index("code")["description"]
    alts = (
        counts[counts.duplicated("code")]
        .groupby("code", sort=False)["description"]
        .agg(list)
    )
    line_canon = data["code"].map(canonical)
    empty = ~has & line_canon.notna()
    log.add(
        data["row"][empty],
        action="repaired",
        reason="missing_description",
        field="Description",
        message="filled with " + line_canon[empty].astype(str),
    )
    variant = has & line_canon.notna() & data["description"].ne(line_canon)
    log.add(
        data["row"][variant],
        action="repaired",
        reason="description_variant",
        field="Description",
        value=data["description"][variant],
        message="product keeps " + line_canon[variant].astype(str),
    )
    unknown = ~has & line_canon.isna()
    log.add(
        data["row"][unknown],
        action="flagged",
        reason="missing_description",
        field="Description",
        message="no description known for this stock code",
    )
    data["description"] = data["description"].mask(empty, line_canon)
    return canonical, alts


def typical_prices(data: pd.DataFrame, window_days: int) -> pd.DataFrame:
    """List price per code: the median unit price (GBP) of recent sale lines.

    Rule: over sale lines (invoice kind ``sale``, quantity > 0, price > 0) of
    *identified customers*, the median unit price in the ``window_days`` days up to
    the code's last such line (basis ``customer_median_<N>d``). Codes sold only to
    guests use the guest lines the same way (``all_channels_median_<N>d``); codes
    never sold get 0 (``no_sales``). Guest lines are left out first because they
    carry about twice the price of identified lines (a separate retail channel).

    Returns
    -------
    DataFrame indexed by code with columns ``list_price`` (Decimal) and ``basis``.
    """
    sales = data[data["kind"].eq("sale") & data["qty"].gt(0) & data["price_f"].gt(0)]
    out = []
    for basis, subset in (
        (f"customer_median_{window_days}d", sales[sales["customer"].ne("")]),
        (f"all_channels_median_{window_days}d", sales),
    ):
        last = subset.groupby("code")["ts"].transform("max")
        recent = subset[subset["ts"] >= last - pd.Timedelta(days=window_days)]
        med = recent.groupby("code")["price_f"].median()
        out.append(pd.DataFrame({"median": med, "basis": basis}))
    merged = pd.concat(out)
    merged = merged[~merged.index.duplicated(keep="first")]
    merged["list_price"] = [
        Decimal(repr(round(float(v), 3))).quantize(PRICE_QUANTUM)
        for v in merged["median"]
    ]
    return merged[["list_price", "basis"]]


def _products(data: pd.DataFrame, log: IssueLog, window_days: int) -> pd.DataFrame:
    canonical, alts = _descriptions(data, log)
    codes = pd.Index(data["code"].unique(), name="code")
    sold = data[data["kind"].eq("sale") & data["qty"].gt(0)].groupby("code")["ts"]
    prices = typical_prices(data, window_days)
    described = canonical.reindex(codes).fillna("")
    kinds = [classify_product(c, d) for c, d in zip(codes, described, strict=True)]
    products = pd.DataFrame(
        {
            "code": codes,
            "description": canonical.reindex(codes).fillna("").to_numpy(),
            "alt_descriptions": [
                a if isinstance(a, list) else [] for a in alts.reindex(codes)
            ],
            "kind": [k for k, _ in kinds],
            "is_merchandise": [m for _, m in kinds],
            "list_price": prices["list_price"].reindex(codes).to_numpy(),
            "price_basis": prices["basis"].reindex(codes).fillna("no_sales").to_numpy(),
            "first_sold_at": sold.min().reindex(codes).to_numpy(),
            "last_sold_at": sold.max().reindex(codes).to_numpy(),
        }
    )
    products["list_price"] = [
        p if isinstance(p, Decimal) else Decimal("0") for p in products["list_price"]
    ]
    return products


def _customers(data: pd.DataFrame) -> pd.DataFrame:
    known = data[data["customer"].ne("")]
    if known.empty:
        return pd.DataFrame({"external_id": [], "country": []})
    counts = (
        known.groupby(["customer", "country"], sort=False)
        .agg(n=("row", "size"), last=("row", "max"))
        .reset_index()
        .sort_values(["customer", "n", "last"], ascending=[True, False, False])
        .drop_duplicates("customer")
    )
    return pd.DataFrame(
        {"external_id": counts["customer"].to_numpy(), "country": counts["country"]}
    ).reset_index(drop=True)


__all__ = [
    "FileError",
    "RetailData",
    "classify_product",
    "classify_stock_code",
    "parse_retail",
]
