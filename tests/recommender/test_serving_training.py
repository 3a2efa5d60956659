"""Training service: registry record, idempotency, promotion gate, failures."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from core.exceptions import InvalidInput
from core.models import ModelArtifact
from recommender.algorithms.popularity import Popularity
from recommender.registry import ALGORITHMS, AlgorithmSpec
from recommender.services import recommend_for_customer
from recommender.services.training import recommender_activate, recommender_train

pytestmark = pytest.mark.django_db


class LeastPopular(Popularity):
    """A deliberately bad model: the least popular products first."""

    name = "least_popular"

    def score(self, user_ids, user_items):
        return -super().score(user_ids, user_items)


@pytest.fixture
def worst_algorithm(monkeypatch):
    spec = AlgorithmSpec(
        "least_popular", f"{__name__}.LeastPopular", fit="groups", fold_in=True
    )
    monkeypatch.setitem(ALGORITHMS, "least_popular", spec)
    return spec


def _active():
    return ModelArtifact.objects.get(kind="recommender.purchases", status="active")


def test_training_records_a_versioned_artifact(trained):
    artifact = trained["artifact"]
    assert artifact.status == "active" and artifact.version == 1
    assert artifact.algorithm == "item_knn"
    assert artifact.params["k"] == 50 and artifact.params["weighting"] == "count"
    assert artifact.file.endswith(".npz") and len(artifact.sha256) == 64
    assert artifact.data_fingerprint
    assert artifact.metrics["validation"]["ndcg@10"] > 0.3


def test_same_data_and_params_reuse_the_artifact(trained):
    again = recommender_train(algorithm="item_knn")
    assert again.pk == trained["artifact"].pk
    assert ModelArtifact.objects.count() == 1


def test_new_data_trains_a_new_version(trained):
    from tests.factories import make_order

    make_order(trained["bob"], [(trained["red"][3], 1, 1.0)])
    again = recommender_train(algorithm="item_knn")
    assert again.version == 2 and again.status == "active"
    assert ModelArtifact.objects.get(pk=trained["artifact"].pk).status == "retired"


def test_worse_model_is_rejected_and_previous_keeps_serving(trained, worst_algorithm):
    worse = recommender_train(algorithm="least_popular")
    assert worse.status == "rejected"
    assert "not promoted" in worse.notes
    assert _active().pk == trained["artifact"].pk
    result = recommend_for_customer(customer=trained["alice"], k=3)
    assert result.model_version == trained["artifact"].label


def _no_validation_window(settings, world):
    """Only the newest purchase is in the validation window, by a new customer."""
    from tests.factories import make_customer, make_order

    settings.RECOMMENDER = {**settings.RECOMMENDER, "validation_days": 0}
    late = timezone.make_aware(datetime(2011, 12, 1, 10, 0))
    make_order(make_customer(), [(world["red"][3], 1, 1.0)], placed_at=late)


def test_unevaluable_run_stays_candidate_beside_evaluated_active(trained, settings):
    _no_validation_window(settings, trained)
    run = recommender_train(algorithm="popularity")
    assert run.status == "candidate"
    assert run.metrics["validation"]["skipped"].startswith(
        "no later purchases by known customers after"
    )
    assert "could not be evaluated (no later purchases" in run.notes
    assert trained["artifact"].label in run.notes
    assert "no model was active" not in run.notes
    assert _active().pk == trained["artifact"].pk


def test_unevaluable_run_is_promoted_when_nothing_is_active(rec_world, settings):
    _no_validation_window(settings, rec_world)
    run = recommender_train(algorithm="popularity")
    assert run.status == "active"
    assert run.notes.startswith("promoted: no model was active; (no later purchases")


def test_promotion_notes_name_the_compared_active_model(trained):
    from tests.factories import make_order

    make_order(trained["bob"], [(trained["red"][3], 1, 1.0)])
    again = recommender_train(algorithm="item_knn")
    assert again.status == "active"
    assert f"vs active {trained['artifact'].label} " in again.notes


def test_failed_training_leaves_previous_model(trained, monkeypatch):
    from recommender.algorithms import knn

    def boom(self, user_items):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(knn.ItemKNN, "fit", boom)
    with pytest.raises(RuntimeError):
        recommender_train(algorithm="item_knn", force=True)
    assert ModelArtifact.objects.count() == 1
    assert _active().pk == trained["artifact"].pk
    assert recommend_for_customer(customer=trained["alice"], k=2).strategy == (
        "personalised"
    )


def test_missing_model_file_falls_back_not_500(trained, settings):
    from recommender.bundle import bundle_cache_clear

    (settings.ARTIFACTS_ROOT / trained["artifact"].file).unlink()
    bundle_cache_clear()
    result = recommend_for_customer(customer=trained["newbie"], k=3)
    assert result.model_version is None and len(result.items) == 3


def test_empty_training_window_is_a_clear_error(rec_world):
    before_any = timezone.make_aware(datetime(2000, 1, 1))
    with pytest.raises(InvalidInput) as err:
        recommender_train(algorithm="item_knn", end=before_any)
    assert err.value.field == "window"
    assert not ModelArtifact.objects.exists()


def test_unknown_algorithm(rec_world):
    with pytest.raises(InvalidInput) as err:
        recommender_train(algorithm="deep_magic")
    assert err.value.field == "algorithm" and "item_knn" in err.value.message


def test_activate_service_switches_versions(trained):
    from tests.factories import make_order

    make_order(trained["bob"], [(trained["red"][3], 1, 1.0)])
    v2 = recommender_train(algorithm="item_knn")
    assert v2.status == "active"
    recommender_activate(artifact_id=trained["artifact"].pk)
    assert _active().pk == trained["artifact"].pk
    result = recommend_for_customer(customer=trained["alice"], k=2)
    assert result.model_version == trained["artifact"].label


def test_command_trains_matrix_defaults_and_is_idempotent(rec_world, settings):
    from io import StringIO

    legacy = ["popularity", "item_knn", "ease"]
    settings.RECOMMENDER = {**settings.RECOMMENDER, "default_algorithms": legacy}
    out = StringIO()
    call_command("train_recommender", stdout=out)
    text = out.getvalue()
    assert "popularity" in text and "item_knn" in text
    assert _active().algorithm in ("item_knn", "ease")  # both beat popularity
    count = ModelArtifact.objects.count()
    call_command("train_recommender", stdout=StringIO())
    assert ModelArtifact.objects.count() == count
    with pytest.raises(CommandError, match="unknown algorithm"):
        call_command("train_recommender", "--algorithm", "nope", stdout=StringIO())


def test_bundle_never_unpickles(trained, settings):
    path = settings.ARTIFACTS_ROOT / trained["artifact"].file
    with np.load(path, allow_pickle=False) as data:
        assert all(data[k].dtype != object for k in data.files)


def test_task_twin_runs_in_process(rec_world):
    from recommender.tasks import recommender_train_task

    result = recommender_train_task.delay(algorithm="item_knn").get()
    assert result["item_knn"]["status"] == "active"


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ["gru4rec", "content"])
def test_deep_models_train_and_serve_through_the_same_path(rec_world, algorithm):
    params = {"epochs": 2, "random_state": 0} if algorithm == "gru4rec" else {}
    if algorithm == "content":
        params = {"encoder": "tfidf"}
    artifact = recommender_train(algorithm=algorithm, params=params)
    assert artifact.status == "active"
    if algorithm == "gru4rec":
        result = recommend_for_customer(customer=rec_world["alice"], k=3)
        assert result.model_version == artifact.label
        assert len(result.items) == 3
    else:  # the active content model now embeds new products (cold start)
        from recommender.services.coldstart import product_cold_start
        from tests.factories import make_product

        new = make_product(description="BLUE STAR THING LARGE")
        row = product_cold_start(product_id=new.pk)
        assert row.method.startswith("content:") and row.model_version
        assert row.neighbour_ids[0] in {p.pk for p in rec_world["blue"]}


def test_default_training_on_too_short_a_history_says_not_enough_data(rec_world):
    """The served pipeline needs 3 rolling origins: ~6 months here is too short;
    nothing is stored and the command names the reason."""
    from io import StringIO

    with pytest.raises(CommandError, match="not enough data: 3 validation origins"):
        call_command("train_recommender", stdout=StringIO())
    assert not ModelArtifact.objects.exists()


def test_rating_customers_are_served_from_the_ratings_model(rec_world, settings):
    from recommender.services.training import recommenders_train
    from shop.models import Rating
    from tests.factories import make_customer, make_product

    films = [
        make_product(f"m{i}", description=f"FILM {i}", source="movielens")
        for i in range(6)
    ]
    fans = [make_customer(f"ml{i}", source="movielens") for i in range(8)]
    for n, fan in enumerate(fans):
        group = films[:3] if n % 2 else films[3:]
        for film in group[: 2 + (n // 2 + 1) % 2]:
            Rating.objects.create(customer=fan, product=film, value=4.0)
    settings.RECOMMENDER = {**settings.RECOMMENDER, "default_algorithms": ["item_knn"]}
    artifacts = recommenders_train()
    assert [a.kind for a in artifacts][-1] == "recommender.ratings"
    assert artifacts[-1].notes.startswith(
        "promoted: no model was active; (explicit ratings: no purchase window"
    )
    fan = fans[2]  # rated films 3, 4
    result = recommend_for_customer(customer=fan, k=2)
    assert result.model_version == "recommender.ratings:v1"
    assert result.strategy == "personalised"
    assert result.items[0]["product_id"] == films[5].pk
    assert result.items[0]["reason"].startswith("because you rated FILM")


@pytest.mark.parametrize("algorithm", ["als", "ease", "buy_again", "repeat_blend"])
def test_every_registered_purchase_model_trains_and_serves(rec_world, algorithm):
    artifact = recommender_train(algorithm=algorithm)
    assert artifact.status in ("active", "rejected")
    assert "ndcg@10" in artifact.metrics["validation"]
    if artifact.status == "active":
        result = recommend_for_customer(customer=rec_world["alice"], k=3)
        assert result.model_version == artifact.label and len(result.items) == 3
