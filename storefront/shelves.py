"""Recommendation shelves of the storefront's pages, from the recommender services.

Each shelf is one recommendation response served through the experiments' hook
(:func:`experiments.serving.recommendations_serve`: the visitor's variant, its
serving configuration, the impression): its ``recommendation_id`` goes into every
card's link (``?rec=...&from=surface``), so a click, the add-to-cart and the
purchase that follow carry it (attribution). ``who`` is the visitor
(``{"customer": ..., "session_key": ...}``, see ``storefront.views._common.tracking``).
A failing recommender never breaks a page: the shelf is simply empty (and the
failure logged).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import urlencode

from django.urls import reverse

from experiments.serving import recommendations_serve
from recommender.services import (
    bought_together,
    recommend_for_basket,
    similar_products,
)
from recommender.services.precompute import customer_recommendations
from shop.models import Customer, Product
from shop.naming import readable_text

log = logging.getLogger(__name__)
# "(item similarity)", "(ease)": how the model found it, not a shopper's reason
_TECHNICAL = re.compile(r"\s*\([a-z_ ]+\)\s*$")


@dataclass
class Card:
    product: Product
    reason: str
    recommendation_id: str
    surface: str

    @property
    def url(self) -> str:
        base = reverse("storefront:product-detail", args=[self.product.pk])
        query = {"rec": self.recommendation_id, "from": self.surface}
        return f"{base}?{urlencode(query)}"


@dataclass
class Shelf:
    title: str
    surface: str
    recommendation_id: str = ""
    strategy: str = ""
    model_version: str | None = None
    cards: list[Card] = field(default_factory=list)


def reason_text(reason: str, subject: Product | None = None) -> str:
    """A recommender reason as a shopper reads it: product names in title case,
    without the model's technical note ("because you bought RED MUG (ease)" ->
    "Because you bought Red Mug"); on a product's own page its name reads "this"
    ("Bought with this in 497 orders")."""
    text = _TECHNICAL.sub("", str(reason or ""))
    if subject is not None and subject.description:
        text = text.replace(subject.description, "this")
    return readable_text(text)


def _shelf(
    title: str,
    surface: str,
    call: Callable,
    subject: Product | None = None,
    who: dict | None = None,
    **kwargs,
) -> Shelf:
    who = who or {}
    customer = who.get("customer") or kwargs.get("customer")
    k = kwargs.pop("k")
    try:
        result = recommendations_serve(
            surface=surface,
            k=k,
            recommend=lambda n: call(k=n, **kwargs),
            customer=customer,
            session_key=who.get("session_key", ""),
            country=kwargs.get("country") or getattr(customer, "country", ""),
        )
    except Exception:  # noqa: BLE001 - a page never fails for a missing shelf
        log.warning("recommendations for %s not available", surface, exc_info=True)
        return Shelf(title, surface)
    rec_id = result.recommendation_id
    items = result.items
    products = Product.objects.sellable().select_related("category", "stock")
    found = {p.pk: p for p in products.filter(pk__in=[i["product_id"] for i in items])}
    cards = [
        Card(found[i["product_id"]], reason_text(i["reason"], subject), rec_id, surface)
        for i in items
        if i["product_id"] in found
    ]
    return Shelf(
        title,
        surface,
        rec_id,
        result.strategy,
        result.model_version,
        cards,
    )


def for_customer(customer: Customer, k: int = 12) -> Shelf:
    """Home page, signed in: "Recommended for you"."""
    return _shelf(
        "Recommended for you",
        "for_you",
        partial(customer_recommendations, surface="for_you"),
        customer=customer,
        k=k,
    )  # the customer is the visitor; fmt: skip


def bestsellers(country: str = "", k: int = 12, who: dict | None = None) -> Shelf:
    """Home page, signed out: the shop's bestsellers (and featured products)."""
    return _shelf(
        "Bestsellers",
        "bestsellers",
        recommend_for_basket,
        who=who,
        product_ids=[],
        k=k,
        country=country,
    )


def similar(product: Product, k: int = 6, who: dict | None = None) -> Shelf:
    return _shelf(
        "Customers who bought this also bought", "similar", similar_products,
        subject=product, who=who, product=product, k=k,
    )  # fmt: skip


def together(product: Product, k: int = 6, who: dict | None = None) -> Shelf:
    return _shelf(
        "Often bought together", "bought_together", bought_together,
        subject=product, who=who, product=product, k=k,
    )  # fmt: skip


def for_basket(
    product_ids: list[int], country: str = "", k: int = 6, who: dict | None = None
) -> Shelf:
    return _shelf(
        "Goes well with your basket", "basket", recommend_for_basket,
        who=who, product_ids=product_ids, k=k, country=country,
    )  # fmt: skip


def buy_again(customer: Customer, k: int = 6) -> Shelf:
    """Account page: the recommender's buy-again surface (re-buys by due date, then
    products ordered once)."""
    call = partial(customer_recommendations, surface="buy_again")
    return _shelf("Buy again", "buy_again", call, customer=customer, k=k)
