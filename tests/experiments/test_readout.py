"""The readout on a hand-made experiment: assignment counts, ITT revenue, attribution
windows, unattributed events, SRM and the sequential interval."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from experiments import services
from experiments.models import Impression
from experiments.selectors import experiment_readout
from shop.services.events import event_record
from tests.experiments.conftest import two_variants
from tests.factories import make_customer, make_order, make_product

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(datetime(2011, 9, 1, 9, 0))


def _experiment(days=7):
    exp = services.experiment_create(
        name="holdout-test",
        hypothesis="recommendations raise spend",
        surfaces=["for_you"],
        variants=two_variants(),
        attribution_days=days,
    )
    services.experiment_start(experiment=exp)
    exp.started_at = T0
    exp.save(update_fields=["started_at"])
    return exp


def _impression(exp, customer, variant, items, at, rid):
    return Impression.objects.create(
        recommendation_id=rid,
        surface="for_you",
        experiment=exp,
        variant=exp.variants.get(name=variant),
        unit=f"c:{customer.pk}",
        customer=customer,
        served_at=at,
        product_ids=[p.pk for p in items],
        latency_ms=3.0,
    )


def test_itt_revenue_attribution_window_and_unattributed_events():
    exp = _experiment(days=7)
    mug, tin = make_product(), make_product()
    a, b = make_customer(), make_customer()  # control, shown mug and tin
    h = make_customer()  # treatment (holdout): assigned, never exposed
    _impression(exp, a, "control", [mug, tin], T0 + timedelta(hours=1), "a" * 32)
    _impression(exp, b, "control", [mug], T0 + timedelta(days=1), "b" * 32)
    _impression(exp, h, "treatment", [], T0 + timedelta(hours=2), "c" * 32)
    # a buys the mug 2 days after the impression (attributed), b buys it 9 days
    # after (outside the 7-day window: expired); h buys without recommendations
    o1 = make_order(a, [(mug, 2, "5.00"), (tin, 1, "3.00")],
                    placed_at=T0 + timedelta(days=2))  # fmt: skip
    o2 = make_order(b, [(mug, 1, "5.00")], placed_at=T0 + timedelta(days=10))
    make_order(h, [(tin, 4, "3.00")], placed_at=T0 + timedelta(days=3))
    make_order(a, [(tin, 10, "3.00")], placed_at=T0 - timedelta(days=30))  # pre
    for customer, order, when, rid in [
        (a, o1, T0 + timedelta(days=2), "a" * 32),
        (b, o2, T0 + timedelta(days=10), "b" * 32),
    ]:
        event_record(
            kind="click",
            customer=customer,
            product_id=mug.pk,
            occurred_at=when - timedelta(minutes=5),
            recommendation_id=rid,
        )
        event_record(kind="purchase", customer=customer, product_id=mug.pk,
                     occurred_at=when, recommendation_id=rid,
                     order=order.invoice_no)  # fmt: skip
    event_record(
        kind="purchase",
        customer=h,
        product_id=tin.pk,
        occurred_at=T0 + timedelta(days=3),
        recommendation_id="d" * 32,
    )
    readout = experiment_readout(experiment=exp, as_of=T0 + timedelta(days=12))
    control, treatment = readout.variants
    assert (control.name, control.assigned, control.exposed) == ("control", 2, 2)
    assert (treatment.assigned, treatment.exposed) == (1, 0)
    assert control.revenue == pytest.approx(13.0 + 5.0)  # pre-period order left out
    assert control.revenue_per_assigned == pytest.approx(9.0)
    assert treatment.revenue_per_assigned == pytest.approx(12.0)
    assert control.orders == 2 and control.aov == pytest.approx(9.0)
    assert control.conversion == 1.0 and treatment.conversion == 1.0
    # only a's mug line (2 x 5.00) is within 7 days of its impression
    assert control.recommended_revenue == pytest.approx(10.0)
    assert control.clicks == 1 and control.ctr == 0.5  # b clicked on day 10
    assert readout.unattributed_unknown == 1  # 'ddd…' was never served
    assert readout.unattributed_expired == 2  # b's click and purchase on day 10
    assert len(readout.days) == 13 and readout.comparisons[0].variant == "treatment"

    longer = _experiment_with_window(exp, 14)
    assert longer.variants[0].recommended_revenue == pytest.approx(15.0)


def _experiment_with_window(exp, days):
    exp.attribution_days = days
    exp.save(update_fields=["attribution_days"])
    return experiment_readout(experiment=exp, as_of=T0 + timedelta(days=12))


def test_stopping_keeps_every_record_and_freezes_the_window():
    exp = _experiment()
    c = make_customer()
    _impression(exp, c, "control", [make_product()], T0, "e" * 32)
    services.experiment_stop(experiment=exp)
    exp.refresh_from_db()
    assert exp.status == "stopped" and exp.stopped_at is not None
    assert Impression.objects.filter(experiment=exp).count() == 1
    readout = experiment_readout(experiment=exp)
    assert readout.end == exp.stopped_at
    assert readout.variants[0].assigned == 1


def test_srm_warns_when_the_split_is_off_and_the_interval_is_valid():
    exp = _experiment()
    product = make_product()
    rid = iter(f"{i:032x}" for i in range(10**6))
    for i in range(300):  # 200 control vs 100 treatment on a 50/50 split
        customer = make_customer()
        variant = "control" if i % 3 else "treatment"
        items = [product] if variant == "control" else []
        _impression(exp, customer, variant, items, T0 + timedelta(hours=i % 48),
                    next(rid))  # fmt: skip
        if i % 4 == 0:
            make_order(customer, [(product, 1 + i % 5, "2.00")],
                       placed_at=T0 + timedelta(days=3))  # fmt: skip
    readout = experiment_readout(experiment=exp, as_of=T0 + timedelta(days=5))
    assert readout.srm.mismatch and readout.srm.observed == (200, 100)
    comp = readout.comparisons[0]
    # the always-valid interval is wider than the fixed-horizon one, and holds it
    assert comp.seq_low <= comp.primary.low and comp.seq_high >= comp.primary.high
    assert comp.decided == "undecided" and readout.winner is None
    assert {g[0] for g in comp.guardrails} >= {"conversion", "latency p95"}
    assert len(comp.timeline["difference"]) == 6


def test_a_draft_has_an_empty_readout():
    exp = services.experiment_create(
        name="draft", hypothesis="h", surfaces=["similar"], variants=two_variants()
    )
    readout = experiment_readout(experiment=exp)
    assert readout.comparisons == [] and readout.srm is None
