"""Small helpers that create shop rows for tests (kept plain: no factory library)."""

from __future__ import annotations

import itertools
import zlib
from datetime import datetime
from decimal import Decimal

import numpy as np
from django.contrib.auth import get_user_model
from django.utils import timezone

from shop.models import Customer, Order, OrderLine, Product

_seq = itertools.count(1)


def make_product(stock_code: str | None = None, **kw) -> Product:
    n = next(_seq)
    kw.setdefault("description", f"TEST PRODUCT {n}")
    kw.setdefault("list_price", Decimal("2.50"))
    return Product.objects.create(stock_code=stock_code or f"9{n:05d}", **kw)


def make_customer(external_id: str | None = None, *, with_user: bool = False, **kw):
    n = next(_seq)
    customer = Customer.objects.create(
        external_id=external_id or f"{10000 + n}",
        country=kw.pop("country", "United Kingdom"),
        **kw,
    )
    if with_user:
        user = get_user_model().objects.create_user(
            username=f"cust{customer.external_id}", password="pw-12345678"
        )
        customer.user = user
        customer.save(update_fields=["user"])
    return customer


def make_order(customer, items, *, invoice_no: str | None = None, placed_at=None, **kw):
    """``items``: iterable of (product, quantity, unit_price)."""
    n = next(_seq)
    order = Order.objects.create(
        invoice_no=invoice_no or f"{700000 + n}",
        customer=customer,
        placed_at=placed_at or timezone.make_aware(datetime(2011, 6, 1, 10, 0)),
        country=getattr(customer, "country", "") or "",
        **kw,
    )
    for line_no, (product, qty, price) in enumerate(items, start=1):
        OrderLine.objects.create(
            order=order,
            product=product,
            line_no=line_no,
            quantity=qty,
            unit_price=Decimal(str(price)),
            description=product.description,
        )
    return order


def word_vectors(texts) -> np.ndarray:
    """A stand-in sentence encoder for tests: each word hashed to one of 256 axes,
    rows L2-normalised (texts sharing words are alike). Shape (n, 256), float32."""
    out = np.zeros((len(texts), 256), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in str(text).lower().split():
            out[i, zlib.crc32(word.encode()) % 256] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1.0, norms)
