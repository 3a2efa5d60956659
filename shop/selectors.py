"""Read-side queries of the shop (HackSoft style: ``<entity>_<verb>``)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from .conf import shop_setting
from .models import (
    Category,
    Customer,
    ImportIssue,
    Order,
    OrderLine,
    Product,
)


def customer_for_user(*, user) -> Customer | None:
    """The shop customer linked to a Django user, or None (anonymous, staff...)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Customer.objects.filter(user_id=user.pk).first()


def orders_for_customer(*, customer: Customer) -> QuerySet[Order]:
    """All orders of ``customer`` (sales, cancellations, adjustments), newest first."""
    return Order.objects.filter(customer=customer).order_by("-placed_at", "-id")


def order_get_for_customer(*, customer: Customer, invoice_no: str) -> Order | None:
    """The customer's order ``invoice_no``.

    Returns None both when the invoice does not exist and when it belongs to another
    customer, so a caller cannot tell the two apart (no enumeration of invoices).
    """
    if customer is None:
        return None
    return _order_with_lines(
        Order.objects.filter(customer=customer, invoice_no=str(invoice_no).strip())
    )


def order_get(*, invoice_no: str) -> Order | None:
    """Any order by invoice number (staff use)."""
    return _order_with_lines(Order.objects.filter(invoice_no=str(invoice_no).strip()))


def _order_with_lines(orders: QuerySet[Order]) -> Order | None:
    """The first order with its customer, cancelled invoice and lines (with their
    products), in two queries whatever the number of lines.

    The lines' products come by a join, not by a second ``IN (...)`` query over
    their ids: an order can have more than 1,000 distinct products (invoice 573585
    has 1,114), and SQLite refuses an ``IN`` list that long ("Expression tree is
    too large").
    """
    lines = OrderLine.objects.select_related("product").order_by("line_no", "id")
    return (
        orders.select_related("customer", "cancels")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .first()
    )


def orders_visible_to(*, user) -> QuerySet[Order]:
    """Orders a user may see: all for staff, their own for customers, none otherwise."""
    if getattr(user, "is_staff", False):
        return Order.objects.all().order_by("-placed_at", "-id")
    customer = customer_for_user(user=user)
    if customer is None:
        return Order.objects.none()
    return orders_for_customer(customer=customer)


def merchandise_lines() -> QuerySet[OrderLine]:
    """Order lines on merchandise products (postage, fees, adjustments left out)."""
    return OrderLine.objects.filter(product__is_merchandise=True)


def product_catalogue(*, source: str | None = None) -> QuerySet[Product]:
    """What the catalogue lists: the sellable products (no film, no postage or
    service code, nothing inactive or unpriced), ordered by id.

    ``source`` naming a demo rating data set (``SHOP["DEMO_SOURCES"]``, e.g.
    ``movielens``) is the explicit opt-in that lists its items instead, for the
    ratings demo; any other source narrows the sellable products to that source.
    """
    if source and source in shop_setting("DEMO_SOURCES"):
        qs = Product.objects.filter(source=source, is_active=True)
    else:
        qs = Product.objects.sellable()
        if source:
            qs = qs.filter(source=source)
    return qs.select_related("category").order_by("id")


def product_public_get(*, product_id: int, source: str | None = None) -> Product | None:
    """A product a shopper may open by id: sellable. An item of a demo rating data
    set (``SHOP["DEMO_SOURCES"]``, e.g. a MovieLens film) only with that source as
    the explicit opt-in (``source="movielens"``), for the ratings demo (issue 14.1).
    Postage, fees and inactive products never; ``None`` when not found."""
    allowed = Q(pk__in=Product.objects.sellable())
    if source and source in shop_setting("DEMO_SOURCES"):
        allowed |= Q(source=source, is_active=True)
    return (
        Product.objects.select_related("category")
        .filter(pk=product_id)
        .filter(allowed)
        .first()
    )


SEARCH_FIELDS = ("description", "stock_code", "category__name")


def search_terms(query: str) -> list[str]:
    """Words of a search query, singular (``candles`` -> ``CANDLE``), at most 10."""
    from .algorithms.categories import normalise_word

    words = [w for w in str(query or "").replace(",", " ").split() if w.strip()]
    return [normalise_word(w) for w in words[:10]]


def products_search(*, queryset: QuerySet[Product], query: str) -> QuerySet[Product]:
    """``queryset`` narrowed to products matching every word of ``query`` in the
    description, stock code or category name (case-insensitive, plural optional)."""
    for term in search_terms(query):
        cond = Q()
        for name in SEARCH_FIELDS:
            cond |= Q(**{f"{name}__icontains": term})
        queryset = queryset.filter(cond)
    return queryset


def product_popularity() -> dict[int, int]:
    """``{product pk: number of sale orders}`` over the whole history, cached for 10
    minutes (it orders the storefront's lists by popularity)."""
    from django.core.cache import cache

    key = "shop:product_popularity"
    hit = cache.get(key)
    if hit is None:
        rows = (
            OrderLine.objects.filter(order__kind="sale", quantity__gt=0)
            .values("product_id")
            .annotate(n=Count("order_id", distinct=True))
            .values_list("product_id", "n")
        )
        hit = dict(rows)
        cache.set(key, hit, 600)
    return hit


def category_list(*, source: str | None = None) -> QuerySet[Category]:
    """Categories a shopper browses: the shop's own that hold sellable products, with
    ``n_products``; ``source`` naming a demo data set lists its genres instead."""
    if source and source in shop_setting("DEMO_SOURCES"):
        return (
            Category.objects.filter(source=source)
            .annotate(n_products=Count("product"))
            .filter(n_products__gt=0)
            .order_by("name")
        )
    return Category.objects.with_sellable()


def category_get(*, slug: str) -> Category | None:
    return Category.objects.of_shop().filter(slug=slug).first()


def product_get(*, product_id: int) -> Product | None:
    return Product.objects.select_related("category").filter(pk=product_id).first()


def import_issues(*, report_id: int) -> QuerySet[ImportIssue]:
    return ImportIssue.objects.filter(report_id=report_id).order_by("row_number", "id")


def orders_newest_at():
    """When the newest order was placed (None without orders): on historical data,
    the data's "today" that forecasts and model windows count from."""
    from django.db.models import Max

    return Order.objects.aggregate(newest=Max("placed_at"))["newest"]


def data_today():
    """The date of the newest order: the data's "today" on historical data (the
    calendar date when there is no order). One indexed MAX query."""
    from django.utils import timezone

    newest = orders_newest_at()
    return timezone.localtime(newest).date() if newest else timezone.localdate()


def product_offers(*, product_ids: list[int]) -> dict[int, dict]:
    """What a product card needs, for many products in one query.

    Returns ``{product_id: {"price": Decimal list price in GBP, "stock_status":
    "in_stock" | "out_of_stock", "available": units available now (>= 0)}}``; ids
    that are not products are left out.
    """
    ids = [int(pk) for pk in product_ids]
    rows = Product.objects.filter(pk__in=ids).values_list(
        "pk", "list_price", "stock__on_hand", "stock__reserved"
    )  # one query: the stock level is joined (none: 0 available)
    offers = {}
    for pk, price, on_hand, reserved in rows:
        available = max((on_hand or 0) - (reserved or 0), 0)
        offers[pk] = {
            "price": price,
            "stock_status": "in_stock" if available > 0 else "out_of_stock",
            "available": available,
        }
    return offers
