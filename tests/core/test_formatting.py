"""core.formatting: numbers with their unit and a sensible precision."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from core.formatting import MISSING, age, duration, money, number, percent, units


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (Decimal("2.95"), {}, "£2.95"),
        (2.9999, {}, "£3.00"),
        (1234567.891, {"places": 0}, "£1,234,568"),
        (-4.5, {"signed": True}, "−£4.50"),
        (2.91, {"signed": True}, "+£2.91"),
        (0, {"signed": True}, "£0.00"),
        (10, {"currency": "SEK"}, "10.00 SEK"),
        (np.float32(1.5), {"currency": "EUR"}, "€1.50"),
        (None, {}, MISSING),
        (float("nan"), {}, MISSING),
    ],
)
def test_money(value, kwargs, expected):
    assert money(value, **kwargs) == expected


def test_percent_number_units():
    assert percent(0.9556) == "95.6 %"
    assert percent(0.02, signed=True, places=0) == "+2 %"
    assert percent(-0.125) == "−12.5 %"
    assert number(40.33981180170542, places=1) == "40.3"
    assert number(12345) == "12,345"
    assert units(11.740983634806152, "units/day") == "11.7 units/day"
    assert units(446.18, "units", places=0) == "446 units"
    assert units(None, "days") == MISSING
    assert units("abc", "days") == MISSING


def test_duration():
    assert duration(0.42) == "0.4 s"
    assert duration(42.4) == "42 s"
    assert duration(185) == "3 min 5 s"
    assert duration(7800) == "2 h 10 min"
    assert duration(None) == MISSING


def test_age():
    now = datetime(2011, 12, 9, 12, 0)
    assert age(now - timedelta(minutes=5), now=now) == "5 min ago"
    assert age(now - timedelta(hours=5), now=now) == "5 h ago"
    assert age(now - timedelta(days=3), now=now) == "3 days ago"
    assert age(date(2011, 12, 9), now=now) == "today"
    assert age(date(2011, 12, 11), now=date(2011, 12, 9)) == "in 2 days"
