"""The two-stage ranker (registry fit "events") in the evaluation, and refused by
training: it is evaluation-only (no pickle-free model file)."""

from __future__ import annotations

from io import StringIO

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from core.exceptions import InvalidInput
from core.models import ModelArtifact
from recommender.conf import DEFAULTS
from recommender.models import EvaluationResult
from recommender.registry import algorithm_get, algorithms_available
from recommender.services.evaluation import event_windows, recommenders_evaluate

# rec_world's purchases run from 2011-01-03 for 180 days: a cut-off on 2011-05-01
# leaves one 3-month training window (2011-02-01, 2011-05-01) and two test months.
CUTOFF = "2011-05-01"


def test_event_windows_are_four_3_month_windows_one_month_apart():
    ts = pd.Timestamp
    assert event_windows("2011-09-01", "2010-12-01") == [
        (ts("2011-03-01"), ts("2011-06-01")),
        (ts("2011-04-01"), ts("2011-07-01")),
        (ts("2011-05-01"), ts("2011-08-01")),
        (ts("2011-06-01"), ts("2011-09-01")),
    ]
    # windows that start before the first event are skipped
    assert event_windows("2011-09-01", "2011-04-15") == [
        (ts("2011-05-01"), ts("2011-08-01")),
        (ts("2011-06-01"), ts("2011-09-01")),
    ]
    assert event_windows("2011-09-01", "2011-06-02") == []


@pytest.mark.django_db
def test_evaluation_stores_both_ranker_variants(rec_world):
    run = recommenders_evaluate(cutoff=CUTOFF, algorithms=["ranker", "popularity"])
    assert run.status == "succeeded"
    rows = {
        (r.algorithm, r.variant): r for r in EvaluationResult.objects.filter(run=run)
    }
    assert set(rows) == {
        (a, v) for a in ("ranker", "popularity") for v in ("all", "new")
    }
    for variant in ("all", "new"):
        ranker = rows[("ranker", variant)]
        assert ranker.error == ""
        assert 0 < ranker.metrics["ndcg@10"] <= 1
        assert {"revenue@10", "coverage@10"} <= set(ranker.metrics)
        assert ranker.fit_seconds is not None and ranker.fit_seconds >= 0
    assert "ranker" in run.summary


@pytest.mark.django_db
def test_too_short_history_is_a_stored_error_and_the_others_still_run(rec_world):
    # 2011-03-01 - 3 months is before the first purchase: no training window
    run = recommenders_evaluate(
        cutoff="2011-03-01", algorithms=["ranker", "popularity"]
    )
    ranker = EvaluationResult.objects.filter(run=run, algorithm="ranker")
    assert ranker.count() == 2
    assert all("no 3-month training window" in r.error for r in ranker)
    popularity = EvaluationResult.objects.get(
        run=run, algorithm="popularity", variant="all"
    )
    assert popularity.error == "" and popularity.metrics["ndcg@10"] > 0


@pytest.mark.django_db
def test_evaluate_command_lists_the_ranker(rec_world):
    assert "ranker" in algorithms_available()  # a run with no --algorithm has it
    out = StringIO()
    call_command(
        "evaluate_recommenders",
        "--cutoff",
        CUTOFF,
        "--algorithm",
        "ranker",
        "--algorithm",
        "popularity",
        stdout=out,
    )
    lines = [line.split() for line in out.getvalue().splitlines()]
    ranker = [cols for cols in lines if cols and cols[0] == "ranker"]
    assert [cols[1] for cols in ranker] == ["all", "new"]
    assert all(0 < float(cols[2]) <= 1 for cols in ranker)  # ndcg@10, no error


@pytest.mark.django_db
def test_training_the_ranker_is_a_clear_invalid_input(rec_world):
    from recommender.services.ratings import recommender_train_ratings
    from recommender.services.training import recommender_train, recommenders_train

    with pytest.raises(InvalidInput) as err:
        recommender_train(algorithm="ranker")
    assert err.value.field == "algorithm"
    assert err.value.message.startswith("ranker is evaluation-only")
    # refused before anything trains, even after a servable name
    with pytest.raises(InvalidInput, match="evaluation-only"):
        recommenders_train(algorithms=["popularity", "ranker"])
    with pytest.raises(InvalidInput, match="evaluation-only"):
        recommender_train_ratings(algorithm="ranker")
    with pytest.raises(CommandError, match="evaluation-only"):
        call_command("train_recommender", "--algorithm", "ranker", stdout=StringIO())
    assert not ModelArtifact.objects.exists()


@pytest.mark.django_db
def test_scheduled_retraining_never_trains_the_ranker(rec_world, settings):
    from core.schedules import DEFAULT_SCHEDULES
    from recommender.services.training import recommenders_train

    assert all(algorithm_get(n).servable for n in DEFAULTS["default_algorithms"])
    nightly = [s for s in DEFAULT_SCHEDULES if s.task == "recommender.train"]
    assert nightly and all("algorithm" not in s.kwargs for s in nightly)
    # a misconfigured default list is refused up front, not half-trained
    settings.RECOMMENDER = {**settings.RECOMMENDER, "default_algorithms": ["ranker"]}
    with pytest.raises(InvalidInput) as err:
        recommenders_train()
    assert err.value.field == "algorithm"
    assert not ModelArtifact.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args, message",
    [
        (["--cutoff", "2011-05-01T00:00Z"], "has a time zone"),
        (["--cutoff", ""], "cutoff is not a date: ''"),
        (["--cutoff", "2011-13-45"], "cutoff is not a date"),
        (["--k", "0"], "k must be between 1 and"),
        (["--k", "-1"], "k must be between 1 and"),
        (["--k", "100000"], "k must be between 1 and"),
    ],
)
def test_bad_evaluation_options_are_one_line_errors(rec_world, args, message):
    """No traceback and no stored run for a bad cut-off or k."""
    from recommender.models import EvaluationRun

    with pytest.raises(CommandError, match=message):
        call_command(
            "evaluate_recommenders",
            "--algorithm",
            "popularity",
            *args,
            stdout=StringIO(),
        )
    assert not EvaluationRun.objects.exists()


def test_an_unknown_algorithm_for_training_lists_only_servable_ones():
    with pytest.raises(InvalidInput) as err:
        algorithm_get("nosuch", servable=True)
    assert "ease" in err.value.message and "ranker" not in err.value.message
    with pytest.raises(InvalidInput) as err:
        algorithm_get("nosuch")
    assert "ranker" in err.value.message  # evaluation lists every algorithm
