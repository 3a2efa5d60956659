"""'Similar' (bought by the same customers) is not 'bought together' (one invoice)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest
import scipy.sparse as sp
from django.utils import timezone

from recommender.algorithms.knn import cosine_neighbours
from tests.factories import make_customer, make_order, make_product


def test_cosine_neighbours_known_answer():
    # items 0 and 2 share users 0-2; item 1 shares user 3 with item 0
    user_items = sp.csr_matrix(
        np.array([[1, 0, 1], [1, 0, 1], [1, 0, 1], [1, 1, 0]], dtype=np.float32)
    )
    ids, scores = cosine_neighbours(user_items, 0, n=5)
    assert ids.tolist() == [2, 1]
    np.testing.assert_allclose(scores, [3 / np.sqrt(12), 1 / np.sqrt(4)], rtol=1e-6)
    with pytest.raises(ValueError, match="item"):
        cosine_neighbours(user_items, 3)


@pytest.fixture
def split_world(db):
    """Six customers buy A, and C in a later, separate order (never together);
    three others buy A and B in one order. C is A's nearest neighbour by customers,
    B its only co-purchase."""
    a, b, c = (make_product(description=f"ITEM {x}") for x in "ABC")
    start = timezone.make_aware(datetime(2011, 3, 1, 10, 0))
    for i in range(6):
        who = make_customer()
        make_order(who, [(a, 1, 1.0)], placed_at=start + timedelta(days=i))
        make_order(who, [(c, 1, 1.0)], placed_at=start + timedelta(days=20 + i))
    for i in range(3):
        who = make_customer()
        make_order(who, [(a, 1, 1.0), (b, 1, 1.0)], placed_at=start + timedelta(i))
    return {"a": a, "b": b, "c": c}


@pytest.mark.parametrize("algorithm", ["popularity", "item_knn"])
def test_similar_differs_from_bought_together(split_world, api_client, algorithm):
    from recommender.services.training import recommender_train

    assert recommender_train(algorithm=algorithm).status == "active"
    a, b, c = split_world["a"], split_world["b"], split_world["c"]
    similar = api_client.get(f"/api/v1/products/{a.pk}/similar", {"k": 2}).json()
    together = api_client.get(
        f"/api/v1/products/{a.pk}/bought-together", {"k": 1}
    ).json()
    assert [i["product_id"] for i in similar["items"]] == [c.pk, b.pk]
    assert similar["strategy"] == "similar_items"
    assert "same customers" in similar["items"][0]["reason"]
    assert together["strategy"] == "bought_together"
    assert [i["product_id"] for i in together["items"]] == [b.pk]
    assert together["items"][0]["reason"] == "bought with ITEM A in 3 orders"
