"""Numbers for people: money, shares, units, durations, with their unit and precision.

Used by the admin (through :mod:`core.adminkit`) and by chart labels. Every function
takes ``None`` (a missing value) and returns ``"–"`` for it; none raises on a
number-like input (``int``, ``float``, ``Decimal``, numpy scalars).

>>> money(2.95)
'£2.95'
>>> money(-4.5, signed=True)
'−£4.50'
>>> percent(0.9556)
'95.6 %'
>>> units(11.740983, "units/day")
'11.7 units/day'
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

MISSING = "–"
MINUS = "−"  # U+2212: a minus sign, not a hyphen
SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def _number(value) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _signed(text: str, number: float, signed: bool) -> str:
    if number < 0:
        return MINUS + text
    return ("+" + text) if signed and number > 0 else text


def money(
    value, currency: str = "GBP", *, places: int = 2, signed: bool = False
) -> str:
    """``£2.95`` (known symbols) or ``2.95 SEK``; ``signed`` adds ``+`` to gains.

    Parameters
    ----------
    value : Decimal, float or None, an amount in ``currency``.
    currency : str, ISO 4217 code.
    places : int, decimals shown (2 for prices; 0 for large totals).
    """
    number = _number(value)
    if number is None:
        return MISSING
    amount = f"{abs(number):,.{places}f}"
    symbol = SYMBOLS.get(currency)
    text = f"{symbol}{amount}" if symbol else f"{amount} {currency}"
    return _signed(text, number, signed)


def percent(value, *, places: int = 1, signed: bool = False) -> str:
    """A share (0.953) as ``95.3 %``; ``signed`` for changes (``+2.0 %``)."""
    number = _number(value)
    if number is None:
        return MISSING
    return _signed(f"{abs(number) * 100:,.{places}f} %", number, signed)


def number(value, *, places: int = 0, signed: bool = False) -> str:
    """A plain number with thousands separators: ``1,234`` or ``0.842``."""
    number_ = _number(value)
    if number_ is None:
        return MISSING
    return _signed(f"{abs(number_):,.{places}f}", number_, signed)


def units(value, unit: str = "units", *, places: int = 1, signed: bool = False) -> str:
    """A quantity with its unit: ``11.7 units/day``, ``446 units``, ``7.1 days``."""
    text = number(value, places=places, signed=signed)
    return text if text == MISSING else f"{text} {unit}"


def duration(seconds) -> str:
    """Seconds as ``0.4 s``, ``12 s``, ``3 min 5 s``, ``2 h 10 min``."""
    value = _number(seconds)
    if value is None:
        return MISSING
    if value < 10:
        return f"{value:.1f} s"
    value = round(value)
    if value < 60:
        return f"{value} s"
    minutes, secs = divmod(value, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def day(value: date | datetime | None) -> str:
    """A date as ``2011-12-09`` (ISO; datetimes in the current time zone)."""
    if value is None:
        return MISSING
    if isinstance(value, datetime):
        from django.utils import timezone

        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return f"{value:%Y-%m-%d}"
    return f"{value:%Y-%m-%d}"


def moment(value: datetime | None) -> str:
    """A time as ``2011-12-09 12:50`` in the current time zone."""
    if value is None:
        return MISSING
    from django.utils import timezone

    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{value:%Y-%m-%d %H:%M}"


def age(value: datetime | date | None, *, now: datetime | date | None = None) -> str:
    """Time before ``now``: ``today``, ``3 days ago``, ``5 h ago``, ``in 2 days``."""
    if value is None:
        return MISSING
    if now is None:
        from django.utils import timezone

        now = timezone.now() if isinstance(value, datetime) else date.today()
    if isinstance(value, datetime) != isinstance(now, datetime):
        value = value.date() if isinstance(value, datetime) else value
        now = now.date() if isinstance(now, datetime) else now
    delta = now - value
    future = delta < timedelta(0)
    delta = abs(delta)
    if not isinstance(value, datetime) or delta >= timedelta(days=2):
        days = delta.days
        if days == 0:
            return "today"
        text = "1 day" if days == 1 else f"{days:,} days"
    elif delta >= timedelta(hours=1):
        text = f"{delta.seconds // 3600 + delta.days * 24} h"
    else:
        text = f"{max(1, delta.seconds // 60)} min"
    return f"in {text}" if future else f"{text} ago"
