"""Issue 18.5: the replay puts our policy beside a hand-made min/max rule, and the
result is kept for the admin."""

import numpy as np
import pytest
from django.core.management import call_command

from inventory import services
from inventory.algorithms import policy as pol
from inventory.models import SimulationRun

pytestmark = pytest.mark.django_db


def test_min_max_rule_uses_the_last_four_weeks_peak_and_mean():
    history = np.r_[np.full(50, 100.0), np.full(23, 2.0), 8.0]  # old surge ignored
    low, high = pol.min_max_rule(history, lead_time=10, cover_days=26, window=24)
    assert low == 80.0  # 10 days at the 4 weeks' highest rate, 8
    assert high == pytest.approx(80 + 26 * (23 * 2 + 8) / 24)
    with pytest.raises(ValueError, match="window"):
        pol.min_max_rule(history, lead_time=1, cover_days=1, window=0)


def test_simulation_replays_the_rule_on_the_same_products_and_values_stock(history):
    out = services.inventory_simulate(window_days=42, replan_every=12, record=True)
    summary, base = out["summary"], out["summary"]["baseline"]
    assert base["products"] == summary["products"] == 2
    steady = {r["stock_code"]: r for r in out["products"]}["10001"]
    # unit cost: 60 % of the 2.50 list price (no vendor, no cost price)
    assert steady["unit_cost"] == pytest.approx(1.5)
    assert steady["average_stock_value"] == pytest.approx(steady["average_stock"] * 1.5)
    rule = steady["baseline"]
    assert rule["average_stock_value"] == pytest.approx(rule["average_stock"] * 1.5)
    # on 10 a day the rule holds min (12 trading days x 10) + 26 days x 10 on top:
    # far more stock than our order-up-to level, and it never runs out either
    assert rule["fill_rate"] == pytest.approx(1.0)
    assert rule["average_stock"] > steady["average_stock"]
    c = summary["comparison"]
    assert c["stock_value_ratio"] == pytest.approx(
        summary["average_stock_value"] / base["average_stock_value"]
    )
    assert c["stock_value_at_most_075"] == (c["stock_value_ratio"] <= 0.75)
    run = SimulationRun.objects.get(pk=out["run_id"])
    assert run.n_products == 2 and run.summary["baseline"]["products"] == 2
    assert run.summary["window_end"] == "2011-09-30"


def test_simulate_command_prints_both_policies_and_the_admin_shows_the_run(
    history, capsys, admin_client
):
    call_command("simulate_inventory", "--window-days", "42", "--replan-every", "12")
    out = capsys.readouterr().out
    assert "ours (forecast + empirical SS)" in out and "min/max rule" in out
    assert "x the rule's" in out and "simulation run #" in out
    assert "units lost: ours" in out and "products lose 80 % of them" in out
    run = SimulationRun.objects.get()
    listing = admin_client.get("/admin/inventory/simulationrun/").content.decode()
    assert "fill rate: ours / rule" in listing.lower() or "Fill rate" in listing
    page = admin_client.get(f"/admin/inventory/simulationrun/{run.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200 and "min/max rule" in html
    assert "average stock value (GBP, at unit cost)" in html
    assert "products losing 80 % of those units" in html
    assert html.count("<svg") >= 2 and "Average stock value" in html


def test_a_run_with_numpy_values_is_stored_as_plain_json():
    from datetime import date

    from inventory.services.simulation import _plain

    out = _plain({"ok": np.bool_(True), "x": [np.float64(0.5)], "d": date(2011, 9, 1)})
    assert out == {"ok": True, "x": [0.5], "d": "2011-09-01"}
    assert type(out["ok"]) is bool and type(out["x"][0]) is float


def test_a_what_if_service_level_replaces_the_policy_target(history):
    out = services.inventory_simulate(
        window_days=42, replan_every=12, service_level=0.8
    )
    assert out["summary"]["target_service_level"] == pytest.approx(0.8)
    with pytest.raises(Exception, match="service_level"):
        services.inventory_simulate(window_days=42, service_level=1.0)


def test_the_replay_caps_orders_at_the_policy_days_of_cover(history):
    from inventory.models import InventoryPolicy

    free = services.inventory_simulate(window_days=42, replan_every=12)
    InventoryPolicy.objects.create(scope="shop", max_days_of_cover=2)
    capped = services.inventory_simulate(window_days=42, replan_every=12)
    steady = {r["stock_code"]: r for r in free["products"]}["10001"]
    tight = {r["stock_code"]: r for r in capped["products"]}["10001"]
    # 10 units a day, 7 calendar days per 6 trading days: 2 days of cover hold
    # about 17 units, never a lead time's demand: the replay runs out, as the
    # suggestions under that policy would
    assert tight["average_stock"] < 17.5 < steady["average_stock"]
    assert tight["fill_rate"] < steady["fill_rate"]
    # the hand-made rule has no cap: it is replayed unchanged
    assert tight["baseline"] == steady["baseline"]


def test_the_summary_counts_lost_units_and_how_few_products_lose_most():
    from inventory.services.simulation import _holding, _summary

    rows = [
        {
            "demand": 100.0,
            "lost_units": lost,
            "target_service_level": 0.95,
            "fill_rate": 1 - lost / 100,
            "cycle_service_level": 1.0,
            "average_stock": 5.0,
            "orders": 3,
            "stockout_days": int(lost > 0),
        }
        for lost in (50.0, 30.0, 10.0, 10.0, 0.0)
    ]
    s = _summary(rows)
    assert s["lost_units"] == 100.0 and s["demand_units"] == 500.0
    assert s["fill_rate_overall"] == pytest.approx(0.8)
    # 50 + 30 = 80 % of the lost units: two products
    assert s["products_with_80pct_of_lost"] == 2
    assert _holding([0.0, 0.0], 0.8) == 0 and _holding([5.0], 0.8) == 1
