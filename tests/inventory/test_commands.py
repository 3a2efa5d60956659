"""Management commands of the inventory app: bad input ends in a clear error."""

import pytest
from django.core.management import CommandError, call_command

from inventory import services
from inventory.models import InventoryPolicy
from shop.models import StockLevel


def _write(tmp_path, text: str, name: str = "stock.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_import_stock_rejects_out_of_range_rows_and_duplicates(history, tmp_path):
    path = _write(
        tmp_path,
        "product,on_hand,lead_time_days\n"
        "10001,10\n"
        "10002,99999999999999999999,7\n"
        "10003,5,366\n"
        "10001,12,3\n"
        "99999999999999999999,1\n"
        "10003,1000000001\n"
        "10003,4,2,extra\n",
    )
    report = services.stock_import(path=path)
    assert report.rows_total == 7 and report.imported == 1
    errors = {(r, f): m for r, f, m in report.errors}
    assert set(errors) == {
        (2, "on_hand"),
        (3, "lead_time_days"),
        (4, "product"),
        (5, "product"),
        (6, "on_hand"),
        (7, "columns"),
    }
    assert "1000000000" in errors[(2, "on_hand")]
    assert "365" in errors[(3, "lead_time_days")]
    assert "row 1" in errors[(4, "product")]
    assert StockLevel.objects.get(product=history["steady"]).on_hand == 10
    assert not StockLevel.objects.filter(product=history["sometimes"]).exists()
    assert not InventoryPolicy.objects.filter(product=history["never"]).exists()


def test_import_stock_reports_a_count_below_the_reserved_units(history, tmp_path):
    StockLevel.objects.create(product=history["never"], on_hand=10, reserved=8)
    path = _write(tmp_path, "product,on_hand,lead_time_days\n10003,5,4\n10001,9,4\n")
    report = services.stock_import(path=path)
    assert report.imported == 1
    assert [(r, f) for r, f, _ in report.errors] == [(1, "on_hand")]
    assert StockLevel.objects.get(product=history["never"]).on_hand == 10
    assert not InventoryPolicy.objects.filter(product=history["never"]).exists()
    assert StockLevel.objects.get(product=history["steady"]).on_hand == 9


def test_import_stock_applies_nothing_when_a_write_fails(
    history, tmp_path, monkeypatch
):
    from shop.services import stock as shop_stock

    real = shop_stock.stock_set

    def failing(*, product, **kw):
        if product.stock_code == "10002":
            raise RuntimeError("disk full")
        return real(product=product, **kw)

    monkeypatch.setattr(shop_stock, "stock_set", failing)
    path = _write(tmp_path, "product,on_hand\n10001,10\n10002,5\n")
    with pytest.raises(RuntimeError):
        services.stock_import(path=path)
    assert not StockLevel.objects.filter(product=history["steady"]).exists()


def test_import_stock_command_reports_rows_and_decode_errors(history, tmp_path, capsys):
    path = _write(tmp_path, "product,on_hand\n10001,10\n10002,99999999999999999999\n")
    call_command("import_stock", str(path))
    out = capsys.readouterr()
    assert "1 of 2 rows imported, 1 rejected" in out.out
    assert "row 2: on_hand:" in out.err
    binary = tmp_path / "latin1.csv"
    binary.write_bytes("product,on_hand\nCAF\xc9,1\n".encode("latin-1"))
    with pytest.raises(CommandError, match=r"latin1\.csv.*UTF-8"):
        call_command("import_stock", str(binary))
    with pytest.raises(CommandError, match="not found"):
        call_command("import_stock", str(tmp_path / "missing.csv"))
    gz = tmp_path / "stock.csv.gz"
    gz.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff")
    with pytest.raises(CommandError, match=r"stock\.csv\.gz is not UTF-8"):
        call_command("import_stock", str(gz))
    assert StockLevel.objects.get(product=history["steady"]).on_hand == 10


@pytest.mark.parametrize("limit", ["0", "-1"])
def test_simulate_inventory_rejects_a_limit_below_one(history, limit):
    with pytest.raises(CommandError, match="--limit"):
        call_command("simulate_inventory", "--limit", limit)
