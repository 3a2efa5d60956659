"""Only sellable shop merchandise is served, whichever stage proposes it, and pins
keep their position and their own strategy (issues 14.1 and 14.6, verifier V2)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from recommender.models import PinnedRule
from recommender.services import (
    recommend_for_basket,
    recommend_for_customer,
    similar_products,
)
from recommender.services.collector import RecommendationResult
from shop.models import Category
from tests.factories import make_product

pytestmark = pytest.mark.django_db


def _film():
    return make_product(
        "1", source="movielens", description="Toy Story (1995)", list_price=0
    )


def _ids(body_or_result):
    items = (
        body_or_result["items"]
        if isinstance(body_or_result, dict)
        else body_or_result.items
    )
    return [i["product_id"] for i in items]


def test_a_pinned_film_reaches_no_api_answer(trained, api_client):
    """A rule pinning a MovieLens film (written without the admin's validation)
    is dropped by the business filters on every surface: customer
    recommendations, similar products and basket recommendations."""
    film = _film()
    unpriced = make_product(description="SHOP THING WITHOUT A PRICE", list_price=0)
    for product in (film, unpriced):
        PinnedRule.objects.create(product=product)  # surface "all", position 1
    alice = trained["alice"]
    red0, blue0 = trained["red"][0], trained["blue"][0]
    api_client.force_authenticate(alice.user)
    bad = {film.pk, unpriced.pk}
    answers = [
        api_client.get(
            f"/api/v1/customers/{alice.external_id}/recommendations", {"k": 5}
        ),
        api_client.get(f"/api/v1/products/{red0.pk}/similar", {"k": 5}),
        api_client.post(
            "/api/v1/recommendations/basket",
            {"product_ids": [blue0.pk], "k": 5},
            format="json",
        ),
    ]
    for response in answers:
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["items"]) == 5
        assert not bad & set(_ids(body)), body["items"]
        assert all(float(i["price"]) > 0 for i in body["items"])


def test_services_never_return_a_film_nor_an_unpriced_product(trained):
    film = _film()
    PinnedRule.objects.create(product=film)
    alice, red0 = trained["alice"], trained["red"][0]
    for result in (
        recommend_for_customer(customer=alice, k=4),
        similar_products(product=red0, k=4),
        recommend_for_basket(product_ids=[red0.pk], k=4),
    ):
        assert film.pk not in _ids(result)


def test_the_serving_hook_drops_what_a_variant_lets_through(trained):
    """The last check in the serving path: a callable that returns a film (as a
    faulty variant or list could) loses it; shop products stay, in order."""
    from experiments.serving import recommendations_serve

    film = _film()
    red = trained["red"]
    items = [
        {"product_id": pk, "reason": "x", "strategy": "s", "score": 1.0}
        for pk in (red[0].pk, film.pk, red[1].pk)
    ]
    result = recommendations_serve(
        surface="for_you",
        k=3,
        recommend=lambda k: RecommendationResult(items=list(items)),
        customer=trained["alice"],
    )
    assert _ids(result) == [red[0].pk, red[1].pk]


def test_pin_form_refuses_a_film_and_a_film_genre_naming_the_field(trained):
    film = _film()
    genre = Category.objects.create(name="Animation", source="movielens")
    with pytest.raises(ValidationError) as err:
        PinnedRule(product=film, category=genre).full_clean()
    assert set(err.value.message_dict) == {"product", "category"}
    assert "Toy Story (1995)" in err.value.message_dict["product"][0]
    with pytest.raises(ValidationError) as err:
        PinnedRule(product=trained["red"][0], position=0).full_clean()
    assert set(err.value.message_dict) == {"position"}
    PinnedRule(product=trained["red"][0], position=3).full_clean()  # valid


def test_admin_pin_form_and_category_list_show_shop_categories_only(
    trained, admin_client
):
    Category.objects.create(name="Western", source="movielens")
    Category.objects.create(name="Lights & lamps", source="shop")
    form = admin_client.get("/admin/recommender/pinnedrule/add/").content.decode()
    assert "Lights &amp; lamps" in form and "Western" not in form
    listing = admin_client.get("/admin/shop/category/").content.decode()
    assert "Lights &amp; lamps" in listing and ">Western<" not in listing
    genres = admin_client.get("/admin/shop/category/", {"catalogue": "demo"})
    assert ">Western<" in genres.content.decode()
    film = _film()
    refused = admin_client.post(
        "/admin/recommender/pinnedrule/add/",
        {"product": film.pk, "surface": "all", "position": 1, "is_active": "on"},
    )
    assert refused.status_code == 200  # the form again, with the error
    assert "is not shop merchandise for sale" in refused.content.decode()
    assert not PinnedRule.objects.exists()


def test_one_pin_keeps_its_own_strategy_and_its_position(trained):
    """A pin at 3 is the third item; the answer's strategy and explanation stay
    the model's; the pinned item says it is pinned."""
    alice = trained["alice"]
    plain = recommend_for_customer(customer=alice, k=5)
    pin = next(p for p in trained["blue"] if p.pk not in _ids(plain))
    PinnedRule.objects.create(product=pin, position=3, note="summer pick")
    result = recommend_for_customer(customer=alice, k=5)
    assert result.strategy == plain.strategy == "personalised"
    assert result.explanation == plain.explanation
    assert _ids(result)[2] == pin.pk
    assert result.items[2]["strategy"] == "pinned"
    assert result.items[2]["reason"] == "summer pick"
    assert _ids(result)[:2] == _ids(plain)[:2]
    # a position past the end of the answer puts it last
    PinnedRule.objects.filter(product=pin).update(position=50)
    from recommender.services.loading import serving_cache_clear

    serving_cache_clear()
    assert _ids(recommend_for_customer(customer=alice, k=5))[-1] == pin.pk


def test_pin_position_on_similar_products(trained):
    red0 = trained["red"][0]
    plain = similar_products(product=red0, k=4)
    pin = trained["blue"][5]
    PinnedRule.objects.create(product=pin, surface="similar", position=2)
    result = similar_products(product=red0, k=4)
    assert _ids(result)[1] == pin.pk
    assert result.strategy == plain.strategy != "pinned"
