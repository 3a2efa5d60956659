"""Admin registry, evaluation (command, table, chart), cold start and erasure."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from core.models import ModelArtifact
from recommender.models import (
    EvaluationResult,
    EvaluationRun,
    PrecomputedRecommendation,
    ProductNeighbours,
)

pytestmark = pytest.mark.django_db


def test_registry_admin_lists_and_activates_a_version(trained, admin_client):
    from tests.factories import make_order

    make_order(trained["bob"], [(trained["red"][3], 1, 1.0)])
    from recommender.services.training import recommender_train

    v2 = recommender_train(algorithm="item_knn")
    url = "/admin/recommender/recommendermodel/"
    page = admin_client.get(url)
    assert page.status_code == 200 and b"NDCG@10" in page.content
    old = trained["artifact"]
    detail = admin_client.get(f"{url}{old.pk}/change/").content.decode()
    assert "Activate this version" in detail  # the decision button
    assert "Save" not in detail and "Delete" not in detail  # a record, not a form
    response = admin_client.post(f"{url}{old.pk}/decide/activate/", follow=True)
    assert response.status_code == 200 and "now serves" in response.content.decode()
    assert ModelArtifact.objects.get(pk=old.pk).status == "active"
    assert ModelArtifact.objects.get(pk=v2.pk).status == "retired"
    active = admin_client.get(f"{url}{old.pk}/change/").content.decode()
    assert "Activate this version" not in active  # no button on the serving one
    both = admin_client.post(  # the bulk action: the serving one is skipped
        url,
        {"action": "decide_activate", "_selected_action": [old.pk, v2.pk]},
        follow=True,
    ).content.decode()
    assert "1 selected row(s) skipped" in both and "now serves" in both
    assert ModelArtifact.objects.get(pk=v2.pk).status == "active"


def test_evaluate_command_stores_a_run_and_admin_draws_the_history(
    rec_world, admin_client
):
    out = StringIO()
    for _ in range(2):
        call_command(
            "evaluate_recommenders",
            "--cutoff",
            "2011-04-15",
            "--algorithm",
            "popularity",
            "--algorithm",
            "item_knn",
            stdout=out,
        )
    assert "ndcg@10" in out.getvalue() and "item_knn" in out.getvalue()
    run = EvaluationRun.objects.first()
    assert run.status == "succeeded"
    assert EvaluationResult.objects.filter(run=run).count() == 4
    knn = EvaluationResult.objects.get(run=run, algorithm="item_knn", variant="new")
    assert 0 < knn.metrics["ndcg@10"] <= 1
    page = admin_client.get("/admin/recommender/evaluationrun/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="chart"' in html and "NDCG@10 by evaluation run (all" in html
    assert ">item_knn<" in html and ">popularity<" in html  # the legend
    detail = admin_client.get(f"/admin/recommender/evaluationrun/{run.pk}/change/")
    assert detail.status_code == 200 and b"ndcg@10" in detail.content


def test_evaluate_with_empty_window_is_a_command_error(rec_world):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="cut-off"):
        call_command(
            "evaluate_recommenders", "--cutoff", "1999-01-01", stdout=StringIO()
        )


def test_product_creation_enqueues_cold_start(
    trained, django_capture_on_commit_callbacks
):
    from tests.factories import make_product

    with django_capture_on_commit_callbacks(execute=True):
        new = make_product(description="BLUE STAR THING GIANT")
    row = ProductNeighbours.objects.get(product=new)
    assert row.neighbour_ids[0] in {p.pk for p in trained["blue"]}


def test_customer_creation_precomputes_and_erasure_drops_it(
    trained, django_capture_on_commit_callbacks
):
    from core.signals import customer_erased
    from tests.factories import make_customer

    with django_capture_on_commit_callbacks(execute=True):
        new = make_customer(country="France")
    row = PrecomputedRecommendation.objects.get(customer=new, surface="for_you")
    assert row.strategy == "country_bestsellers" and row.items
    customer_erased.send(sender=None, customer_id=new.pk)
    assert not PrecomputedRecommendation.objects.filter(customer=new).exists()


def test_cold_start_command(trained):
    from tests.factories import make_product

    new = make_product(description="RED HEART THING MINI")
    out = StringIO()
    call_command("recommender_cold_start", "--product", str(new.pk), stdout=out)
    assert "neighbours" in out.getvalue()


def test_precompute_fans_out_over_every_customer_with_orders(trained):
    from shop.models import Customer

    out = StringIO()
    call_command("precompute_recommendations", "--chunk-size", "7", stdout=out)
    assert "succeeded" in out.getvalue()
    with_orders = Customer.objects.filter(orders__isnull=False).distinct().count()
    # one list per surface: for you, discover, buy again
    assert PrecomputedRecommendation.objects.count() == 3 * with_orders
    alice = PrecomputedRecommendation.objects.get(
        customer=trained["alice"], surface="for_you"
    )
    # "for you": her 2 re-buys and the 10 other merchandise products
    assert alice.strategy == "personalised" and len(alice.items) == 12
