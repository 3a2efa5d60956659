"""Read-side queries of the recommender (HackSoft style: ``<entity>_<verb>``)."""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.db.models import F, Q
from django.utils import timezone

from shop.models import Customer, OrderLine, Product, StockLevel

from .models import PinnedRule, ProductNeighbours


def products_bought_by(*, customer: Customer) -> list[int]:
    """Product pks the customer bought (sale lines, quantity > 0), newest first."""
    rows = (
        OrderLine.objects.filter(
            order__customer=customer, order__kind="sale", quantity__gt=0
        )
        .order_by("-order__placed_at", "-order_id")
        .values_list("product_id", flat=True)
    )
    return list(dict.fromkeys(rows))


def products_bought_among(*, customer: Customer, product_ids: list[int]) -> set[int]:
    """Those of ``product_ids`` the customer bought (sale lines, quantity > 0)."""
    return set(
        OrderLine.objects.filter(
            order__customer=customer,
            order__kind="sale",
            quantity__gt=0,
            product_id__in=product_ids,
        ).values_list("product_id", flat=True)
    )


def purchases_dated_of(*, customer: Customer) -> list[tuple[int, object]]:
    """(product pk, placed_at) of the customer's sale lines with quantity > 0."""
    return list(
        OrderLine.objects.filter(
            order__customer=customer, order__kind="sale", quantity__gt=0
        ).values_list("product_id", "order__placed_at")
    )


def products_viewed_by(*, customer: Customer, limit: int = 20) -> list[int]:
    """Products the customer viewed or added to the cart, most recent first."""
    from shop.models import Event

    rows = (
        Event.objects.filter(
            customer=customer, product__isnull=False, kind__in=("view", "add_to_cart")
        )
        .order_by("-occurred_at", "-id")
        .values_list("product_id", flat=True)[: limit * 5]
    )
    return list(dict.fromkeys(rows))[:limit]


def _demo_sources() -> list[str]:
    from shop.conf import shop_setting

    return list(shop_setting("DEMO_SOURCES"))


def products_servable(
    *, product_ids: Iterable[int], demo_source: str = ""
) -> dict[int, dict]:
    """The products among ``product_ids`` that may be recommended, with their fields.

    Servable = sellable shop merchandise (``Product.objects.sellable()``: the shop's
    own catalogue, active, of kind merchandise, with a description and a list price
    above 0 GBP) and in stock when a stock level exists (available = on_hand -
    reserved > 0). ``demo_source`` (e.g. "movielens") also lets the active products
    of that demo rating data set through: only for one of its own customers served
    by the ratings model (the explicit-rating demo), never for a shop customer.
    Returns ``{pk: {stock_code, description, category_id}}``.
    """
    ids = list(dict.fromkeys(int(p) for p in product_ids))
    if not ids:
        return {}
    sellable = Product.objects.sellable().filter(pk__in=ids)
    if demo_source in _demo_sources():
        films = Product.objects.filter(pk__in=ids, source=demo_source, is_active=True)
        sellable = sellable | films
    rows = sellable.exclude(
        stock__isnull=False, stock__on_hand__lte=F("stock__reserved")
    ).values_list("pk", "stock_code", "description", "category_id")
    return {
        pk: {"stock_code": code, "description": desc, "category_id": cat}
        for pk, code, desc, cat in rows
    }


_BLOCKED: dict[str, tuple[float, frozenset[int]]] = {}


def products_blocked(*, max_age: float = 30.0, demo_source: str = "") -> frozenset[int]:
    """Pks of products never to recommend: everything not sellable shop merchandise
    (see :func:`products_servable`; demo rating data, inactive, postage and other
    non-merchandise, no price or description) and what is out of stock.
    ``demo_source``: that demo data set's active products are not blocked.

    Cached in-process for ``max_age`` seconds; serving re-checks its final answer
    with :func:`products_servable`, so a stale cache costs speed, not correctness.
    """
    key = f"all:{demo_source}"
    hit = _BLOCKED.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < max_age:
        return hit[1]
    unsellable = Product.objects.exclude(pk__in=Product.objects.sellable().values("pk"))
    if demo_source in _demo_sources():
        unsellable = unsellable.exclude(source=demo_source, is_active=True)
    blocked = set(unsellable.values_list("pk", flat=True))
    blocked.update(
        StockLevel.objects.filter(on_hand__lte=F("reserved")).values_list(
            "product_id", flat=True
        )
    )
    value = frozenset(blocked)
    _BLOCKED[key] = (now, value)
    return value


_DESCRIPTIONS: dict[int, str] = {}


def products_describe(*, product_ids: Iterable[int]) -> dict[int, str]:
    """``{pk: description}`` (stock code when the description is empty).

    Used for reasons ("because you bought …"); cached in-process (at most 50,000
    products; a renamed product shows its new name after a restart or cache clear).
    """
    wanted = {int(p) for p in product_ids}
    missing = [p for p in wanted if p not in _DESCRIPTIONS]
    if missing:
        rows = Product.objects.filter(pk__in=missing).values_list(
            "pk", "description", "stock_code"
        )
        if len(_DESCRIPTIONS) > 50000:
            _DESCRIPTIONS.clear()
        _DESCRIPTIONS.update({pk: (desc or code) for pk, desc, code in rows})
    return {p: _DESCRIPTIONS[p] for p in wanted if p in _DESCRIPTIONS}


def pinned_rules_for(
    *, surface: str, country: str = "", category_ids: Iterable[int] = ()
) -> list[PinnedRule]:
    """Valid pinned rules for a surface, a customer country and product categories."""
    now = timezone.now()
    cats = [c for c in category_ids if c]
    qs = (
        PinnedRule.objects.filter(is_active=True, surface__in=[surface, "all"])
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=now))
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .filter(Q(country="") | Q(country__iexact=country or ""))
        .filter(Q(category__isnull=True) | Q(category_id__in=cats))
        .order_by("position", "id")
    )
    return list(qs)


def product_neighbours_get(*, product_id: int) -> ProductNeighbours | None:
    """Cold-start neighbours of a product, if the cold-start task computed them."""
    return ProductNeighbours.objects.filter(product_id=product_id).first()


def products_with_neighbour(*, product_ids: Iterable[int]) -> list[ProductNeighbours]:
    """Cold-start rows that list any of ``product_ids`` among their neighbours.

    Lets a new product appear beside the older products it resembles.
    """
    wanted = {int(p) for p in product_ids}
    if not wanted:
        return []
    return [
        row
        for row in ProductNeighbours.objects.all()[:2000]
        if wanted.intersection(row.neighbour_ids[:10])
    ]
