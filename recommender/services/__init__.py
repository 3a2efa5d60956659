"""Services of the recommender app (write side and serving).

* :mod:`.training`: ``recommender_train``, ``recommender_activate``;
* :mod:`.serving`: ``recommend_for_customer``, ``recommend_for_basket``,
  ``similar_products``, ``bought_together`` and the fallback chain;
* :mod:`.surfaces`: ``recommend_buy_again`` and the surface rules;
* :mod:`.pipeline`: the served models' training pipeline (one per surface);
* :mod:`.coldstart`: work done when a product or customer is created;
* :mod:`.evaluation`: ``recommenders_evaluate`` (the issue-3 temporal split).
"""

from .serving import (
    RecommendationResult,
    bought_together,
    recommend_for_basket,
    recommend_for_customer,
    similar_products,
)
from .surfaces import recommend_buy_again
from .training import recommender_activate, recommender_train

buy_again_for_customer = recommend_buy_again  # the admin preview's name for it

__all__ = [
    "RecommendationResult",
    "bought_together",
    "buy_again_for_customer",
    "recommend_buy_again",
    "recommend_for_basket",
    "recommend_for_customer",
    "recommender_activate",
    "recommender_train",
    "similar_products",
]
