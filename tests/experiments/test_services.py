"""Creating, starting, stopping, shipping experiments; refusals name the field."""

import pytest

from core.exceptions import InvalidInput, InvalidTransition
from experiments import services
from experiments.models import Experiment, ExperimentAudit, Impression, SurfaceConfig
from experiments.serving import recommendations_serve
from recommender.services import RecommendationResult
from tests.experiments.conftest import two_variants
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def _create(name="rec-vs-holdout", surfaces=("for_you",), variants=None, **kw):
    return services.experiment_create(
        name=name,
        hypothesis="recommendations raise spend",
        surfaces=list(surfaces),
        variants=variants if variants is not None else two_variants(),
        **kw,
    )


def test_create_stores_variants_and_an_audit_record():
    exp = _create()
    assert exp.status == "draft" and exp.salt
    assert [(v.name, float(v.share)) for v in exp.variants.all()] == [
        ("control", 0.5),
        ("treatment", 0.5),
    ]
    assert exp.guardrails == ["aov", "conversion", "latency_p95"]
    assert ExperimentAudit.objects.get(experiment=exp).action == "created"


@pytest.mark.parametrize(
    "variants, field, words",
    [
        (two_variants()[:1], "variants", "at least 2 variants"),
        (
            [dict(v, share="0.6") for v in two_variants()],
            "share",
            "sum to 1",
        ),
        ([dict(v, is_control=False) for v in two_variants()], "variants", "control"),
        (
            [two_variants()[0], dict(two_variants()[1], serving_config={"x": 1})],
            "serving_config",
            "unknown key 'x'",
        ),
        (
            [two_variants()[0], dict(two_variants()[1], share="abc")],
            "share",
            "must be a number",
        ),
    ],
    ids=["one-variant", "shares", "no-control", "config", "share-text"],
)
def test_bad_variants_are_refused_naming_the_field(variants, field, words):
    with pytest.raises(InvalidInput, match=words) as err:
        _create(variants=variants)
    assert err.value.field == field
    assert not Experiment.objects.exists()


def test_a_surface_already_under_test_is_refused():
    first = _create("first", surfaces=["for_you", "similar"])
    with pytest.raises(InvalidInput, match="similar is already under test") as err:
        _create("second", surfaces=["similar"])
    assert err.value.field == "surfaces" and "first" in err.value.message
    _create("other-surface", surfaces=["basket"])  # another surface is fine
    services.experiment_start(experiment=first)
    services.experiment_stop(experiment=first)
    _create("after-the-first", surfaces=["similar"])  # stopped: free again


def test_unknown_surface_is_refused():
    with pytest.raises(InvalidInput, match="unknown surface 'home'"):
        _create(surfaces=["home"])


def test_start_stop_ship_and_the_audit_trail():
    exp = _create()
    with pytest.raises(InvalidTransition):
        services.experiment_stop(experiment=exp)
    services.experiment_start(experiment=exp)
    treatment = exp.variants.get(name="treatment")
    services.experiment_ship(experiment=exp, variant=treatment)
    exp.refresh_from_db()
    assert exp.status == "shipped" and exp.shipped_variant == treatment
    assert exp.stopped_at is not None
    assert SurfaceConfig.objects.get(surface="for_you").serving_config == {
        "holdout": True
    }
    actions = list(exp.audit.order_by("id").values_list("action", flat=True))
    assert actions == ["created", "started", "shipped"]
    shipped = exp.audit.get(action="shipped").details
    assert shipped["surfaces"]["for_you"] == {"before": {}, "after": {"holdout": True}}
    with pytest.raises(InvalidTransition):
        services.experiment_ship(experiment=exp, variant=treatment)


def _recommend(k):
    """``k`` of the shop's products (sellable: the hook drops anything else)."""
    from shop.models import Product
    from tests.factories import make_product

    while Product.objects.count() < k:
        make_product()
    pks = Product.objects.order_by("pk").values_list("pk", flat=True)[:k]
    return RecommendationResult(
        items=[{"product_id": pk, "reason": "r"} for pk in pks],
        strategy="personalised",
    )


def test_serving_assigns_sticky_variants_and_logs_impressions():
    exp = _create()
    services.experiment_start(experiment=exp)
    customers = [make_customer() for _ in range(40)]
    seen = {}
    for c in customers:
        r = recommendations_serve(
            surface="for_you", customer=c, k=3, recommend=_recommend
        )
        assert len(r.recommendation_id) == 32 and r.variant in {"control", "treatment"}
        assert r.experiment == exp.name
        assert len(r.items) == (0 if r.variant == "treatment" else 3)
        seen[c.pk] = r.variant
    assert set(seen.values()) == {"control", "treatment"}
    for c in customers[:10]:  # sticky
        again = recommendations_serve(
            surface="for_you", customer=c, k=3, recommend=_recommend
        )
        assert again.variant == seen[c.pk]
    assert Impression.objects.filter(experiment=exp).count() == 50
    holdout = Impression.objects.filter(variant__name="treatment").first()
    assert holdout.product_ids == [] and holdout.strategy == "holdout"


def test_serving_outside_experiments_uses_the_shipped_configuration():
    r = recommendations_serve(surface="similar", session_key="abc", k=4,
                              recommend=_recommend)  # fmt: skip
    assert r.variant == "" and len(r.items) == 4
    SurfaceConfig.objects.create(surface="similar", serving_config={"k": 2})
    r = recommendations_serve(surface="similar", session_key="abc", k=4,
                              recommend=_recommend)  # fmt: skip
    assert len(r.items) == 2
    stored = Impression.objects.get(recommendation_id=r.recommendation_id)
    assert stored.unit == "s:abc" and stored.experiment is None


@pytest.mark.django_db(transaction=True)
def test_the_writer_thread_stores_batches_without_the_request_waiting(settings):
    import time

    settings.EXPERIMENTS = {"impression_batch": 3, "impression_writer": "thread"}
    customers = [make_customer() for _ in range(3)]
    ids = [
        recommendations_serve(
            surface="basket", customer=c, k=2, recommend=_recommend
        ).recommendation_id
        for c in customers
    ]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if Impression.objects.filter(recommendation_id__in=ids).count() == 3:
            break
        time.sleep(0.05)
    assert Impression.objects.filter(recommendation_id__in=ids).count() == 3


def test_experiments_stop_at_their_planned_stop():
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    due = _create("due", planned_stop=timezone.now() + timedelta(days=1))
    later = _create(
        "later", surfaces=["similar"], planned_stop=timezone.now() + timedelta(days=9)
    )
    for exp in (due, later):
        services.experiment_start(experiment=exp)
    stopped = services.experiments_stop_due(now=timezone.now() + timedelta(days=2))
    assert stopped == ["due"]
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, later.status) == ("stopped", "running")
    assert due.audit.get(action="stopped").details == {"reason": "planned stop reached"}
    call_command("stop_due_experiments")  # now: nothing else is due
    later.refresh_from_db()
    assert later.status == "running"
