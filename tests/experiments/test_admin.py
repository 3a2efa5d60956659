"""The experiment admin: create with variants, refusals naming the field, start,
results page with the chart, ship with an audit record."""

from datetime import timedelta

import pytest
from django.utils import timezone

from experiments.models import Experiment, Impression, SurfaceConfig
from tests.factories import make_customer, make_order, make_product

pytestmark = pytest.mark.django_db
ADD = "/admin/experiments/experiment/add/"


def _form(name="bestsellers-vs-model", shares=("0.5", "0.5"), surfaces=("for_you",)):
    data = {
        "name": name,
        "hypothesis": "personal recommendations raise spend over bestsellers",
        "surfaces": list(surfaces),
        "primary_metric": "revenue_per_assigned",
        "guardrails": ["conversion", "aov", "latency_p95"],
        "attribution_days": "7",
        "pre_period_days": "90",
        "variants-TOTAL_FORMS": "2",
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "1000",
        "audit-TOTAL_FORMS": "0",
        "audit-INITIAL_FORMS": "0",
    }
    rows = [("control", shares[0], True, "model", ""),
            ("bestsellers", shares[1], False, "bestsellers", "8")]  # fmt: skip
    for i, (vname, share, control, strategy, k) in enumerate(rows):
        data |= {
            f"variants-{i}-name": vname,
            f"variants-{i}-share": share,
            f"variants-{i}-strategy": strategy,
            f"variants-{i}-max_items": k,
        }
        if control:
            data[f"variants-{i}-is_control"] = "on"
    return data


def test_create_start_read_and_ship_in_the_admin(admin_client):
    response = admin_client.post(ADD, _form())
    assert response.status_code == 302, response.content.decode()[:3000]
    exp = Experiment.objects.get()
    assert exp.created_by.username == "admin" and exp.surfaces == ["for_you"]
    treatment = exp.variants.get(name="bestsellers")
    assert treatment.serving_config == {"strategy": "bestsellers", "k": 8}
    url = f"/admin/experiments/experiment/{exp.pk}/"
    admin_client.post(f"{url}decide/start/")
    exp.refresh_from_db()
    assert exp.status == "running"
    exp.started_at -= timedelta(days=10)  # ten days of traffic
    exp.save(update_fields=["started_at"])
    # some traffic and a purchase
    product = make_product()
    for i in range(6):
        customer = make_customer()
        variant = exp.variants.order_by("id")[i % 2]
        Impression.objects.create(
            recommendation_id=f"{i:032x}", surface="for_you", experiment=exp,
            variant=variant, unit=f"c:{customer.pk}", customer=customer,
            served_at=exp.started_at, product_ids=[product.pk], latency_ms=4.0,
        )  # fmt: skip
        make_order(customer, [(product, 2, "3.50")],
                   placed_at=exp.started_at + timedelta(hours=1))  # fmt: skip
    page = admin_client.get(f"{url}change/").content.decode()
    for text in ("Sample ratio as configured", "revenue per assigned customer",
                 "£7.00", "always-valid", "guardrail: conversion", "Ship bestsellers",
                 "<svg", "bestsellers, at most 8 items"):  # fmt: skip
        assert text in page, text
    response = admin_client.post(f"{url}decide/ship-{treatment.pk}/", follow=True)
    assert "Shipped bestsellers" in response.content.decode()
    exp.refresh_from_db()
    assert exp.status == "shipped" and exp.shipped_variant == treatment
    config = SurfaceConfig.objects.get(surface="for_you")
    assert config.serving_config == {"strategy": "bestsellers", "k": 8}
    audit = exp.audit.get(action="shipped")
    assert audit.by.username == "admin"
    final = admin_client.get(f"{url}change/").content.decode()
    assert "Audit records" in final and "shipped" in final


@pytest.mark.parametrize(
    "form, words",
    [
        (_form(shares=("0.5", "0.6")), "shares must sum to 1"),
        ({**_form(), "variants-TOTAL_FORMS": "1"}, "at least 2 variants"),
        ({**_form(), "surfaces": []}, "This field is required"),
    ],
    ids=["shares", "one-variant", "no-surface"],
)
def test_admin_refuses_bad_experiments_naming_the_field(admin_client, form, words):
    response = admin_client.post(ADD, form)
    assert response.status_code == 200
    assert words in response.content.decode()
    assert not Experiment.objects.exists()


def test_admin_refuses_a_surface_already_under_test(admin_client):
    assert admin_client.post(ADD, _form("first")).status_code == 302
    response = admin_client.post(ADD, _form("second", surfaces=("for_you", "similar")))
    page = response.content.decode()
    assert "surface for_you is already under test by experiment" in page
    assert Experiment.objects.count() == 1


def test_running_experiment_is_read_only_and_not_deletable(admin_client):
    admin_client.post(ADD, _form())
    exp = Experiment.objects.get()
    admin_client.post(f"/admin/experiments/experiment/{exp.pk}/decide/start/")
    page = admin_client.get(f"/admin/experiments/experiment/{exp.pk}/change/")
    assert 'name="name"' not in page.content.decode()
    delete = admin_client.get(f"/admin/experiments/experiment/{exp.pk}/delete/")
    assert delete.status_code == 403


def test_the_winner_is_named_on_its_ship_button(admin_client):
    from experiments import services
    from tests.experiments.conftest import two_variants

    variants = two_variants()
    variants[1]["serving_config"] = {"strategy": "bestsellers"}
    exp = services.experiment_create(
        name="clear-win", hypothesis="h", surfaces=["basket"], variants=variants
    )
    exp = services.experiment_start(experiment=exp)
    exp.started_at -= timedelta(days=20)
    exp.save(update_fields=["started_at"])
    product = make_product()
    for i in range(80):
        customer = make_customer()
        variant = exp.variants.order_by("id")[i % 2]
        Impression.objects.create(
            recommendation_id=f"{i:032x}", surface="basket", experiment=exp,
            variant=variant, unit=f"c:{customer.pk}", customer=customer,
            served_at=exp.started_at, product_ids=[product.pk],
        )  # fmt: skip
        price = "50.00" if variant.name == "treatment" else f"{1 + i % 7}.00"
        make_order(customer, [(product, 1, price)],
                   placed_at=exp.started_at + timedelta(days=1))  # fmt: skip
    page = admin_client.get(f"/admin/experiments/experiment/{exp.pk}/change/")
    text = page.content.decode()
    assert "Ship treatment (the winner)" in text
    # no planned stop: the open-ended mSPRT, whose interval is always valid
    assert "beats the control on the always-valid 95 % interval" in text
    assert "Ship control (the winner)" not in text


def test_with_a_planned_stop_the_interval_is_a_repeated_confidence_interval(
    admin_client,
):
    """A planned stop makes the readout an error-spending test: its interval is a
    repeated confidence interval (valid at each look until the stop), not an
    always-valid one."""
    from experiments import services
    from tests.experiments.conftest import two_variants

    exp = services.experiment_create(
        name="planned", hypothesis="h", surfaces=["basket"], variants=two_variants(),
        planned_stop=timezone.now() + timedelta(days=30),
    )  # fmt: skip
    exp = services.experiment_start(experiment=exp)
    exp.started_at -= timedelta(days=10)
    exp.save(update_fields=["started_at"])
    product = make_product()
    for i in range(40):
        customer = make_customer()
        Impression.objects.create(
            recommendation_id=f"{i:032x}", surface="basket", experiment=exp,
            variant=exp.variants.order_by("id")[i % 2], unit=f"c:{customer.pk}",
            customer=customer, served_at=exp.started_at, product_ids=[product.pk],
        )  # fmt: skip
        make_order(customer, [(product, 1, f"{1 + i % 5}.00")],
                   placed_at=exp.started_at + timedelta(days=1))  # fmt: skip
    text = admin_client.get(f"/admin/experiments/experiment/{exp.pk}/change/")
    text = text.content.decode()
    assert "repeated 95 % confidence interval" in text
    assert "until the planned stop" in text
    assert "always-valid" not in text
