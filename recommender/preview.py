"""The merchandiser's preview: every recommendation surface for one customer or one
product, with each item's reason, strategy, price and stock, and the model version.

Read-only: it calls the same serving functions as the API (``recommender.services``),
so what the preview shows is what a shopper would get.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

from django.db.models import Count, Max

from core.exceptions import DomainError, NotFound
from shop.models import Customer, OrderLine, Product

from . import services
from .conf import rec_settings


@dataclass
class Surface:
    """One recommendation surface as the preview shows it."""

    name: str
    title: str
    description: str
    strategy: str = ""
    model_version: str | None = None
    explanation: str = ""
    items: list[dict] = field(default_factory=list)
    error: str = ""


def customer_find(query: str) -> Customer:
    """The customer with external id ``query`` (the configured source preferred).

    Raises
    ------
    NotFound
        No such customer (field ``customer``).
    """
    query = (query or "").strip()
    matches = list(Customer.objects.filter(external_id=query))
    if not matches:
        raise NotFound(f"customer {query!r} does not exist", field="customer")
    preferred = rec_settings()["default_source"]
    return next((c for c in matches if c.source == preferred), matches[0])


def product_find(query: str) -> Product:
    """The shop's product with stock code ``query`` (any case), or with id ``#123``.

    Raises
    ------
    NotFound
        No such product (field ``product``).
    """
    query = (query or "").strip()
    if query.startswith("#") and query[1:].isdigit():
        product = Product.objects.filter(pk=int(query[1:])).first()
    else:
        product = Product.objects.of_shop().filter(stock_code__iexact=query).first()
    if product is None:
        raise NotFound(
            f"product {query!r} does not exist (a stock code such as 85123A, or #id)",
            field="product",
        )
    return product


def _surface(name: str, title: str, description: str, call) -> Surface:
    surface = Surface(name=name, title=title, description=description)
    try:
        result = call()
    except DomainError as exc:
        surface.error = exc.message
        return surface
    surface.strategy = result.strategy
    surface.model_version = result.model_version
    surface.explanation = result.explanation
    surface.items = [dict(item) for item in result.items]
    return surface


def _customer_surfaces(customer: Customer, k: int) -> list[Surface]:
    """for_you, then the other customer surfaces the serving layer offers."""
    fn = services.recommend_for_customer
    takes_surface = "surface" in inspect.signature(fn).parameters
    specs = [
        ("for_you", "For you", "the personalised list of the home page and e-mails"),
    ]
    if takes_surface:
        specs.append(("discover", "Discover", "products new to this customer"))
    surfaces = []
    for name, title, description in specs:
        kwargs = {"surface": name} if takes_surface else {}
        surfaces.append(
            _surface(
                name,
                title,
                description,
                lambda kwargs=kwargs: fn(customer=customer, k=k, **kwargs),
            )
        )
    buy_again = getattr(services, "buy_again_for_customer", None)
    if buy_again is not None:
        surfaces.append(
            _surface(
                "buy_again",
                "Buy again",
                "products this customer buys repeatedly, when due",
                lambda: buy_again(customer=customer, k=k),
            )
        )
    return surfaces


def _product_surfaces(product: Product, k: int) -> list[Surface]:
    return [
        _surface(
            "similar",
            "Similar products",
            "the product page: bought by the same customers",
            lambda: services.similar_products(product=product, k=k),
        ),
        _surface(
            "bought_together",
            "Bought together",
            "the product page: in the same orders",
            lambda: services.bought_together(product=product, k=k),
        ),
        _surface(
            "basket",
            "Basket with this product",
            "the basket page when the basket holds only this product",
            lambda: services.recommend_for_basket(product_ids=[product.pk], k=k),
        ),
    ]


def _enrich(surfaces: list[Surface]) -> None:
    """Add price, currency and stock to every item (one query)."""
    ids = {item["product_id"] for s in surfaces for item in s.items}
    rows = {
        p.pk: p
        for p in Product.objects.filter(pk__in=ids).select_related("stock", "category")
    }
    for surface in surfaces:
        for rank, item in enumerate(surface.items, start=1):
            product = rows.get(item["product_id"])
            item["rank"] = rank
            item["product"] = product
            stock = getattr(product, "stock", None) if product else None
            item["available"] = None if stock is None else stock.available
            item["stock_assumed"] = bool(stock and stock.is_assumed)


def customer_history(customer: Customer, *, limit: int = 10) -> dict:
    """What explains the customer's recommendations: orders and top purchases."""
    lines = OrderLine.objects.filter(
        order__customer=customer, order__kind="sale", quantity__gt=0
    )
    summary = lines.aggregate(
        orders=Count("order", distinct=True),
        products=Count("product", distinct=True),
        last=Max("order__placed_at"),
    )
    top = (
        lines.values("product_id", "product__stock_code", "product__description")
        .annotate(times=Count("order", distinct=True), last=Max("order__placed_at"))
        .order_by("-last", "-times")[:limit]
    )
    return {**summary, "recent": list(top)}


def preview_customer(*, customer: Customer, k: int = 10) -> list[Surface]:
    """Every customer surface for ``customer`` (``k`` items each)."""
    surfaces = _customer_surfaces(customer, k)
    _enrich(surfaces)
    return surfaces


def preview_product(*, product: Product, k: int = 10) -> list[Surface]:
    """Every product surface for ``product`` (``k`` items each)."""
    surfaces = _product_surfaces(product, k)
    _enrich(surfaces)
    return surfaces
