"""Template helpers of the storefront: money, readable names, placeholder tiles."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.html import format_html

from shop.naming import display_name

from ..placeholders import placeholder, tile_svg

register = template.Library()
SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}
STATUS_LABELS = {"return_requested": "Return requested"}


@register.filter
def money(value, currency: str = "GBP") -> str:
    """``Decimal("2.95")`` -> ``£2.95``; thousands separated; 2 decimal places."""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    sign = "−" if amount < 0 else ""
    symbol = SYMBOLS.get(currency or "GBP", f"{currency} ")
    return f"{sign}{symbol}{abs(amount):,.2f}"


@register.filter
def readable(description: str) -> str:
    return display_name(description)


@register.filter
def status_label(status: str) -> str:
    """An order status as a shopper reads it (``return_requested`` -> ``Return
    requested``)."""
    return STATUS_LABELS.get(status, str(status).replace("_", " ").capitalize())


@register.simple_tag
def tile(category, size: str = "", label: str = ""):
    """The placeholder picture of a product of ``category``."""
    look = placeholder(category)
    return format_html(
        '<div class="tile {}" style="--tile-bg:{};--tile-fg:{}">{}</div>',
        size,
        look["bg"],
        look["fg"],
        tile_svg(category, label=label),
    )
