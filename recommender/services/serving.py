"""Serving recommendations: the fallback chain and the business filters.

Fallback chain (each answer says which strategy answered, and each item why)
------------------------------------------------------------------------------
For a customer (:func:`recommend_for_customer`):

1. ``pinned``: valid :class:`recommender.models.PinnedRule` rows for the customer's
   country, each at its rule's position (1 = first) with its own reason and
   strategy; the answer's ``strategy`` and explanation stay those of the first
   strategy below that answered;
2. ``personalised``: the active model of kind ``RECOMMENDER["purchases_kind"]``
   scores the customer (a known row, or the customer's purchases folded in for
   item-based models; a customer without purchases but with storefront events
   folds in what they viewed / added to the cart); the reason names the product
   that contributed most ("because you bought …", "because you viewed …");
   customers with explicit ratings and no purchases are scored by the active
   ``recommender.ratings`` model ("because you rated …");
3. ``content``: neighbours of the few products the customer bought (the model's
   item similarity, then co-purchase lists, then cold-start content neighbours);
4. ``country_bestsellers``: the most popular products in the customer's country;
5. ``bestsellers``: the most popular products overall;
6. ``new_arrivals``: the newest active products, when nothing was ever sold.

With no trained model, steps 4-5 use popularity computed on the fly from the
database (cached ``fallback_cache_seconds``); ``model_version`` is then ``None``.

Business filters on every answer: only sellable shop merchandise in stock
(``Product.objects.sellable()``: never demo rating data such as MovieLens films,
postage or fees, inactive or unpriced products; nor a ``StockLevel`` with available
<= 0) is returned, pins included; what the
customer bought is left out when ``RECOMMENDER["exclude_purchased"]``; an optional
``category_cap`` limits items per category. Products pass a fresh database check
just before the answer, so a stale cache cannot serve a blocked product.
"""

from __future__ import annotations

from core.exceptions import InvalidInput, NotFound
from shop.models import Customer, Product

from .. import selectors
from ..conf import rec_settings
from .collector import Collector, RecommendationResult, check_k
from .loading import ratings_bundle_for, serving_bundle, serving_cache_clear
from .strategies import (
    add_basket_scores,
    add_bestsellers,
    add_category_bestsellers,
    add_content,
    add_new_arrivals,
    add_personalised,
    add_pinned,
    co_purchased_live,
    neighbours_of,
    similar_by_customers,
    similar_by_description,
)

__all__ = [
    "RecommendationResult",
    "bought_together",
    "check_k",
    "recommend_for_basket",
    "recommend_for_customer",
    "serving_bundle",
    "serving_cache_clear",
    "similar_products",
]


def recommend_for_customer(
    *,
    customer: Customer,
    k: int = 10,
    surface: str | None = None,
    pinned: bool = True,
) -> RecommendationResult:
    """Top-``k`` products for ``customer`` on ``surface``, through the fallback chain.

    ``surface`` (default ``RECOMMENDER["default_surface"]``, "for_you") picks the
    model kind and whether bought products may come back
    (``RECOMMENDER["surfaces"]``); "for you" words a re-buy's reason from the
    customer's own cycle. A surface whose model is not trained yet is served by the
    "for you" model with its own exclusion rule. ``pinned=False`` leaves the
    merchandisers' pins out (the precomputed lists, which add them when served).

    Raises
    ------
    InvalidInput
        ``k`` out of 1..max_k (field ``k``) or an unknown surface (``surface``).
    """
    from .surfaces import rebuys_not_due, surface_check, with_rebuy_reasons

    k = check_k(k)
    conf = rec_settings()
    surface = surface_check(surface)
    spec = conf["surfaces"][surface]
    bought = selectors.products_bought_by(customer=customer)
    bundle = (
        serving_bundle(spec.get("kind"), fallback=False) if spec.get("kind") else None
    )
    if bundle is None:
        bundle = serving_bundle()
    if not bought:  # a rating store's customer: serve from the ratings model
        bundle, bought = ratings_bundle_for(customer, bundle, bought)
    exclude = spec.get("exclude_purchased", conf["exclude_purchased"])
    demo_source = ""
    if bundle is not None and bundle.meta.get("data") == "ratings":
        exclude = True  # a film rated is not bought again
        demo_source = customer.source  # a MovieLens rater may be shown films
    # "for you": a product bought before comes back only when it is due again
    skip = bought if exclude else (rebuys_not_due(customer) if bought else ())
    collector = Collector(k, exclude=skip, demo_source=demo_source)
    # without purchases, what the customer viewed or put in the cart is the signal
    signals, verb = bought, ""
    if not bought and customer.erased_at is None:
        signals, verb = selectors.products_viewed_by(customer=customer), "viewed"
    if pinned:
        add_pinned(collector, "customer", customer.country)
    if bundle is not None and collector.missing > 0:
        add_personalised(collector, bundle, customer, signals, verb)
    if collector.missing > 0:
        add_content(collector, bundle, signals, verb or "bought")
    if collector.missing > 0:
        add_bestsellers(collector, bundle, customer.country)
    if collector.missing > 0:
        add_new_arrivals(collector)
    first = collector.main_strategy
    explanation = {
        "personalised": f"{len(bought)} purchases scored by "
        f"the {bundle and bundle.algorithm} model",
        "content": "few purchases: products similar to what you bought",
        "country_bestsellers": "no purchase history: bestsellers in your country",
        "bestsellers": "no purchase history: bestsellers",
        "pinned": "featured by the shop",
        "new_arrivals": "nothing sold yet: newest products",
    }.get(first, "nothing to recommend")
    result = collector.result(bundle, explanation)
    if not exclude and bought:
        result = with_rebuy_reasons(result, customer)
    return result


def similar_products(*, product: Product, k: int = 10) -> RecommendationResult:
    """Products similar to ``product``: bought by the same customers (item-item
    similarity of the active model, or cosine over customers), then, for a product
    the model has not seen, neighbours by description; then bestsellers of its
    category and overall. Not co-purchase in one invoice: see :func:`bought_together`.

    Raises
    ------
    InvalidInput
        ``k`` out of range (field ``k``).
    """
    k = check_k(k)
    collector = Collector(k, exclude=[product.pk])
    bundle = serving_bundle()
    add_pinned(collector, "similar", cats=[product.category_id])
    name = product.description or product.stock_code
    limit = k * 3 + 20
    reason = f"bought by the same customers as {name} (item similarity)"
    found = similar_by_customers(bundle, product.pk, limit)
    collector.add("similar_items", [(pk, s, reason) for pk, s in found])
    if collector.missing > 0:
        reason = f"similar description to {name}"
        found = similar_by_description(product.pk)
        collector.add("similar_items", [(pk, s, reason) for pk, s in found])
    if collector.missing > 0 and product.category_id:
        add_category_bestsellers(collector, product)
    if collector.missing > 0:
        add_bestsellers(collector, bundle, "")
    return collector.result(
        bundle, f"products similar to {name}: bought by the same customers"
    )


def bought_together(*, product: Product, k: int = 10) -> RecommendationResult:
    """Products most often in the same invoice as ``product`` (association confidence).

    Falls back to :func:`similar_products` for a product never co-purchased.

    Raises
    ------
    InvalidInput
        ``k`` out of range (field ``k``).
    """
    k = check_k(k)
    collector = Collector(k, exclude=[product.pk])
    bundle = serving_bundle()
    name = product.description or product.stock_code
    col = bundle.col_of(product.pk) if bundle is not None else None
    if col is not None and bundle.fbt_ids.shape[1]:
        ids, conf, sup = (
            bundle.fbt_ids[col],
            bundle.fbt_conf[col],
            bundle.fbt_support[col],
        )
        keep = ids >= 0
        collector.add(
            "bought_together",
            [
                (
                    int(bundle.item_ids[c]),
                    float(v),
                    f"bought with {name} in {int(s)} orders",
                )
                for c, v, s in zip(ids[keep], conf[keep], sup[keep], strict=False)
            ],
        )
    elif bundle is None or bundle.meta.get("on_the_fly"):
        collector.add("bought_together", co_purchased_live(product, name, k * 3 + 20))
    if collector.missing > 0:
        rest = similar_products(product=product, k=k)
        collector.add(
            rest.strategy if not collector.items else "similar_items",
            [(i["product_id"], 0.0, i["reason"]) for i in rest.items],
        )
    return collector.result(bundle, f"bought in the same orders as {name}")


def recommend_for_basket(
    *, product_ids: list[int], k: int = 10, country: str = ""
) -> RecommendationResult:
    """Recommendations for an anonymous basket (product pks in).

    Raises
    ------
    InvalidInput
        ``k`` out of range (field ``k``) or more than 200 products (``product_ids``).
    NotFound
        Some product ids do not exist (listed in the message).
    """
    k = check_k(k)
    ids = list(dict.fromkeys(int(p) for p in product_ids))  # dedupe, keep order
    if any(not 1 <= p < 2**63 for p in ids):
        raise InvalidInput(
            "product ids must be positive 64-bit integers", field="product_ids"
        )
    if len(ids) > 200:
        raise InvalidInput("a basket holds at most 200 products", field="product_ids")
    existing = set(Product.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [p for p in ids if p not in existing]
    if missing:
        raise NotFound(f"unknown product ids: {missing[:20]}", field="product_ids")
    collector = Collector(k, exclude=ids)
    bundle = serving_bundle()
    add_pinned(collector, "basket", country)
    if bundle is not None and ids:
        add_basket_scores(collector, bundle, ids)
    if collector.missing > 0 and ids:
        found = neighbours_of(bundle, ids, limit=k * 5 + 50)
        names = selectors.products_describe(product_ids={src for _, _, src in found})
        collector.add(
            "content",
            [(pk, s, f"goes with {names.get(src, '?')}") for pk, s, src in found],
        )
    if collector.missing > 0:
        add_bestsellers(collector, bundle, country)
    if collector.missing > 0:
        add_new_arrivals(collector)
    return collector.result(bundle, f"for a basket of {len(ids)} products")
