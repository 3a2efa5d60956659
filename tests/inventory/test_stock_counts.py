"""Stock counts: what the product column means (issue 16.4), bad rows, the upload
task, and counts taking effect on the suggestions (issue 18.1, 18.2)."""

import pytest
from django.core.management import call_command

from core.jobs import job_get
from inventory import services, tasks
from inventory.models import Forecast, InventoryPolicy, ReorderSuggestion
from shop.models import Product, StockLevel
from shop.services.stock import stock_set
from tests.factories import make_product

pytestmark = pytest.mark.django_db


def _write(tmp_path, text: str):
    path = tmp_path / "stock.csv"
    path.write_text(text)
    return path


def test_a_number_that_is_no_stock_code_is_ambiguous_not_a_product_id(
    history, tmp_path
):
    film = make_product("1", source="movielens", description="A FILM (1995)")
    film_id = film.pk
    path = _write(
        tmp_path,
        "product,on_hand\n"
        f"{film_id},11\n"  # issue 16.4: was taken as the film's id
        f"id:{film_id},11\n"  # explicit id, but a film is no merchandise
        "1,5\n"  # the film's stock code is not the shop's
        f"id:{history['sometimes'].pk},7\n"  # an explicit id of merchandise
        "id:x1,3\n"
        f"id:{history['post'].pk},2\n"  # postage is not stocked
        "10001,9\n",
    )
    report = services.stock_import(path=path)
    assert report.rows_total == 7 and report.imported == 2
    errors = {row: (field, msg) for row, field, msg in report.errors}
    assert sorted(errors) == [1, 2, 3, 5, 6]
    assert errors[1][0] == "product" and "ambiguous" in errors[1][1]
    assert f"id:{film_id}" in errors[1][1]
    assert "not one of the shop's merchandise" in errors[2][1]
    assert "ambiguous" in errors[3][1]
    assert "expected id:<product id>" in errors[5][1]
    assert "not one of the shop's merchandise" in errors[6][1]
    assert not StockLevel.objects.filter(product=film).exists()
    assert StockLevel.objects.get(product=history["sometimes"]).on_hand == 7
    assert StockLevel.objects.get(product=history["steady"]).on_hand == 9


def test_a_film_sharing_a_stock_code_never_shadows_the_shops_product(history, tmp_path):
    make_product("10001", source="movielens", description="A FILM")
    report = services.stock_import(path=_write(tmp_path, "product,on_hand\n10001,4\n"))
    assert report.imported == 1
    assert StockLevel.objects.get(product=history["steady"]).on_hand == 4
    assert StockLevel.objects.filter(product__source="movielens").count() == 0


def test_stock_upload_bad_rows_are_numbered_and_good_rows_applied(history, tmp_path):
    path = _write(
        tmp_path,
        "product,on_hand\nNOPE,3\n10001,-2\n10002,2.5\n10003,1e3\n10002,8\n10003,4\n",
    )
    report = services.stock_import(path=path)
    assert [(r, f) for r, f, _ in report.errors] == [
        (1, "product"),
        (2, "on_hand"),
        (3, "on_hand"),
        (4, "on_hand"),
    ]
    assert "unknown stock code 'NOPE'" in report.errors[0][2]
    assert "outside 0.." in report.errors[1][2]
    assert "not an integer: '2.5'" in report.errors[2][2]
    assert report.imported == 2
    assert StockLevel.objects.get(product=history["sometimes"]).on_hand == 8


def test_upload_job_runs_the_import_task_and_replans(history, tmp_path, admin_user):
    job = job_get("inventory-import-stock")
    assert job is not None and job.allowed(admin_user)  # the task now exists
    path = _write(tmp_path, "product,on_hand\n10001,2\n10009,1\n")
    out = tasks.import_stock_task.delay(path=str(path)).get()
    assert out["rows_imported"] == 1 and out["rows_rejected"] == 1
    assert out["errors"][0].startswith("row 2: product: unknown stock code '10009'")
    assert StockLevel.objects.get(product=history["steady"]).on_hand == 2


def test_no_suggestion_from_assumed_stock_unless_the_shop_opts_in(history, settings):
    services.stock_assume_initial(days=1)  # low assumed levels
    run = services.forecast_demand()
    assert Forecast.objects.filter(run=run, stock_is_assumed=True).count() == 3
    assert not ReorderSuggestion.objects.exists()
    settings.INVENTORY = {"SUGGEST_FROM_ASSUMED_STOCK": True}
    services.forecast_demand(force=True)
    suggestion = ReorderSuggestion.objects.get(
        product=history["steady"], status="pending"
    )
    assert "(stock level assumed)" in suggestion.reason


def test_a_new_count_takes_effect_at_the_next_forecast_demand(
    history, tmp_path, capsys
):
    services.stock_assume_initial(days=1)
    call_command("forecast_demand")
    assert not ReorderSuggestion.objects.exists()
    # a count arrives: steady has 3 units, sometimes plenty
    stock_set(product=history["steady"], on_hand=3, is_assumed=False, reason="count")
    stock_set(
        product=history["sometimes"], on_hand=5000, is_assumed=False, reason="count"
    )
    call_command("forecast_demand")
    out = capsys.readouterr().out
    assert "2 products re-planned" in out and "1 reorder suggestions" in out
    forecast = Forecast.objects.get(product=history["steady"])
    assert forecast.available == 3 and not forecast.stock_is_assumed
    assert forecast.days_of_cover == pytest.approx(3 / forecast.mean_daily)
    suggestion = ReorderSuggestion.objects.get(status="pending")
    assert suggestion.product == history["steady"] and suggestion.forecast == forecast
    # stock arrives by other means: the pending suggestion is superseded
    stock_set(product=history["steady"], on_hand=5000, is_assumed=False, reason="count")
    assert services.forecast_replan()["products"] == 1
    assert not ReorderSuggestion.objects.filter(status="pending").exists()


def test_order_quantity_is_capped_by_days_of_cover_and_rounded(history):
    # steady sells ~8.6 units per calendar day; a 7-day cap and packs of 12
    InventoryPolicy.objects.create(
        scope="shop", pack_size=12, max_days_of_cover=7, lead_time_days=14
    )
    stock_set(product=history["steady"], on_hand=0, is_assumed=False, reason="count")
    run = services.forecast_demand()
    forecast = run.forecasts.get(product=history["steady"])
    suggestion = ReorderSuggestion.objects.get(product=history["steady"])
    cap = 7 * forecast.mean_daily
    assert forecast.order_up_to > cap  # S alone would buy more than 7 days
    assert suggestion.quantity % 12 == 0
    assert cap <= suggestion.quantity < cap + 12
    assert "capped at 7 days of cover" in suggestion.reason
    assert "rounded up to whole packs of 12" in suggestion.reason


def test_product_pk_lookup_is_not_used_for_codes(history, tmp_path):
    # a merchandise product whose id equals another product's code is not confused
    other = Product.objects.get(pk=history["never"].pk)
    path = _write(tmp_path, f"product,on_hand\nid:{other.pk},6\n")
    assert services.stock_import(path=path).imported == 1
    assert StockLevel.objects.get(product=other).on_hand == 6


def test_pending_suggestions_from_assumed_stock_are_withdrawn_on_upgrade(
    history, settings
):
    # made under the old rule (opted in), then the shop runs with the default
    settings.INVENTORY = {"SUGGEST_FROM_ASSUMED_STOCK": True}
    services.stock_assume_initial(days=1)
    services.forecast_demand()
    assert ReorderSuggestion.objects.filter(status="pending").exists()
    settings.INVENTORY = {}
    assert services.forecast_demand() is None  # demand unchanged
    out = services.forecast_replan()
    assert out["products"] >= 1 and out["suggestions"] == 0
    assert not ReorderSuggestion.objects.filter(status="pending").exists()
