"""Serving: the fallback chain, business filters and bad input (service level)."""

from __future__ import annotations

import pytest

from core.exceptions import InvalidInput, NotFound
from recommender.models import PinnedRule
from recommender.services import (
    bought_together,
    recommend_for_basket,
    recommend_for_customer,
    similar_products,
)
from shop.models import StockLevel
from tests.factories import make_order, make_product

pytestmark = pytest.mark.django_db


def _ids(result):
    return [item["product_id"] for item in result.items]


def test_personalised_for_a_known_customer_says_why(trained):
    alice = trained["alice"]
    result = recommend_for_customer(customer=alice, k=3)
    assert result.strategy == "personalised"
    assert result.model_version == trained["artifact"].label
    red_pks = {p.pk for p in trained["red"]}
    assert set(_ids(result)) <= red_pks  # her cluster, not the French one
    bought = {trained["red"][0].pk, trained["red"][1].pk}
    for item in result.items:  # "for you": a re-buy gives her cycle as the reason
        if item["product_id"] in bought:
            assert item["reason"].startswith(("you buy this", "you bought this on"))
        else:
            assert item["reason"].startswith("because you bought RED")


def test_no_history_falls_back_to_country_bestsellers(trained):
    result = recommend_for_customer(customer=trained["newbie"], k=5)
    assert result.strategy == "country_bestsellers"
    assert {i["strategy"] for i in result.items} == {"country_bestsellers"}
    assert set(_ids(result)) <= {p.pk for p in trained["blue"]}  # France buys blue
    assert len(result.items) == 5


def test_no_model_trained_serves_on_the_fly_popularity(rec_world):
    result = recommend_for_customer(customer=rec_world["newbie"], k=4)
    assert result.model_version is None
    assert result.strategy == "country_bestsellers"
    assert len(result.items) == 4


def test_empty_shop_serves_new_arrivals(db):
    from tests.factories import make_customer

    make_product(description="BRAND NEW LAMP")
    result = recommend_for_customer(customer=make_customer(), k=3)
    assert result.strategy == "new_arrivals"
    assert [i["description"] for i in result.items] == ["BRAND NEW LAMP"]


def test_filters_already_bought_inactive_out_of_stock_and_non_merchandise(trained):
    alice, red = trained["alice"], trained["red"]
    red[4].is_active = False
    red[4].save()
    StockLevel.objects.create(product=red[5], on_hand=3, reserved=3)
    StockLevel.objects.create(product=red[3], on_hand=10, reserved=0)  # in stock
    result = recommend_for_customer(customer=alice, k=30, surface="discover")
    ids = set(_ids(result))
    assert red[0].pk not in ids and red[1].pk not in ids  # bought
    assert red[4].pk not in ids  # inactive
    assert red[5].pk not in ids  # available = 0
    assert trained["post"].pk not in ids  # postage
    assert red[3].pk in ids
    assert len(result.items) == 12 - 2 - 2  # 12 merch products, all the rest served


def test_already_bought_may_be_allowed_by_settings(trained, settings):
    settings.RECOMMENDER = {**settings.RECOMMENDER, "exclude_purchased": False}
    result = recommend_for_customer(customer=trained["alice"], k=30)
    assert trained["red"][0].pk in _ids(result)


def test_category_cap(trained, settings):
    from shop.models import Category

    cat = Category.objects.create(name="hearts")
    for p in trained["red"]:
        p.category = cat
        p.save()
    settings.RECOMMENDER = {**settings.RECOMMENDER, "category_cap": 2}
    result = recommend_for_customer(customer=trained["alice"], k=6)
    red = {p.pk for p in trained["red"]}
    assert len(red & set(_ids(result))) == 2
    assert len(result.items) == 6


def test_pinned_rule_comes_first_for_its_country(trained):
    blue = trained["blue"][3]
    PinnedRule.objects.create(product=blue, country="United Kingdom", note="summer")
    uk = recommend_for_customer(customer=trained["alice"], k=3)
    assert uk.items[0]["product_id"] == blue.pk and uk.items[0]["reason"] == "summer"
    fr = recommend_for_customer(customer=trained["newbie"], k=3)
    assert fr.items[0]["strategy"] != "pinned"


def test_customer_new_since_training_is_folded_in(trained):
    from tests.factories import make_customer

    late = make_customer(country="Germany")
    make_order(late, [(trained["blue"][0], 1, 1.0)])
    result = recommend_for_customer(customer=late, k=3)
    assert result.strategy == "personalised"
    assert set(_ids(result)) <= {p.pk for p in trained["blue"]}


def test_erased_customer_gets_no_personal_answer(trained):
    from django.utils import timezone

    alice = trained["alice"]
    alice.erased_at = timezone.now()
    alice.save()
    assert recommend_for_customer(customer=alice, k=3).strategy != "personalised"


def test_similar_and_bought_together_stay_in_cluster(trained):
    red0 = trained["red"][0]
    sim = similar_products(product=red0, k=3)
    fbt = bought_together(product=red0, k=3)
    red = {p.pk for p in trained["red"]} - {red0.pk}
    assert sim.strategy == "similar_items" and set(_ids(sim)) <= red
    assert fbt.strategy == "bought_together" and set(_ids(fbt)) <= red
    assert "orders" in fbt.items[0]["reason"]


def test_bought_together_without_model_is_computed_live(rec_world):
    red0 = rec_world["red"][0]
    result = bought_together(product=red0, k=3)
    assert result.strategy == "bought_together"
    assert set(_ids(result)) <= {p.pk for p in rec_world["red"]}


def test_basket(trained):
    blue = trained["blue"]
    result = recommend_for_basket(product_ids=[blue[0].pk, blue[1].pk], k=3)
    assert result.strategy == "basket"
    assert set(_ids(result)) <= {p.pk for p in blue[2:]}
    empty = recommend_for_basket(product_ids=[], k=3)
    assert empty.strategy == "bestsellers" and len(empty.items) == 3


def test_unknown_product_in_basket_is_not_found(trained):
    with pytest.raises(NotFound) as err:
        recommend_for_basket(product_ids=[trained["red"][0].pk, 999999], k=3)
    assert "999999" in err.value.message


@pytest.mark.parametrize("k", [0, -1, 101, "ten", 2.5])
def test_bad_k(trained, k):
    with pytest.raises(InvalidInput) as err:
        recommend_for_customer(customer=trained["alice"], k=k)
    assert err.value.field == "k"


def test_k_larger_than_catalogue_returns_what_exists(trained):
    result = recommend_for_customer(customer=trained["newbie"], k=100)
    assert len(result.items) == 12  # every merchandise product once
    assert len(set(_ids(result))) == 12


def test_new_product_is_recommendable_after_its_cold_start(trained):
    from recommender.services.coldstart import product_cold_start

    new = make_product(description="RED HEART THING DELUXE")
    row = product_cold_start(product_id=new.pk)
    assert row.neighbour_ids[0] in {p.pk for p in trained["red"]}
    sim = similar_products(product=new, k=3)
    assert sim.strategy == "similar_items"
    assert set(_ids(sim)) <= {p.pk for p in trained["red"]}
    basket = recommend_for_basket(product_ids=[row.neighbour_ids[0]], k=12)
    assert new.pk in _ids(basket)


def test_customer_with_only_views_gets_because_you_viewed(trained):
    from django.utils import timezone

    from shop.models import Event

    newbie = trained["newbie"]
    Event.objects.create(
        kind="view",
        customer=newbie,
        product=trained["red"][0],
        occurred_at=timezone.now(),
    )
    result = recommend_for_customer(customer=newbie, k=3)
    assert result.strategy == "personalised"
    assert set(_ids(result)) <= {p.pk for p in trained["red"]}
    assert result.items[0]["reason"] == "because you viewed RED HEART THING 0"


def test_events_join_the_training_matrix(trained):
    from django.utils import timezone

    from recommender.services.training import recommender_train
    from shop.models import Event

    Event.objects.create(
        kind="add_to_cart",
        customer=trained["alice"],
        product=trained["blue"][0],
        occurred_at=timezone.now(),
    )
    again = recommender_train(algorithm="item_knn")
    assert again.version == 2  # the data changed: a new model was trained
    assert again.data_window["events"] == 1


def test_for_you_shows_a_rebuy_only_when_it_is_due(trained):
    """V2 14.4: "for you" ranked first the frame bought minutes ago ("you buy this
    about every 6 months; last bought 9 Dec 2011"). A re-buy comes back once
    ``rebuy_due_fraction`` of the customer's own cycle has passed."""
    from datetime import timedelta

    from recommender.services.surfaces import rebuys_not_due
    from shop.clock import shop_now
    from tests.factories import make_order

    alice, red, blue = trained["alice"], trained["red"], trained["blue"]
    before = [
        i["product_id"] for i in recommend_for_customer(customer=alice, k=6).items
    ]
    assert red[0].pk in before  # bought months ago: due
    now = shop_now()
    make_order(alice, [(red[0], 1, 1.25)], placed_at=now - timedelta(minutes=5))
    # a 30-day cycle, last bought 20 days ago (due); one bought 2 days ago (not)
    for days in (60, 40, 20):
        make_order(alice, [(blue[0], 1, 1.0)], placed_at=now - timedelta(days=days))
    for days in (60, 30, 2):
        make_order(alice, [(blue[1], 1, 1.0)], placed_at=now - timedelta(days=days))
    assert rebuys_not_due(alice) == {red[0].pk, blue[1].pk}
    result = recommend_for_customer(customer=alice, k=6)
    ids = [i["product_id"] for i in result.items]
    assert red[0].pk not in ids and blue[1].pk not in ids
