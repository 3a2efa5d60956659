"""End to end on real data: import a slice of Online Retail -> train -> GET."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from core.models import ModelArtifact
from shop.models import Customer, OrderLine

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_import_train_serve(online_retail_slice, api_client):
    call_command("import_orders", str(online_retail_slice), stdout=StringIO())
    out = StringIO()
    # the slice holds one day of orders: too short for the served pipeline's
    # rolling origins, so the matrix algorithms are trained by name
    matrix = ["--algorithm", "popularity", "--algorithm", "item_knn"]
    matrix += ["--algorithm", "ease"]
    call_command("train_recommender", *matrix, stdout=out)
    assert "train_recommender: 3 model(s)" in out.getvalue()

    customer = Customer.objects.get(source="online_retail", external_id="17850")
    customer.user = get_user_model().objects.create_user("c17850", password="x")
    customer.save()
    api_client.force_authenticate(customer.user)
    response = api_client.get(
        "/api/v1/customers/17850/recommendations", {"k": 10, "surface": "discover"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body["items"]) == 10
    assert body["model_version"].startswith("recommender.purchases:v")
    bought = set(
        OrderLine.objects.filter(order__customer=customer).values_list(
            "product_id", flat=True
        )
    )
    served = {i["product_id"] for i in body["items"]}
    assert not served & bought
    assert all(i["reason"] for i in body["items"])

    # a second training run on the same data reuses the models
    call_command("train_recommender", *matrix, stdout=StringIO())
    assert ModelArtifact.objects.filter(kind="recommender.purchases").count() == 3
