"""What the storefront's forms do: change the basket, check out, record events.

Every refusal is a domain error whose message a shopper can read, naming the
product ("Only 3 of Red Heart Mug left in stock"). Checkout places the order
through :func:`shop.services.orders.order_place` (status ``placed``, stock reserved)
and records one ``purchase`` event per line with the recommendation it came from.
"""

from __future__ import annotations

import logging
from datetime import date

from django.db import transaction

from core.exceptions import Conflict, InvalidInput
from inventory.selectors import product_availability
from shop.models import Customer, Order, Product
from shop.services.events import event_record
from shop.services.orders import order_place

from .basket import MAX_LINES, MAX_QUANTITY, Basket, BasketLine

log = logging.getLogger(__name__)


def stock_status(product: Product) -> tuple[str, int, date | None]:
    """(``in_stock`` | ``back_soon`` | ``out_of_stock``, units available, the
    expected restock date or None), as the product page shows it."""
    availability = product_availability(product=product)
    if availability.in_stock:
        return "in_stock", availability.available, None
    restock = availability.expected_restock_date
    return ("back_soon" if restock else "out_of_stock"), 0, restock


def _out_of_stock(product: Product) -> Conflict:
    _, _, restock = stock_status(product)
    when = f" (back on {restock:%-d %b %Y})" if restock else ""
    return Conflict(f"{product.name} is out of stock{when}.", field="product")


def _check_quantity(quantity) -> int:
    try:
        value = int(quantity)
    except (TypeError, ValueError):
        raise InvalidInput("The quantity must be a whole number.", field="quantity")
    if not 0 <= value <= MAX_QUANTITY:
        raise InvalidInput(
            f"The quantity must be between 1 and {MAX_QUANTITY:,}.", field="quantity"
        )
    return value


def _sellable(product_id) -> Product:
    try:
        pk = int(product_id)
    except (TypeError, ValueError):
        raise InvalidInput("Choose a product to add.", field="product") from None
    product = Product.objects.sellable().filter(pk=pk).first()
    if product is None:
        known = Product.objects.of_shop().filter(pk=pk, is_merchandise=True).first()
        name = known.name if known else "This product"
        raise InvalidInput(f"{name} is no longer for sale.", field="product")
    return product


def _check_stock(product: Product, wanted: int) -> None:
    _, available, _ = stock_status(product)
    if available <= 0:
        raise _out_of_stock(product)
    if wanted > available:
        raise Conflict(
            f"Only {available:,} of {product.name} left in stock.",
            field="quantity",
            available=available,
        )


def basket_add(
    *,
    basket: Basket,
    product_id,
    quantity=1,
    recommendation_id: str = "",
    surface: str = "",
) -> tuple[Product, int]:
    """Add ``quantity`` units of a product to the basket.

    Returns
    -------
    (Product, int): the product and its quantity in the basket now.

    Raises
    ------
    InvalidInput
        Not a product for sale (inactive, a service code, a film), a quantity
        outside 1..10,000, or a full basket.
    Conflict
        Out of stock, or fewer units available than the basket would hold.
    """
    quantity = _check_quantity(quantity)
    if quantity < 1:
        raise InvalidInput("Add at least one.", field="quantity")
    product = _sellable(product_id)
    if product.pk not in basket.product_ids() and len(basket.raw) >= MAX_LINES:
        raise InvalidInput(
            f"The basket holds at most {MAX_LINES} products.", field="product"
        )
    wanted = basket.quantity_of(product.pk) + quantity
    _check_stock(product, wanted)
    basket.set(product.pk, wanted, recommendation_id=recommendation_id, surface=surface)
    return product, wanted


def basket_update(*, basket: Basket, product_id, quantity) -> Product | None:
    """Set a basket line's quantity (0 removes it).

    Raises
    ------
    InvalidInput, Conflict
        As :func:`basket_add` (removing is always allowed).
    """
    quantity = _check_quantity(quantity)
    if quantity == 0:
        basket.set(int(product_id), 0)
        return None
    product = _sellable(product_id)
    _check_stock(product, quantity)
    basket.set(product.pk, quantity)
    return product


def checkout_place(
    *, basket: Basket, customer: Customer, shipping_address: str, session_key=""
) -> Order:
    """Place the basket as an order of ``customer`` and empty the basket.

    Raises
    ------
    InvalidInput
        The basket is empty, or the address is missing.
    Conflict
        A product sold out meanwhile (named in the message).
    """
    lines = basket.lines()
    if not lines:
        raise InvalidInput(
            "Your basket is empty: add something before checking out.", field="basket"
        )
    address = (shipping_address or "").strip()
    if not address:
        raise InvalidInput("Enter the address to deliver to.", field="address")
    for line in lines:
        _check_stock(line.product, line.quantity)
    with transaction.atomic():
        try:
            order = order_place(
                customer=customer,
                items=[(line.product, line.quantity) for line in lines],
                shipping_address=address[:2000],
                country=customer.country,
                by=customer.user,
            )
        except Conflict as exc:
            name = _product_named(exc, lines)
            raise Conflict(
                f"{name} sold out while you were shopping; change the basket and try "
                "again.",
                field="basket",
            ) from None
        for line in lines:
            track(
                customer=customer,
                session_key=session_key,
                kind="purchase",
                product=line.product,
                recommendation_id=line.recommendation_id,
                order=order.invoice_no,
                surface=line.surface,
            )
    basket.clear()
    return order


def _product_named(exc: Conflict, lines: list[BasketLine]) -> str:
    for line in lines:
        if f"product {line.product.pk}:" in exc.message:
            return line.product.name
    return "A product"


def track(
    *,
    kind: str,
    customer: Customer | None,
    session_key: str,
    product: Product | None = None,
    recommendation_id: str = "",
    query: str = "",
    order: str = "",
    surface: str = "",
) -> None:
    """Record a storefront event (:func:`shop.services.events.event_record`).

    Never raises: a failed event is logged, and the page the shopper asked for is
    still served.
    """
    metadata = {"surface": surface, "origin": "storefront"} if surface else {}
    try:
        with transaction.atomic():  # a savepoint: a failure never poisons checkout
            event_record(
                kind=kind,
                customer=customer,
                session_key=session_key,
                product_id=product.pk if product else None,
                query=query,
                recommendation_id=recommendation_id,
                order=order,
                metadata=metadata,
            )
    except Exception:  # noqa: BLE001 - events must never break a page
        log.warning("storefront event %s not recorded", kind, exc_info=True)
