"""Estimation, suggestions, review workflow, price history, API and admin."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from core.exceptions import Conflict, InvalidInput
from core.models import ModelArtifact
from pricing.models import ElasticityEstimate, PriceSuggestion
from pricing.services import (
    elasticities_estimate,
    prices_suggest,
    prices_weekly_run,
    suggestions_approve,
    suggestions_edit,
    suggestions_reject,
)
from shop.models import PriceChange, Product, StockLevel

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def reviewer():
    return get_user_model().objects.create_user(
        username="analyst", password="pw-12345678", is_staff=True, is_superuser=True
    )


@pytest.fixture
def suggested(priced_shop, settings):
    # A fine ladder (.09, .19, ... .99) so that every product has room to move.
    settings.PRICING = {"ENDINGS": [k / 100 for k in range(9, 100, 10)]}
    out = prices_weekly_run()
    assert out["suggestions"].get("created", 0) >= 1, out
    return priced_shop


def _price_api(client, product):
    resp = client.get(f"/api/v1/products/{product.pk}/price")
    assert resp.status_code == 200, resp.content
    return Decimal(resp.json()["price"])


def test_estimates_identify_price_changers_and_say_why_not_others(priced_shop):
    artifact = elasticities_estimate()
    assert artifact.status == ModelArtifact.Status.ACTIVE
    est = {e.product_id: e for e in ElasticityEstimate.objects.filter(is_current=True)}
    e1, e2 = est[priced_shop[1].pk], est[priced_shop[2].pk]
    assert e1.status in ("identified", "pooled") and e1.ci_low <= -2.0 <= e1.ci_high
    assert e2.elasticity is not None and abs(e2.elasticity + 1.2) < 0.6
    e3 = est[priced_shop[3].pk]
    # Its price never moved: it gets the pooled prior (shop-wide here: the candle
    # category has too few products), flagged, with an interval about as wide as the
    # spread between products, and a demand anchor at its one price.
    prior = artifact.metrics["priors"]["shop-wide"]
    assert e3.status == "prior" and e3.pooled and e3.raw_elasticity is None
    assert e3.elasticity == pytest.approx(prior["mu"])
    assert e3.ci_low < prior["mu"] < e3.ci_high
    assert "category prior of shop-wide" in e3.message and "one list price" in (
        e3.message
    )
    assert e3.anchor_price == e3.last_price and 30 < e3.anchor_units < 50
    assert e1.category == "MUG & CUP" and e1.points
    assert artifact.metrics["by_status"]["prior"] >= 1
    assert artifact.metrics["priors_given"] >= 1
    assert artifact.metrics["excluded_nonpositive_price_lines"] == 0
    # Same data and parameters: the run is not redone.
    assert elasticities_estimate().pk == artifact.pk
    assert ElasticityEstimate.objects.count() == len(est)


def test_no_price_move_on_a_prior_unless_the_shop_allows_it(priced_shop, settings):
    settings.PRICING = {"ENDINGS": [k / 100 for k in range(9, 100, 10)]}
    flat = priced_shop[3]
    counts = prices_weekly_run()["suggestions"]
    assert counts["held_prior_only"] >= 1  # product 3 and the flat fillers
    assert not PriceSuggestion.objects.filter(product=flat, kind="optimise").exists()
    settings.PRICING = {**settings.PRICING, "MOVE_ON_PRIORS": True}
    counts = prices_weekly_run()["suggestions"]
    assert "held_prior_only" not in counts
    sug = PriceSuggestion.objects.get(product=flat, kind="optimise")
    assert "category's prior" in sug.rationale
    assert sug.estimate.status == "prior"


def test_free_lines_are_left_out_and_counted(priced_shop):
    from shop.models import OrderLine

    product = priced_shop[1]
    line = OrderLine.objects.filter(product=product).order_by("pk").first()
    before = elasticities_estimate()
    e_before = ElasticityEstimate.objects.get(product=product, is_current=True)
    week = [
        OrderLine(
            order=line.order,
            product=product,
            line_no=900 + i,
            quantity=500,
            unit_price=Decimal("0"),
        )
        for i in range(3)
    ]
    OrderLine.objects.bulk_create(week)
    after = elasticities_estimate()
    assert after.pk != before.pk  # the data changed: re-estimated
    assert after.metrics["excluded_nonpositive_price_lines"] == 3
    assert after.metrics["products_with_excluded_lines"] == 1
    e_after = ElasticityEstimate.objects.get(product=product, is_current=True)
    assert e_after.n_free_lines == 3
    # 1,500 free units in one week change neither the demand nor the list price.
    assert e_after.elasticity == pytest.approx(e_before.elasticity, abs=1e-9)
    assert e_after.anchor_price == pytest.approx(e_before.anchor_price)


def test_nothing_is_applied_before_approval(suggested, api_client):
    product = suggested[1]
    sug = PriceSuggestion.objects.get(product=product, kind="optimise")
    assert sug.status == "proposed" and sug.suggested_price != product.list_price
    assert sug.rationale and sug.model_version.startswith("pricing.elasticity:v")
    assert sug.units_change_low <= sug.units_change <= sug.units_change_high
    product.refresh_from_db()
    assert product.list_price == sug.current_price
    assert not PriceChange.objects.filter(product=product).exists()
    assert _price_api(api_client, product) == sug.current_price  # nothing leaks
    # A second weekly run keeps the open suggestion (idempotent).
    again = prices_suggest()
    assert again.get("created", 0) == 0
    assert (
        PriceSuggestion.objects.filter(product=product, status="proposed").count() == 1
    )


def test_approval_applies_and_records_history(suggested, reviewer, api_client):
    product = suggested[1]
    sug = PriceSuggestion.objects.get(product=product, kind="optimise")
    old = product.list_price
    suggestions_approve(suggestion_ids=[sug.pk], by=reviewer, include_uncertain=True)
    sug.refresh_from_db()
    product.refresh_from_db()
    assert sug.status == "applied" and sug.reviewed_by == reviewer
    assert product.list_price == sug.suggested_price
    change = PriceChange.objects.get(product=product)
    assert (change.old_price, change.new_price) == (old, sug.suggested_price)
    assert change.changed_by == reviewer and change.origin == "suggestion"
    assert change.suggestion_ref == f"pricing:{sug.pk}" and sug.price_change == change
    assert _price_api(api_client, product) == sug.suggested_price
    with pytest.raises(Conflict, match="applied"):
        suggestions_approve(suggestion_ids=[sug.pk], by=reviewer)


def test_edit_and_reject(suggested, reviewer):
    s1 = PriceSuggestion.objects.get(product=suggested[1], kind="optimise")
    with pytest.raises(InvalidInput, match="minimum margin"):
        suggestions_edit(prices={s1.pk: "0.05"}, by=reviewer)
    with pytest.raises(InvalidInput, match="not a number"):
        suggestions_edit(prices={s1.pk: "abc"}, by=reviewer)
    s1.refresh_from_db()
    assert s1.status == "proposed"  # a refused edit changes nothing
    new = (s1.current_price + Decimal("0.10")).quantize(Decimal("0.01"))
    suggestions_edit(prices={s1.pk: new}, by=reviewer)
    s1.refresh_from_db()
    assert s1.status == "applied" and s1.edited_price == new
    assert Product.objects.get(pk=suggested[1].pk).list_price == new
    s2 = PriceSuggestion.objects.filter(product=suggested[2], kind="optimise").first()
    if s2 is not None:
        before = suggested[2].list_price
        suggestions_reject(suggestion_ids=[s2.pk], by=reviewer, note="not now")
        s2.refresh_from_db()
        assert s2.status == "rejected"
        assert Product.objects.get(pk=suggested[2].pk).list_price == before
        with pytest.raises(Conflict):
            suggestions_approve(suggestion_ids=[s2.pk], by=reviewer)


def test_a_price_changed_since_the_suggestion_is_a_conflict(suggested, reviewer):
    from shop.services.catalog import product_set_price

    sug = PriceSuggestion.objects.get(product=suggested[1], kind="optimise")
    product_set_price(
        product=suggested[1], new_price=Decimal("9.99"), by=reviewer, origin="manual"
    )
    with pytest.raises(Conflict, match="changed") as err:
        suggestions_approve(
            suggestion_ids=[sug.pk], by=reviewer, include_uncertain=True
        )
    assert Product.objects.get(pk=suggested[1].pk).list_price == Decimal("9.99")
    # staff read the stock code and money in GBP, not an internal id (V2 14.6)
    assert suggested[1].stock_code in err.value.message
    assert f"product {suggested[1].pk}" not in err.value.message
    assert "to £9.99 since" in err.value.message


def test_price_api_unknown_product_is_404(db, api_client):
    resp = api_client.get("/api/v1/products/999999/price")
    assert resp.status_code == 404 and resp.json()["error"] == "not_found"


def test_admin_review_pages_show_charts_and_bulk_approve(suggested, reviewer, client):
    client.force_login(reviewer)
    sug = PriceSuggestion.objects.get(product=suggested[1], kind="optimise")
    resp = client.get("/admin/pricing/pricesuggestion/")
    assert resp.status_code == 200
    page = client.get(f"/admin/pricing/pricesuggestion/{sug.pk}/change/")
    assert page.status_code == 200 and b"Demand: elasticity" in page.content
    assert b"Expected weekly profit vs price" in page.content
    est = sug.estimate
    page = client.get("/admin/pricing/elasticityestimate/")
    assert page.status_code == 200 and b"Own-data elasticities" in page.content
    page = client.get(f"/admin/pricing/elasticityestimate/{est.pk}/change/")
    assert page.status_code == 200 and b"Demand: elasticity" in page.content
    action = "decide_approve_uncertain" if sug.uncertain else "decide_approve"
    resp = client.post(
        "/admin/pricing/pricesuggestion/",
        {"action": action, "_selected_action": [sug.pk], "effective_date": ""},
    )
    assert resp.status_code == 302
    sug.refresh_from_db()
    assert sug.status == "applied" and sug.reviewed_by == reviewer


def _two_open(suggested):
    """Two proposed suggestions of products 1 and 2 (the sure-footed price changers),
    the second flagged uncertain."""
    s1 = PriceSuggestion.objects.get(product=suggested[1], kind="optimise")
    s2 = PriceSuggestion.objects.get(product=suggested[2], kind="optimise")
    PriceSuggestion.objects.filter(pk=s1.pk).update(uncertain=False)
    PriceSuggestion.objects.filter(pk=s2.pk).update(uncertain=True)
    return s1, s2


def test_uncertain_flag_is_the_interval_crossing_zero(suggested):
    from pricing.services.suggestions import crosses_zero

    rows = list(PriceSuggestion.objects.filter(status="proposed"))
    assert rows
    for s in rows:
        low, mid, high = s.objective_interval
        assert low <= mid <= high
        assert s.uncertain == (low < 0 < high) == crosses_zero((low, mid, high))
    assert crosses_zero((-1.0, 2.0, 3.0)) and not crosses_zero((0.5, 2.0, 3.0))


def test_bulk_approval_leaves_out_uncertain_unless_asked(suggested, reviewer):
    s1, s2 = _two_open(suggested)
    done = suggestions_approve(suggestion_ids=[s1.pk, s2.pk], by=reviewer)
    assert [r.pk for r in done.rows] == [s1.pk] and done.skipped == {
        "uncertain": [s2.pk]
    }
    assert "1 left out (uncertain: 1)" in done.summary()
    s2.refresh_from_db()
    assert s2.status == "proposed"
    assert Product.objects.get(pk=s2.product_id).list_price == s2.current_price
    done = suggestions_approve(
        suggestion_ids=[s2.pk], by=reviewer, include_uncertain=True
    )
    s2.refresh_from_db()
    assert s2.status == "applied" and not done.skipped


def test_approved_price_takes_effect_on_its_date_and_rolls_back(suggested, reviewer):
    from datetime import timedelta

    from django.utils import timezone

    from pricing.services import suggestions_apply_due, suggestions_roll_back

    s1, _ = _two_open(suggested)
    product, old = s1.product, s1.current_price
    with pytest.raises(InvalidInput, match="in the past"):
        suggestions_approve(
            suggestion_ids=[s1.pk],
            by=reviewer,
            effective_from=timezone.now() - timedelta(days=3),
        )
    when = timezone.now() + timedelta(days=2)
    suggestions_approve(suggestion_ids=[s1.pk], by=reviewer, effective_from=when)
    s1.refresh_from_db()
    product.refresh_from_db()
    assert s1.status == "scheduled" and s1.effective_from == when
    assert (
        product.list_price == old
        and not PriceChange.objects.filter(product=product).exists()
    )
    assert suggestions_apply_due(now=when - timedelta(hours=1)) == {
        "applied": 0,
        "superseded": 0,
    }
    assert suggestions_apply_due(now=when + timedelta(hours=1))["applied"] == 1
    s1.refresh_from_db()
    product.refresh_from_db()
    assert s1.status == "applied" and product.list_price == s1.suggested_price
    assert s1.reviewed_by == reviewer and s1.price_change.changed_by == reviewer
    # Roll back: the previous price returns, and the history says so.
    suggestions_roll_back(suggestion_ids=[s1.pk], by=reviewer, note="sales fell")
    s1.refresh_from_db()
    product.refresh_from_db()
    assert s1.status == "rolled_back" and product.list_price == old
    back = s1.rollback_change
    assert (back.old_price, back.new_price) == (s1.suggested_price, old)
    assert back.suggestion_ref == f"pricing:{s1.pk}" and "sales fell" in back.reason
    with pytest.raises(Conflict, match="rolled_back"):
        suggestions_roll_back(suggestion_ids=[s1.pk], by=reviewer)


def test_roll_back_refuses_to_overwrite_a_later_change(suggested, reviewer):
    from pricing.services import suggestions_roll_back
    from shop.services.catalog import product_set_price

    s1, _ = _two_open(suggested)
    suggestions_approve(suggestion_ids=[s1.pk], by=reviewer)
    product_set_price(
        product=s1.product, new_price=Decimal("7.77"), by=reviewer, origin="manual"
    )
    with pytest.raises(Conflict, match="changed again"):
        suggestions_roll_back(suggestion_ids=[s1.pk], by=reviewer)
    assert Product.objects.get(pk=s1.product_id).list_price == Decimal("7.77")


def test_a_scheduled_price_is_superseded_when_the_price_moved_meanwhile(
    suggested, reviewer
):
    from datetime import timedelta

    from django.utils import timezone

    from pricing.services import suggestions_apply_due
    from shop.services.catalog import product_set_price

    s1, _ = _two_open(suggested)
    when = timezone.now() + timedelta(days=1)
    suggestions_approve(suggestion_ids=[s1.pk], by=reviewer, effective_from=when)
    product_set_price(
        product=s1.product, new_price=Decimal("7.77"), by=reviewer, origin="manual"
    )
    assert suggestions_apply_due(now=when)["superseded"] == 1
    s1.refresh_from_db()
    assert s1.status == "superseded" and "7.77" in s1.review_note
    assert Product.objects.get(pk=s1.product_id).list_price == Decimal("7.77")


def test_conflicting_rules_are_named_on_the_suggestion(priced_shop, reviewer):
    from pricing.models import PricingRule

    rule = PricingRule.objects.create(
        scope="category", category="MUG & CUP", min_margin=0.9
    )
    counts = prices_weekly_run()["suggestions"]
    assert counts["rule_conflict"] >= 1
    sug = PriceSuggestion.objects.get(product=priced_shop[1], kind="optimise")
    assert sug.status == "proposed" and sug.suggested_price == sug.current_price
    assert f"min_margin 90% (category rule 'MUG & CUP' #{rule.pk})" in (
        sug.rule_conflict
    )
    assert "max_change 10% (default)" in sug.rule_conflict
    assert "assumed margin 40%, default" in sug.rule_conflict  # the unit cost
    assert "rules conflict" in sug.rationale and not sug.uncertain
    done = suggestions_approve(
        suggestion_ids=[sug.pk], by=reviewer, include_uncertain=True
    )
    assert not done.rows and done.skipped == {"rule_conflict": [sug.pk]}


def test_queue_sorted_by_profit_and_rules_page_shows_defaults(
    suggested, reviewer, client
):
    client.force_login(reviewer)
    resp = client.get("/admin/pricing/pricesuggestion/?status__exact=proposed")
    assert resp.status_code == 200
    shown = [s.pk for s in resp.context["cl"].result_list]
    gains = [PriceSuggestion.objects.get(pk=pk).profit_change for pk in shown]
    assert gains == sorted(gains, reverse=True) and len(shown) >= 2
    summary = resp.context["queue_summary"]
    assert summary["open"] == len(shown)
    assert b"left out of bulk approval" in resp.content
    sug = PriceSuggestion.objects.get(pk=shown[0])
    assert "assumed margin 40%, default" in sug.cost_source
    page = client.get("/admin/pricing/pricingrule/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "margin assumed when a product has no cost" in text and "40 %" in text
    assert "default (settings PRICING)" in text
    assert "Write these defaults into an editable shop-wide rule" in text
    add = client.get(page.context["defaults_add_url"])
    assert add.status_code == 200
    assert add.context["adminform"].form.initial["assumed_margin"] == "0.4"


def test_overstock_gets_a_markdown_and_selling_out_is_not_discounted(
    priced_shop, settings
):
    settings.PRICING = {"ENDINGS": [k / 100 for k in range(9, 100, 10)]}
    over, scarce = priced_shop[3], priced_shop[1]
    StockLevel.objects.create(product=over, on_hand=100000)
    StockLevel.objects.create(product=scarce, on_hand=1)
    counts = prices_weekly_run()
    assert counts["suggestions"].get("markdown_created") == 1
    md = PriceSuggestion.objects.get(product=over, kind="markdown")
    assert md.suggested_price < md.current_price and "Overstock" in md.rationale
    assert not PriceSuggestion.objects.filter(product=scarce, kind="markdown").exists()
    opt = PriceSuggestion.objects.filter(product=scarce, kind="optimise").first()
    assert opt is None or opt.suggested_price >= opt.current_price


def test_overstock_without_any_price_is_skipped_not_a_crash(priced_shop, monkeypatch):
    over = priced_shop[3]
    StockLevel.objects.create(product=over, on_hand=100000)
    monkeypatch.setattr(
        "pricing.services.suggestions._current_price", lambda product, est: None
    )
    counts = prices_weekly_run()
    assert counts["suggestions"].get("markdown_skipped_no_price", 0) >= 1
    assert not PriceSuggestion.objects.filter(product=over, kind="markdown").exists()


def test_assumed_stock_is_no_evidence_for_a_markdown(priced_shop):
    over = priced_shop[3]
    StockLevel.objects.create(product=over, on_hand=100000, is_assumed=True)
    counts = prices_weekly_run()
    assert counts["suggestions"].get("markdown_skipped_assumed_stock") == 1
    assert not PriceSuggestion.objects.filter(product=over, kind="markdown").exists()


def test_command_and_no_data_error(db, capsys):
    with pytest.raises(Exception, match="no sales lines"):
        call_command("suggest_prices")


def test_command_runs_on_the_shop(priced_shop, capsys):
    call_command("estimate_elasticities")
    assert "pricing.elasticity:v1" in capsys.readouterr().out
    call_command("suggest_prices")
    out = capsys.readouterr().out
    assert "model pricing.elasticity:v1" in out  # the same data: not re-estimated
    assert "with an elasticity" in out and "suggestions:" in out


def test_weekly_task_records_a_run(priced_shop):
    from core.models import TaskRun
    from pricing.tasks import suggest_prices

    out = suggest_prices.apply().get()
    assert out["model_version"].startswith("pricing.elasticity:v")
    run = TaskRun.objects.get(task_name="pricing.suggest_prices")
    assert run.status == TaskRun.Status.SUCCEEDED


def test_a_failed_run_leaves_the_previous_estimates_current(priced_shop, monkeypatch):
    first = elasticities_estimate()

    def boom(*args, **kwargs):
        raise RuntimeError("fit crashed")

    monkeypatch.setattr("pricing.services.estimation.estimate_panel", boom)
    with pytest.raises(RuntimeError):
        elasticities_estimate(force=True)
    current = ElasticityEstimate.objects.filter(is_current=True)
    assert current.exists() and set(current.values_list("artifact", flat=True)) == {
        first.pk
    }
    first.refresh_from_db()
    assert first.status == ModelArtifact.Status.ACTIVE


def _inventory_run(stock: dict):
    """A succeeded inventory forecast run: {product: (available, mean units/day)}."""
    from django.utils import timezone

    from inventory.models import ForecastRun

    run = ForecastRun.objects.create(
        status=ForecastRun.Status.SUCCEEDED,
        as_of=timezone.now().date(),
        horizon_days=28,
        data_fingerprint="test",
        finished_at=timezone.now(),
    )
    for product, (available, mean_daily) in stock.items():
        _forecast(run, product, available, mean_daily)
    return run


def _forecast(run, product, available: int, mean_daily: float):
    from inventory.algorithms.policy import days_of_cover
    from inventory.models import Forecast

    return Forecast.objects.create(
        run=run,
        product=product,
        model_name="test",
        reason="test",
        demand_class="smooth",
        mean_daily=mean_daily,
        sigma_daily=1.0,
        lead_time_days=14,
        service_level=0.95,
        safety_stock=5,
        reorder_point=20,
        order_up_to=60,
        eoq=30,
        available=available,
        days_of_cover=days_of_cover(available=available, mean_daily=mean_daily),
    )


def test_markdown_shows_the_inventory_days_of_cover_that_triggered_it(
    priced_shop, settings, reviewer, client
):
    settings.PRICING = {"ENDINGS": [k / 100 for k in range(9, 100, 10)]}
    over, fine = priced_shop[3], priced_shop[2]
    StockLevel.objects.create(product=over, on_hand=2000)
    StockLevel.objects.create(product=fine, on_hand=2000)
    _inventory_run({over: (2000, 5.0), fine: (2000, 20.0)})  # 400 and 100 days
    counts = prices_weekly_run()["suggestions"]
    assert counts["markdown_created"] == 1
    md = PriceSuggestion.objects.get(product=over, kind="markdown")
    assert md.days_of_cover == pytest.approx(400.0)
    assert "400 days of cover at 5.0 units/day (inventory forecast run" in (
        md.rationale
    )
    assert "markdowns start above 180 days" in md.rationale
    assert md.suggested_price < md.current_price
    assert not PriceSuggestion.objects.filter(product=fine, kind="markdown").exists()
    # In the same queue as the optimised prices, with its cover on screen.
    client.force_login(reviewer)
    page = client.get("/admin/pricing/pricesuggestion/?status__exact=proposed")
    assert md.pk in [s.pk for s in page.context["cl"].result_list]
    assert "cover 400 days" in page.content.decode()
    assert page.context["queue_summary"]["markdowns"] == 1


def test_inventory_forecast_of_a_sell_out_blocks_the_markdown(
    priced_shop, monkeypatch, settings
):
    settings.PRICING = {"ENDINGS": [k / 100 for k in range(9, 100, 10)]}
    product = priced_shop[3]
    StockLevel.objects.create(product=product, on_hand=100000)
    _inventory_run({product: (100000, 50000.0 / 7)})
    counts = prices_weekly_run()["suggestions"]
    assert "markdown_created" not in counts and "markdown_infeasible" not in counts
    assert not PriceSuggestion.objects.filter(product=product, kind="markdown").exists()


def test_small_gains_are_not_proposed_and_stale_suggestions_superseded(
    suggested, settings
):
    open_before = PriceSuggestion.objects.filter(status="proposed").count()
    assert open_before >= 2
    settings.PRICING = {**settings.PRICING, "MIN_WEEKLY_GAIN": 1e9}
    counts = prices_suggest()
    assert counts["skipped_small_gain"] >= 2 and "created" not in counts
    # What this run no longer proposes leaves the queue (superseded), nothing else.
    assert counts["superseded_not_proposed_again"] == open_before
    assert not PriceSuggestion.objects.filter(status="proposed").exists()


def test_a_date_typed_on_the_suggestion_page_schedules_its_approval(
    suggested, reviewer, client
):
    from datetime import timedelta

    from django.utils import timezone

    s1, _ = _two_open(suggested)
    client.force_login(reviewer)
    when = timezone.localtime(timezone.now() + timedelta(days=3)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    url = f"/admin/pricing/pricesuggestion/{s1.pk}/change/"
    resp = client.post(
        url,
        {
            "edited_price": "",
            "review_note": "after the catalogue goes out",
            "effective_from_0": when.strftime("%Y-%m-%d"),
            "effective_from_1": "00:00:00",
        },
    )
    assert resp.status_code == 302, resp.content[:2000]
    s1.refresh_from_db()
    assert s1.effective_from == when and s1.status == "proposed"
    resp = client.post(
        f"/admin/pricing/pricesuggestion/{s1.pk}/decide/approve/", {"note": ""}
    )
    assert resp.status_code == 302
    s1.refresh_from_db()
    assert s1.status == "scheduled" and s1.effective_from == when
    assert Product.objects.get(pk=s1.product_id).list_price == s1.current_price


def test_queue_lists_the_open_suggestions_by_default(suggested, reviewer, client):
    """V2 15.1: the queue said "Open: 383" but listed every status (a rolled-back
    suggestion in row 2)."""
    client.force_login(reviewer)
    first, *others = PriceSuggestion.objects.filter(status="proposed")
    assert others
    PriceSuggestion.objects.filter(pk=first.pk).update(status="rolled_back")
    url = "/admin/pricing/pricesuggestion/"
    shown = {s.pk for s in client.get(url).context["cl"].result_list}
    assert shown == {s.pk for s in others}
    every = {s.pk for s in client.get(url + "?status=all").context["cl"].result_list}
    assert first.pk in every and shown < every
    rolled = client.get(url + "?status__exact=rolled_back").context["cl"].result_list
    assert [s.pk for s in rolled] == [first.pk]
