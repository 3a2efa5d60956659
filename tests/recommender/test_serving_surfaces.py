"""The served pipeline on the database and the three customer surfaces.

A small shop where every customer has a staple bought every two weeks from January
to August 2011 plus a few other products: enough history for three rolling origins
with the small settings below (30-day windows, 14 days apart).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone

from core.models import ModelArtifact
from recommender.bundle import bundle_cache_clear
from recommender.services.loading import serving_cache_clear
from recommender.services.pipeline import NotEnoughData, recommender_train_surfaces
from recommender.services.serving import recommend_for_customer
from recommender.services.surfaces import recommend_buy_again
from tests.factories import make_customer, make_order, make_product

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

SMALL_PIPELINE = {
    "origins": 3,
    "origin_window_days": 30,
    "origin_step_days": 14,
    "min_history_days": 60,
    "base": {"knn_k": 10, "ease_regularization": 10.0, "ranker_windows": 2},
    "ridge_grid": [10.0, 100.0],
    "tree_grid": [{"max_leaf_nodes": 4, "max_iter": 20}],
    "weight_grid": [0.0, 0.2, 0.5, 1.0],
}


@pytest.fixture
def small_pipeline(settings):
    from experiments.impressions import impressions_discard

    settings.RECOMMENDER = {**settings.RECOMMENDER, "pipeline": SMALL_PIPELINE}
    serving_cache_clear()
    bundle_cache_clear()
    impressions_discard()  # buffered impressions of other tests' customers
    yield
    impressions_discard()
    serving_cache_clear()
    bundle_cache_clear()


@pytest.fixture
def staples(db, small_pipeline):
    """24 customers; customer k's staple is product k % 12, every 14 days."""
    rng = np.random.default_rng(0)
    products = [make_product(description=f"STAPLE THING {i}") for i in range(12)]
    start = timezone.make_aware(datetime(2011, 1, 3, 10, 0))
    end = timezone.make_aware(datetime(2011, 9, 1))
    customers = []
    for k in range(24):
        customer = make_customer(with_user=k == 0)
        customers.append(customer)
        staple = products[k % 12]
        day = start + timedelta(days=int(rng.integers(0, 14)))
        while day < end:
            basket = [(staple, 1, 1.0)]
            if rng.random() < 0.4:
                basket.append((products[int(rng.integers(12))], 1, 1.0))
            make_order(customer, basket, placed_at=day)
            day += timedelta(days=14)
    newbie = make_customer(with_user=True)
    return {"products": products, "customers": customers, "newbie": newbie}


@pytest.fixture
def trained(staples):
    artifacts = recommender_train_surfaces()
    return {**staples, "artifacts": {a.kind: a for a in artifacts}}


def test_pipeline_trains_one_model_per_surface_and_promotes_it(trained):
    kinds = trained["artifacts"]
    assert set(kinds) == {"recommender.purchases", "recommender.discover"}
    for artifact in kinds.values():
        assert artifact.status == "active" and artifact.algorithm == "temporal_blend"
        assert artifact.notes.startswith("promoted: no model was active")
        validation = artifact.metrics["validation"]
        assert len(validation["per_origin"]) == 3
        assert 0 < validation["ndcg@10"] <= 1
        assert artifact.metrics["tuned"]["weights"]
        # issue 12.6: the budget the members estimated against, nothing switched
        assert artifact.metrics["memory"]["budget_mb"] > 0
        assert artifact.metrics["memory"]["notes"] == []
    assert kinds["recommender.discover"].metrics["tuned"]["new_only"] is True


def test_second_run_on_the_same_data_reuses_and_changed_data_decides(trained):
    again = recommender_train_surfaces()
    assert {a.pk for a in again} == {a.pk for a in trained["artifacts"].values()}
    # a new order changes the data: a new candidate, scored against the active
    make_order(
        trained["customers"][3],
        [(trained["products"][3], 1, 1.0)],
        placed_at=timezone.make_aware(datetime(2011, 9, 2, 9)),
    )
    new = {a.kind: a for a in recommender_train_surfaces()}
    for kind, artifact in new.items():
        assert artifact.pk != trained["artifacts"][kind].pk
        assert artifact.metrics["incumbent_ndcg@10"] is not None
        assert artifact.status in ("active", "rejected")
        assert "active" in artifact.notes


def test_for_you_brings_back_the_staple_with_its_cycle(trained):
    customer = trained["customers"][0]
    result = recommend_for_customer(customer=customer, k=5)
    assert result.model_version == trained["artifacts"]["recommender.purchases"].label
    top = result.items[0]
    assert top["product_id"] == trained["products"][0].pk  # the staple
    assert top["reason"].startswith("you buy this about every 2 weeks; last bought")


def test_discover_never_returns_a_bought_product(trained):
    customer = trained["customers"][0]
    result = recommend_for_customer(customer=customer, k=12, surface="discover")
    assert result.model_version == trained["artifacts"]["recommender.discover"].label
    bought = set(customer.orders.values_list("lines__product_id", flat=True).distinct())
    assert result.items and not bought & {i["product_id"] for i in result.items}


def test_buy_again_lists_re_buys_by_due_date(trained):
    customer = trained["customers"][1]
    result = recommend_buy_again(customer=customer, k=10)
    assert result.strategy == "buy_again"
    assert result.items[0]["product_id"] == trained["products"][1].pk
    assert "due" in result.items[0]["reason"]
    scores = [i["score"] for i in result.items]
    assert scores == sorted(scores, reverse=True)  # most overdue first


def test_no_history_customer_gets_the_fallback_with_its_reason(trained):
    result = recommend_for_customer(customer=trained["newbie"], k=3)
    assert result.strategy == "country_bestsellers"
    assert result.explanation == "no purchase history: bestsellers in your country"
    empty = recommend_buy_again(customer=trained["newbie"], k=3)
    assert empty.items == [] and empty.explanation == "no purchase yet"
    once = make_customer()
    make_order(once, [(trained["products"][5], 1, 1.0)])
    result = recommend_buy_again(customer=once, k=3)
    assert result.strategy == "bought_before"
    assert result.items[0]["reason"].startswith("you bought this on 1 Jun")


def test_corrupt_model_file_keeps_serving_and_the_next_run_is_not_lost(
    trained, settings, caplog
):
    artifact = trained["artifacts"]["recommender.purchases"]
    path = settings.ARTIFACTS_ROOT / artifact.file
    path.write_bytes(path.read_bytes()[:1000])  # truncated on disk
    bundle_cache_clear()
    serving_cache_clear()
    result = recommend_for_customer(customer=trained["customers"][0], k=3)
    assert len(result.items) == 3  # the fallback answers, nothing breaks
    assert "cannot load" in caplog.text


def test_empty_window_is_not_enough_data(db, small_pipeline):
    with pytest.raises(NotEnoughData, match="not enough data"):
        recommender_train_surfaces()
    customer, product = make_customer(), make_product()
    make_order(customer, [(product, 1, 1.0)])  # one day of purchases
    with pytest.raises(NotEnoughData, match="not enough data"):
        recommender_train_surfaces()
    assert not ModelArtifact.objects.exists()


def test_a_budget_no_member_fits_stops_with_the_limit_named(staples, settings):
    """Issue 12.6: the estimate comes before any large allocation; the run fails
    with the setting to change, nothing is stored."""
    from core.exceptions import InvalidInput

    settings.RECOMMENDER = {**settings.RECOMMENDER, "memory_budget_mb": 0.01}
    with pytest.raises(InvalidInput, match="MiB") as caught:
        recommender_train_surfaces()
    assert caught.value.field == "RECOMMENDER.memory_budget_mb"
    assert not ModelArtifact.objects.exists()


def test_buy_again_endpoint_for_the_customer_themselves(trained, api_client):
    customer = trained["customers"][0]
    api_client.force_authenticate(customer.user)
    url = f"/api/v1/customers/{customer.external_id}/buy-again"
    body = api_client.get(url, {"k": 2}).json()
    assert body["strategy"] == "buy_again" and body["count"] <= 2
    assert body["items"][0]["product_id"] == trained["products"][0].pk


def test_evaluate_reports_the_served_pipeline(trained, settings):
    call_command(
        "evaluate_recommenders",
        "--algorithm",
        "temporal_blend",
        "--cutoff",
        "2011-08-01",
        stdout=StringIO(),
    )
    from recommender.models import EvaluationResult

    rows = EvaluationResult.objects.filter(algorithm="temporal_blend")
    assert {r.variant for r in rows} == {"all", "new"}
    for row in rows:
        assert not row.error, row.error
        assert row.metrics["ndcg@10"] > 0
