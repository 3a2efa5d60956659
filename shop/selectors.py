"""Read-side queries of the shop (HackSoft style: ``<entity>_<verb>``)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q, QuerySet

from .models import Customer, ImportIssue, Order, OrderLine, Product


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
    return (
        Order.objects.filter(customer=customer, invoice_no=str(invoice_no).strip())
        .prefetch_related("lines__product")
        .first()
    )


def order_get(*, invoice_no: str) -> Order | None:
    """Any order by invoice number (staff use)."""
    return (
        Order.objects.filter(invoice_no=str(invoice_no).strip())
        .prefetch_related("lines__product")
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


def product_list(
    *,
    search: str = "",
    category: str | None = None,
    is_merchandise: bool | None = None,
    is_active: bool | None = None,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    source: str | None = None,
) -> QuerySet[Product]:
    """Products filtered as the catalogue API offers, ordered by id (stable pages)."""
    qs = Product.objects.select_related("category").order_by("id")
    if search:
        qs = qs.filter(
            Q(stock_code__icontains=search) | Q(description__icontains=search)
        )
    if category:
        cond = Q(category__name__iexact=category)
        if str(category).isdigit():
            cond |= Q(category_id=int(category))
        qs = qs.filter(cond)
    if is_merchandise is not None:
        qs = qs.filter(is_merchandise=is_merchandise)
    if is_active is not None:
        qs = qs.filter(is_active=is_active)
    if min_price is not None:
        qs = qs.filter(list_price__gte=min_price)
    if max_price is not None:
        qs = qs.filter(list_price__lte=max_price)
    if source:
        qs = qs.filter(source=source)
    return qs


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
