"""Demand history, forecasting runs, stock and purchasing on the database."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model

from core.exceptions import Conflict, InvalidInput, InvalidTransition
from inventory import selectors, services
from inventory.models import (
    Forecast,
    ForecastRun,
    InventoryPolicy,
    ModelChoice,
    PurchaseOrder,
    ReorderSuggestion,
)
from shop.models import StockLevel, StockMovement
from shop.services.stock import stock_set

pytestmark = pytest.mark.django_db


def test_demand_daily_nets_cancellations_zero_fills_and_skips_non_demand(history):
    steady, never = history["steady"], history["never"]
    frame = selectors.demand_daily(product_ids=[steady.pk, never.pk])
    assert frame.index[0].date() == date(2011, 6, 1)
    assert frame.index[-1].date() == date(2011, 9, 30)
    assert frame.loc["2011-06-04", steady.pk] == 0  # a Saturday: zero, not missing
    assert frame.loc["2011-09-30", steady.pk] == 6  # 10 sold - 4 cancelled
    assert frame.loc["2011-09-29", steady.pk] == 10  # the write-off is not demand
    assert frame[never.pk].sum() == 0
    assert history["post"].pk not in selectors.demand_daily().columns
    weekly = selectors.demand_weekly(product_ids=[steady.pk])
    assert weekly[steady.pk].iloc[1] == 60  # a full Mon..Sun week: 6 trading days
    totals = selectors.demand_totals(by_country=True)
    assert list(totals.columns) == ["United Kingdom"]


def test_forecast_demand_end_to_end_and_idempotent(history):
    assert services.stock_assume_initial() == 3
    level = StockLevel.objects.get(product=history["steady"])
    assert level.is_assumed and "30 days of mean daily demand" in level.assumption
    run = services.forecast_demand()
    assert run.status == ForecastRun.Status.SUCCEEDED and run.n_products == 3
    steady = Forecast.objects.get(run=run, product=history["steady"])
    assert steady.demand_class == "smooth"
    # 10 a trading day = 60 a week of 7 calendar days (Saturday closed)
    assert steady.mean_daily == pytest.approx(60 / 7, rel=0.05)
    points = list(steady.points.order_by("day"))
    assert len(points) == 28
    saturdays = [p for p in points if p.day.weekday() == 5]
    assert saturdays and all(p.mean == 0 and not p.is_trading_day for p in saturdays)
    assert all(p.lo_95 <= p.mean <= p.hi_95 for p in points)
    never = Forecast.objects.get(run=run, product=history["never"])
    assert never.model_name == "zero" and "no sales" in never.reason
    assert ModelChoice.objects.filter(product=history["steady"]).exists()
    # same data: nothing to do; no second assumed stock either
    assert services.forecast_demand() is None
    assert services.stock_assume_initial() == 0


def test_chunk_resumes_without_redoing_finished_products(history):
    run = services.forecast_run_start(mode="select")
    ids = [history["steady"].pk, history["sometimes"].pk]
    first = services.forecast_products(run_id=run.pk, product_ids=ids[:1])
    assert first["forecast"] == 1
    again = services.forecast_products(run_id=run.pk, product_ids=ids)
    assert again == {**again, "forecast": 1, "skipped": 1}
    # an unfinished run is resumed, not duplicated
    assert services.forecast_run_start(mode="select").pk == run.pk


def test_low_stock_creates_a_suggestion_rounded_to_packs(history):
    InventoryPolicy.objects.create(scope="shop", pack_size=12, lead_time_days=14)
    stock_set(
        product=history["steady"], on_hand=5, is_assumed=False, reason="stock_count"
    )
    run = services.forecast_demand()
    suggestion = ReorderSuggestion.objects.get(product=history["steady"])
    assert suggestion.status == "pending" and suggestion.quantity % 12 == 0
    assert (
        suggestion.quantity
        >= run.forecasts.get(product=history["steady"]).order_up_to - 5
    )
    assert suggestion.order_by == date(2011, 10, 1)
    risky = list(selectors.products_at_risk())
    assert history["steady"] in [f.product for f in risky]
    # ranked by expected lost sales value over the lead time (issue 18.4)
    lost = [f.expected_lost_sales for f in risky]
    assert lost == sorted(lost, reverse=True) and lost[0] > 0


def test_policy_resolution_product_over_category_over_shop(history):
    from shop.models import Category

    cat = Category.objects.create(name="Mugs")
    steady = history["steady"]
    steady.category = cat
    steady.save()
    InventoryPolicy.objects.create(scope="shop", lead_time_days=20, pack_size=6)
    InventoryPolicy.objects.create(scope="category", category=cat, lead_time_days=10)
    InventoryPolicy.objects.create(scope="product", product=steady, service_level=0.99)
    params = selectors.policy_for_product(product=steady)
    assert (params.lead_time_days, params.pack_size, params.service_level) == (
        10,
        6,
        0.99,
    )
    assert params.sources["review_period_days"] == "default"


def _po_with_suggestion(history, user):
    suggestion = ReorderSuggestion.objects.create(
        product=history["steady"],
        quantity=48,
        order_by=date(2011, 10, 1),
        expected_arrival=date(2011, 10, 15),
        reason="test",
    )
    return services.suggestions_approve(suggestions=[suggestion], by=user), suggestion


def test_purchase_order_approve_and_receive_raise_stock(history):
    user = get_user_model().objects.create_user("planner", password="pw-12345678")
    stock_set(
        product=history["steady"],
        on_hand=7,
        is_assumed=True,
        assumption="test",
        reason="test",
    )
    po, suggestion = _po_with_suggestion(history, user)
    suggestion.refresh_from_db()
    assert suggestion.status == "approved" and suggestion.decided_by == user
    assert po.status == "draft" and po.lines.get().quantity == 48
    with pytest.raises(InvalidTransition):
        services.purchase_order_receive(purchase_order=po, by=user)
    po = services.purchase_order_approve(purchase_order=po, by=user)
    assert po.approved_by == user and po.expected_at == date(2011, 10, 15)
    po = services.purchase_order_receive(purchase_order=po, by=user)
    level = StockLevel.objects.get(product=history["steady"])
    assert level.on_hand == 55
    assert po.received_by == user and po.received_at is not None
    move = StockMovement.objects.filter(reference=po.number).get()
    assert move.delta_on_hand == 48 and move.changed_by == user
    with pytest.raises(InvalidTransition):
        services.purchase_order_receive(purchase_order=po, by=user)
    with pytest.raises(Conflict):
        services.suggestions_approve(suggestions=[suggestion], by=user)


def test_reject_suggestions_records_who(history):
    user = get_user_model().objects.create_user("planner2", password="pw-12345678")
    s = ReorderSuggestion.objects.create(
        product=history["steady"],
        quantity=1,
        order_by=date(2011, 10, 1),
        expected_arrival=date(2011, 10, 2),
        reason="x",
    )
    assert services.suggestions_reject(suggestions=[s], by=user, reason="no") == 1
    s.refresh_from_db()
    assert s.status == "rejected" and s.decided_by == user


def test_import_stock_reports_bad_rows_and_applies_good_ones(history, tmp_path):
    path = tmp_path / "stock.csv"
    path.write_text(
        "product,on_hand,lead_time_days\n"
        "10001,120,10\n"
        "NOPE,5,3\n"
        "10002,-3,3\n"
        "10002,7,soon\n"
        "10003,0,\n"
    )
    report = services.stock_import(path=path)
    assert report.imported == 2 and report.rows_total == 5
    assert [(r, f) for r, f, _ in report.errors] == [
        (2, "product"),
        (3, "on_hand"),
        (4, "lead_time_days"),
    ]
    level = StockLevel.objects.get(product=history["steady"])
    assert level.on_hand == 120 and not level.is_assumed
    assert InventoryPolicy.objects.get(product=history["steady"]).lead_time_days == 10
    assert not StockLevel.objects.filter(product=history["sometimes"]).exists()
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,qty\n1,2\n")
    with pytest.raises(InvalidInput, match="on_hand"):
        services.stock_import(path=bad)


def test_simulation_on_steady_demand_meets_the_target(history):
    out = services.inventory_simulate(window_days=42, replan_every=12)
    by_code = {r["stock_code"]: r for r in out["products"]}
    steady = by_code["10001"]
    assert steady["fill_rate"] > 0.97 and steady["orders"] > 0
    assert out["summary"]["products"] == 2


def test_simulation_plans_in_trading_days_and_checks_its_input(history):
    # default: re-plan every review period; 14/7 calendar days -> 12/6 trading days
    out = services.inventory_simulate(window_days=42, error_scale="level")
    steady = {r["stock_code"]: r for r in out["products"]}["10001"]
    assert (steady["lead_time"], steady["review_period"]) == (12, 6)
    assert steady["fill_rate"] > 0.97
    with pytest.raises(InvalidInput, match="error_scale"):
        services.inventory_simulate(window_days=42, error_scale="units")


def test_simulation_window_can_end_earlier_and_ranks_without_look_ahead(history):
    out = services.inventory_simulate(window_days=28, end=date(2011, 8, 31), limit=1)
    summary = out["summary"]
    assert summary["window_end"] == date(2011, 8, 31)
    assert summary["window_start"] == date(2011, 8, 4)
    assert summary["trading_days"] == 24 and summary["rank_by"] == "history"
    # the top product by demand before the window is the steady one
    assert [r["stock_code"] for r in out["products"]] == ["10001"]
    assert out["products"][0]["days"] == 24
    off = services.inventory_simulate(
        window_days=28, end=date(2011, 8, 31), recent_days=0
    )
    assert {r["stock_code"] for r in off["products"]} == {"10001", "10002"}
    window = services.inventory_simulate(window_days=28, rank_by="window", limit=1)
    assert window["summary"]["rank_by"] == "window"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"end": date(2011, 10, 5)}, "end"),  # after the history
        ({"end": date(2011, 7, 20)}, "end"),  # too little history before the window
        ({"rank_by": "future"}, "rank_by"),
        ({"recent_days": -1}, "recent_days"),
        ({"window_days": 3}, "window_days"),
        ({"limit": 0}, "limit"),
        ({"replan_every": 0}, "replan_every"),
    ],
)
def test_simulation_rejects_bad_input_naming_the_parameter(history, kwargs, field):
    with pytest.raises(InvalidInput) as err:
        services.inventory_simulate(**{"window_days": 28, **kwargs})
    assert err.value.field == field


def test_availability_api(history, api_client):
    steady = history["steady"]
    url = f"/api/v1/products/{steady.pk}/availability"
    body = api_client.get(url).json()
    assert body["available"] == 0 and body["in_stock"] is False
    stock_set(
        product=steady, on_hand=9, is_assumed=True, assumption="rule", reason="test"
    )
    body = api_client.get(url).json()
    assert body == {
        **body,
        "available": 9,
        "in_stock": True,
        "is_assumed": True,
        "assumption": "rule",
        "expected_restock_date": None,
    }
    user = get_user_model().objects.create_user("p3", password="pw-12345678")
    po, _ = _po_with_suggestion(history, user)
    services.purchase_order_approve(purchase_order=po, by=user)
    body = api_client.get(url).json()
    assert body["expected_restock_date"] == "2011-10-15"
    assert body["restock_source"] == "purchase_order"
    missing = api_client.get("/api/v1/products/999999/availability")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert PurchaseOrder.objects.count() == 1


def test_christmas_closure_gets_zero_forecast_not_zero_history(db):
    from datetime import datetime, timedelta

    from django.utils import timezone

    from tests.factories import make_customer, make_order, make_product

    customer, mug = make_customer(), make_product("20001")
    day = datetime(2011, 9, 1, 10)
    while day <= datetime(2011, 12, 20, 10):
        if day.weekday() != 5:
            make_order(customer, [(mug, 5, "1.00")], placed_at=timezone.make_aware(day))
        day += timedelta(days=1)
    run = services.forecast_demand()
    points = {p.day: p for p in Forecast.objects.get(run=run).points.all()}
    assert points[date(2011, 12, 23)].mean == pytest.approx(5.0)
    closed = [points[date(2011, 12, 24) + timedelta(days=i)] for i in range(11)]
    assert all(p.mean == 0 and p.hi_95 == 0 and not p.is_trading_day for p in closed)
    assert points[date(2011, 12, 21)].mean == pytest.approx(5.0)
