"""The API and the storefront serve through the experiments' hook: every answer
carries recommendation_id and variant, and its impression is stored."""

import re

import pytest

from experiments import services
from experiments.models import Impression
from tests.storefront.world import build_shop_world, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings, monkeypatch):
    from django.conf import settings as dj_settings

    monkeypatch.setattr(dj_settings._wrapped, "SECRET_KEY", "exp-tests-" + "k" * 40)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.RECOMMENDER = {"filter_cache_seconds": 0, "active_cache_seconds": 0}
    return build_shop_world()


def _running(surfaces, treatment_config):
    exp = services.experiment_create(
        name="model-vs-bestsellers",
        hypothesis="the model beats bestsellers",
        surfaces=surfaces,
        variants=[
            {"name": "control", "share": "0.5", "is_control": True},
            {"name": "treatment", "share": "0.5", "serving_config": treatment_config},
        ],
    )
    return services.experiment_start(experiment=exp)


def test_customer_api_answer_carries_id_and_variant(world, api_client):
    exp = _running(["for_you"], {"strategy": "bestsellers"})
    alice = world["alice"]
    api_client.force_authenticate(alice.user)
    body = api_client.get(
        f"/api/v1/customers/{alice.external_id}/recommendations", {"k": 3}
    ).json()
    assert re.fullmatch(r"[0-9a-f]{32}", body["recommendation_id"])
    assert body["variant"] in {"control", "treatment"}
    stored = Impression.objects.get(recommendation_id=body["recommendation_id"])
    assert (stored.experiment, stored.variant.name) == (exp, body["variant"])
    assert stored.unit == f"c:{alice.pk}"
    assert stored.product_ids == [i["product_id"] for i in body["items"]]
    if body["variant"] == "treatment":
        assert body["strategy"] in {"bestsellers", "country_bestsellers"}
    else:
        assert body["strategy"] == "personalised"


def test_anonymous_product_api_is_assigned_by_session_key(world, api_client):
    _running(["similar"], {"holdout": True})
    product = world["candles"][0]
    variants = set()
    for key in [f"sess{i:03d}" for i in range(30)]:
        body = api_client.get(
            f"/api/v1/products/{product.pk}/similar", {"k": 3, "session_key": key}
        ).json()
        again = api_client.get(
            f"/api/v1/products/{product.pk}/similar", {"k": 3, "session_key": key}
        ).json()
        assert again["variant"] == body["variant"]
        assert (body["count"] == 0) == (body["variant"] == "treatment")
        variants.add(body["variant"])
    assert variants == {"control", "treatment"}
    # outside an experiment: a recommendation_id, no variant
    body = api_client.get(f"/api/v1/products/{product.pk}/bought-together").json()
    assert body["variant"] == "" and len(body["recommendation_id"]) == 32


def test_storefront_shelf_links_carry_the_logged_recommendation(world, client):
    _running(["for_you"], {"k": 2})
    sign_in(client, world["alice"])
    page = client.get("/").content.decode()
    rec = re.search(r'data-recommendation-id="([0-9a-f]{32})"', page).group(1)
    stored = Impression.objects.get(recommendation_id=rec)
    assert stored.surface == "for_you" and stored.variant is not None
    assert f"rec={rec}" in page
    if stored.variant.name == "treatment":
        assert len(stored.product_ids) <= 2
