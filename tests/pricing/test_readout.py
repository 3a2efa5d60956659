"""'Did it work': the readout of a price change, served and replayed."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from pricing.algorithms.readout import price_change_readout, readout_summary

START = pd.Timestamp("2011-01-03")  # a Monday


def _history(
    e_true: float, *, market_after: float = 1.0, seed: int = 0, noise: float = 0.02
):
    """20 weeks at 2.00 GBP, then 20 at 2.40: demand 100 (p / 2) ** e_true units/week
    times the market level (which jumps by ``market_after`` at the change)."""
    rng = np.random.default_rng(seed)
    rows, market = [], {}
    for w in range(40):
        week = START + pd.Timedelta(weeks=w)
        level = market_after if w >= 20 else 1.0
        price = 2.4 if w >= 20 else 2.0
        units = 100 * (price / 2.0) ** e_true * level * rng.lognormal(0, noise)
        for d in range(5):
            rows.append((week + pd.Timedelta(days=d), units / 5, price))
        market[week] = 5000 * level
    lines = pd.DataFrame(rows, columns=["placed_at", "quantity", "unit_price"])
    return lines, pd.Series(market)


def test_a_change_that_does_what_was_forecast_is_a_hit():
    lines, market = _history(-2.0)
    r = price_change_readout(
        lines,
        market,
        changed_at=START + pd.Timedelta(weeks=20),
        old_price=2.0,
        new_price=2.4,
        elasticity=-2.0,
        elasticity_ci=(-2.5, -1.5),
        unit_cost=1.2,
        weeks=8,
    )
    assert r.objective == "profit" and r.hit and r.direction_right
    assert r.units_baseline == pytest.approx(100, rel=0.05)
    assert r.units_after == pytest.approx(100 * 1.2**-2, rel=0.05)
    assert r.units_forecast[1] == pytest.approx(r.units_after, rel=0.05)
    lo, mid, hi = r.expected_change
    assert lo <= mid <= hi and r.realised_change == pytest.approx(mid, abs=3.0)
    # profit: before 100 * (2.0 - 1.2) = 80/week, after 69.4 * 1.2 = 83.3/week
    assert r.profit_baseline == pytest.approx(80, rel=0.05)


def test_the_market_ratio_takes_out_the_season():
    lines, market = _history(-2.0, market_after=1.5)
    r = price_change_readout(
        lines,
        market,
        changed_at=START + pd.Timedelta(weeks=20),
        old_price=2.0,
        new_price=2.4,
        elasticity=-2.0,
        elasticity_ci=(-2.5, -1.5),
        unit_cost=None,
        weeks=8,
    )
    assert r.market_ratio == pytest.approx(1.5)
    assert r.units_baseline == pytest.approx(150, rel=0.05) and r.hit
    assert r.objective == "revenue" and r.profit_after is None


def test_a_change_that_did_not_do_what_was_forecast_is_a_miss():
    lines, market = _history(0.0)  # demand did not respond at all
    r = price_change_readout(
        lines,
        market,
        changed_at=START + pd.Timedelta(weeks=20),
        old_price=2.0,
        new_price=2.4,
        elasticity=-3.0,
        elasticity_ci=(-3.5, -2.5),
        unit_cost=1.2,
        weeks=8,
    )
    assert not r.hit and not r.direction_right
    assert r.expected_change[2] < 0 < r.realised_change
    s = readout_summary([r])
    assert s["n"] == 1 and s["hit_rate"] == 0 and s["direction_rate"] == 0
    assert s["realised_total"] == pytest.approx(r.realised_change)


def test_ordinary_weekly_variation_widens_the_band():
    kw = {
        "changed_at": START + pd.Timedelta(weeks=20),
        "old_price": 2.0,
        "new_price": 2.4,
        "elasticity": -2.0,
        "elasticity_ci": (-2.1, -1.9),
        "unit_cost": None,
        "weeks": 8,
    }
    calm = price_change_readout(*_history(-2.0, noise=0.02), **kw)
    wild = price_change_readout(*_history(-2.0, noise=0.5, seed=3), **kw)
    assert 0 < calm.noise_band < wild.noise_band
    # 1.96 x sd of ~200 GBP weekly revenue at 2 % noise x sqrt(2/8): about 2 GBP
    assert calm.noise_band == pytest.approx(1.96 * 200 * 0.02 * 0.5, rel=0.6)


def test_no_sales_before_the_change_is_refused():
    lines, market = _history(-2.0)
    with pytest.raises(ValueError, match="no sales in the 8 weeks before"):
        price_change_readout(
            lines,
            market,
            changed_at=START - pd.Timedelta(weeks=1),
            old_price=2.0,
            new_price=2.4,
            elasticity=-2.0,
            elasticity_ci=(-2.5, -1.5),
            unit_cost=None,
        )


@pytest.mark.django_db
@pytest.mark.slow
def test_applied_prices_are_read_out_and_summarised(priced_shop, settings, client):
    """Apply a price in the past (the suggestion's applied_at moved back 10 weeks)
    and read it out against the weeks of sales that followed."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from pricing.models import PriceReadout, PriceSuggestion
    from pricing.services import (
        prices_weekly_run,
        readouts_measure,
        suggestions_approve,
    )
    from shop.models import OrderLine

    settings.PRICING = {"ENDINGS": [k / 100 for k in range(9, 100, 10)]}
    user = get_user_model().objects.create_user(
        username="analyst", password="pw-12345678", is_staff=True, is_superuser=True
    )
    prices_weekly_run()
    sug = PriceSuggestion.objects.get(product=priced_shop[1], kind="optimise")
    suggestions_approve(suggestion_ids=[sug.pk], by=user, include_uncertain=True)
    last = OrderLine.objects.order_by("-order__placed_at").first().order.placed_at
    PriceSuggestion.objects.filter(pk=sug.pk).update(
        applied_at=last - timedelta(weeks=10)
    )
    out = readouts_measure(weeks=8)
    assert out["measured"] == 1 and out["summary"]["n"] == 1
    r = PriceReadout.objects.get(suggestion=sug)
    assert r.units_after > 0 and r.units_baseline > 0
    assert r.expected_change_low <= r.expected_change <= r.expected_change_high
    band = (r.expected_change_low - r.noise_band, r.expected_change_high + r.noise_band)
    assert r.noise_band > 0 and r.hit == (band[0] <= r.realised_change <= band[1])
    assert readouts_measure(weeks=8).get("measured", 0) == 0  # idempotent
    call_command("measure_price_readouts")
    client.force_login(user)
    page = client.get("/admin/pricing/pricereadout/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "applied price changes read out" in text and "Hit rate" in text
    page = client.get(f"/admin/pricing/pricesuggestion/{sug.pk}/change/")
    assert (
        "realised" in page.content.decode() and "after 8 weeks" in page.content.decode()
    )


@pytest.mark.django_db
@pytest.mark.slow
def test_replay_forecasts_past_changes_from_data_before_them(priced_shop, capsys):
    from django.core.management import call_command

    from pricing.services import price_changes_replay

    out = price_changes_replay(
        cutoffs=[pd.Timestamp("2011-08-01", tz="UTC").to_pydatetime()],
        weeks=4,
        window_weeks=14,
    )
    assert out["overall"]["n"] >= 1, out["skipped"]
    for row in out["rows"]:
        assert row["week"] >= "2011-08-01"  # changes after the cut-off only
        assert row["evidence"] in ("identified", "pooled", "prior")
    call_command(
        "replay_price_changes",
        "--cutoff",
        "2011-08-01",
        "--weeks",
        "6",
        "--window-weeks",
        "20",
    )
    text = capsys.readouterr().out
    assert "ALL" in text and "hit rate" in text


def test_the_market_is_the_products_category_when_it_is_big_enough():
    from pricing.services.readouts import MIN_CATEGORY_PRODUCTS, _History

    weeks = [START + pd.Timedelta(weeks=w) for w in range(4)]
    rows = []
    for pid in range(1, 13):  # 1-6 winter items (units x3 in weeks 2-3), 7-12 flat
        for w, week in enumerate(weeks):
            boost = 3 if pid <= 6 and w >= 2 else 1
            rows.append((pid, week, 10.0 * boost, 2.0))
    rows.append((99, weeks[0], 5.0, 2.0))  # a lone product of a tiny category
    lines = pd.DataFrame(
        rows, columns=["product_id", "placed_at", "quantity", "unit_price"]
    )
    cats = {p: "WINTER" if p <= 6 else "GARDEN" for p in range(1, 13)} | {99: "ODD"}
    assert MIN_CATEGORY_PRODUCTS <= 6
    h = _History(lines, cats)
    winter = h.market_without(1)
    assert list(winter.values) == [50.0, 50.0, 150.0, 150.0]  # its 5 peers, x3
    assert list(h.market_without(7).values) == [50.0, 50.0, 50.0, 50.0]
    shop = h.market_without(99)  # too small a category: the whole shop
    assert list(shop.values) == [120.0, 120.0, 240.0, 240.0]
