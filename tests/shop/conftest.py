"""Fixtures of the shop tests: small dirty files written on the fly."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest

HEADER = [
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
]


def write_retail(path: Path, rows, *, encoding="utf-8", header=HEADER, gz=False):
    """Write Online Retail rows (lists of 8 strings) with the given encoding."""
    opener = gzip.open if gz else open
    with opener(path, "wt", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="session")
def slice_rows(online_retail_slice) -> list[list[str]]:
    """The 5,000 data rows of the slice, read with the csv module (independent of
    the importer's pandas code)."""
    with open(online_retail_slice, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        assert next(reader) == HEADER
        return list(reader)


def pytest_configure(config):
    """Sessions and messages need a key; the shell running the tests may not set
    one (the lead may move this to tests/conftest.py)."""
    from django.conf import settings

    if not getattr(settings._wrapped, "SECRET_KEY", "x"):
        settings.SECRET_KEY = "tests-only-not-secret"
