"""The recommender API: permissions, shapes, bad input (never a 500)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.factories import make_product

pytestmark = pytest.mark.django_db


def _url(customer):
    return f"/api/v1/customers/{customer.external_id}/recommendations"


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user(
        username="staff", password="x", is_staff=True
    )


def test_customer_sees_own_recommendations(trained, api_client):
    alice = trained["alice"]
    api_client.force_authenticate(alice.user)
    response = api_client.get(_url(alice), {"k": 3})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["strategy"] == "personalised"
    assert body["model_version"] == trained["artifact"].label
    assert body["count"] == 3 and len(body["items"]) == 3
    item = body["items"][0]
    assert set(item) >= {"product_id", "stock_code", "description", "score", "reason"}
    bought = {trained["red"][0].pk, trained["red"][1].pk}
    # "for you" (the default) may bring a re-buy back, with the customer's cycle
    for item in body["items"]:
        if item["product_id"] in bought:
            assert item["reason"].startswith(("you buy this", "you bought this on"))
    discover = api_client.get(_url(alice), {"k": 3, "surface": "discover"}).json()
    assert discover["count"] == 3
    assert not bought & {i["product_id"] for i in discover["items"]}


def test_unknown_surface_is_400_naming_surface(trained, api_client):
    api_client.force_authenticate(trained["alice"].user)
    response = api_client.get(_url(trained["alice"]), {"surface": "popular"})
    assert response.status_code == 400, response.content
    assert "unknown surface 'popular'" in response.json()["fields"]["surface"][0]
    assert "discover" in response.json()["fields"]["surface"][0]


def test_buy_again_is_customer_scoped(trained, api_client):
    url = f"/api/v1/customers/{trained['bob'].external_id}/buy-again"
    api_client.force_authenticate(trained["alice"].user)
    assert api_client.get(url).status_code == 403
    api_client.force_authenticate(None)
    assert api_client.get(url).status_code in (401, 403)


def test_customer_cannot_see_another_customers(trained, api_client):
    api_client.force_authenticate(trained["alice"].user)
    response = api_client.get(_url(trained["bob"]))
    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied"
    # an unknown id gets the same answer: no enumeration of customers
    assert api_client.get("/api/v1/customers/nobody/recommendations").status_code == 403


def test_staff_sees_anyone_and_gets_404_for_unknown(trained, api_client, staff):
    api_client.force_authenticate(staff)
    assert api_client.get(_url(trained["bob"])).status_code == 200
    response = api_client.get("/api/v1/customers/424242/recommendations")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_anonymous_is_refused(trained, api_client):
    response = api_client.get(_url(trained["alice"]))
    assert response.status_code in (401, 403)


def test_fallback_for_customer_without_history_says_so(trained, api_client):
    newbie = trained["newbie"]
    api_client.force_authenticate(newbie.user)
    body = api_client.get(_url(newbie), {"k": 4}).json()
    assert body["strategy"] == "country_bestsellers"
    assert all(i["reason"] == "popular in France" for i in body["items"])


def test_no_model_trained_still_answers(rec_world, api_client):
    alice = rec_world["alice"]
    api_client.force_authenticate(alice.user)
    response = api_client.get(_url(alice))
    assert response.status_code == 200
    assert response.json()["model_version"] is None


@pytest.mark.parametrize("k", ["0", "-3", "101", "1000000", "abc", "2.5", "1e3"])
def test_bad_k_is_400_naming_k(trained, api_client, k):
    alice = trained["alice"]
    api_client.force_authenticate(alice.user)
    for url in (
        _url(alice),
        f"/api/v1/products/{trained['red'][0].pk}/similar",
        f"/api/v1/products/{trained['red'][0].pk}/bought-together",
    ):
        response = api_client.get(url, {"k": k})
        assert response.status_code == 400, (url, k, response.content)
        assert "k" in response.content.decode()


def test_similar_and_bought_together(trained, api_client):
    red0 = trained["red"][0]
    for path, strategy in (
        ("similar", "similar_items"),
        ("bought-together", "bought_together"),
    ):
        response = api_client.get(f"/api/v1/products/{red0.pk}/{path}", {"k": 2})
        assert response.status_code == 200
        body = response.json()
        assert body["strategy"] == strategy and len(body["items"]) == 2


@pytest.mark.parametrize("path", ["similar", "bought-together"])
def test_unknown_product_is_404(trained, api_client, path):
    response = api_client.get(f"/api/v1/products/987654/{path}")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize("path", ["similar", "bought-together"])
def test_films_answer_404_without_the_opt_in(trained, api_client, path):
    """A MovieLens film is not the shop's: its similar / bought-together lists
    are a 404 unless ``?source=movielens`` opts in (issue 14.1)."""
    film = make_product("1", source="movielens", description="Toy Story (1995)")
    hidden = api_client.get(f"/api/v1/products/{film.pk}/{path}")
    assert hidden.status_code == 404 and hidden.json()["error"] == "not_found"
    opted_in = api_client.get(
        f"/api/v1/products/{film.pk}/{path}", {"source": "movielens"}
    )
    assert opted_in.status_code == 200, opted_in.content
    # the shop's own products need no opt-in
    red0 = trained["red"][0]
    assert api_client.get(f"/api/v1/products/{red0.pk}/{path}").status_code == 200


def test_basket_endpoint(trained, api_client):
    blue = trained["blue"]
    url = "/api/v1/recommendations/basket"
    response = api_client.post(
        url, {"product_ids": [blue[0].pk], "k": 3}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["strategy"] == "basket"
    missing = api_client.post(url, {"product_ids": [blue[0].pk, 987654]}, format="json")
    assert missing.status_code == 404 and "987654" in missing.json()["detail"]
    bad = api_client.post(url, {"product_ids": "x", "k": 0}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"product_ids", "k"}


def test_basket_with_out_of_range_or_repeated_ids(trained, api_client):
    url = "/api/v1/recommendations/basket"
    huge = api_client.post(url, {"product_ids": [10**23]}, format="json")
    assert huge.status_code == 400 and "product_ids" in huge.json()["fields"]
    blue = trained["blue"][0].pk
    same = api_client.post(url, {"product_ids": [blue, blue, blue]}, format="json")
    assert same.status_code == 200
    assert "basket of 1 products" in same.json()["explanation"]


def test_schema_documents_the_endpoints(api_client):
    response = api_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/customers/{external_id}/recommendations" in paths
    assert "/api/v1/customers/{external_id}/buy-again" in paths
    get = paths["/api/v1/customers/{external_id}/recommendations"]["get"]
    surface = next(p for p in get["parameters"] if p["name"] == "surface")
    assert set(surface["schema"]["enum"]) == {"for_you", "discover"}
    examples = get["responses"]["200"]["content"]["application/json"]["examples"]
    assert "last bought" in str(examples)
    assert "/api/v1/recommendations/basket" in paths


@pytest.mark.parametrize(
    "country", ["<script>alert(1)</script>", "UK; DROP TABLE", "1234", "x" * 65]
)
def test_basket_country_must_look_like_a_country(trained, api_client, country):
    response = api_client.post(
        "/api/v1/recommendations/basket",
        {"product_ids": [trained["blue"][0].pk], "country": country},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "country must be a country name" in response.json()["fields"]["country"][0]


@pytest.mark.parametrize("country", ["France", "EIRE", "Côte d'Ivoire", ""])
def test_basket_accepts_country_names(trained, api_client, country):
    response = api_client.post(
        "/api/v1/recommendations/basket",
        {"product_ids": [trained["blue"][0].pk], "country": country},
        format="json",
    )
    assert response.status_code == 200, response.content


def test_items_carry_price_stock_and_url(trained, api_client):
    """A card needs no extra call: price in GBP, stock status and the product page."""
    from decimal import Decimal

    from shop.models import Product, StockLevel

    alice = trained["alice"]
    api_client.force_authenticate(alice.user)
    items = api_client.get(_url(alice), {"k": 3}).json()["items"]
    first = Product.objects.get(pk=items[0]["product_id"])
    StockLevel.objects.update_or_create(product=first, defaults={"on_hand": 7})
    items = api_client.get(_url(alice), {"k": 3}).json()["items"]
    by_id = {i["product_id"]: i for i in items}
    item = by_id[first.pk]
    assert Decimal(item["price"]) == first.list_price.quantize(Decimal("0.01"))
    assert item["currency"] == "GBP"
    assert item["stock_status"] == "in_stock" and item["available"] == 7
    assert item["url"] == f"/products/{first.pk}/"
    others = [i for i in items if i["product_id"] != first.pk]
    for other in others:
        level = StockLevel.objects.filter(product_id=other["product_id"]).first()
        expected = max(level.available, 0) if level else 0
        assert other["available"] == expected
        assert other["stock_status"] == ("in_stock" if expected else "out_of_stock")
