"""The shopper's basket, kept in the Django session (no database row until checkout).

Session layout: ``request.session["basket"] = {"<product pk>": {"qty": 2, "rec":
"<recommendation_id or ''>", "surface": "<similar|...|''>"}}``: the quantity and,
when the product was added from a recommendation, the response it came from, so the
purchase can be attributed at checkout.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from shop.models import Product

SESSION_KEY = "basket"
MAX_LINES = 100
MAX_QUANTITY = 10_000


@dataclass
class BasketLine:
    product: Product
    quantity: int
    recommendation_id: str = ""
    surface: str = ""

    @property
    def unit_price(self) -> Decimal:
        """GBP, the product's list price now."""
        return self.product.list_price

    @property
    def total(self) -> Decimal:
        """GBP, quantity x unit price, to the penny."""
        return (self.unit_price * self.quantity).quantize(Decimal("0.01"))


class Basket:
    """Read and change the session basket. Products are loaded from the sellable
    catalogue, so a line whose product was withdrawn disappears (and says so in
    :attr:`dropped`)."""

    def __init__(self, session) -> None:
        self.session = session
        self.dropped: list[str] = []

    @property
    def raw(self) -> dict[str, dict]:
        data = self.session.get(SESSION_KEY)
        return data if isinstance(data, dict) else {}

    def _save(self, data: dict[str, dict]) -> None:
        self.session[SESSION_KEY] = data
        self.session.modified = True

    def quantity_of(self, product_id: int) -> int:
        return int(self.raw.get(str(product_id), {}).get("qty", 0))

    @property
    def count(self) -> int:
        """Units in the basket (the header badge)."""
        return sum(int(v.get("qty", 0)) for v in self.raw.values())

    def product_ids(self) -> list[int]:
        return [int(pk) for pk in self.raw]

    def set(
        self, product_id: int, quantity: int, *, recommendation_id="", surface=""
    ) -> None:
        """Set a line's quantity (0 removes it); keeps the first attribution."""
        data = dict(self.raw)
        key = str(product_id)
        if quantity <= 0:
            data.pop(key, None)
        else:
            line = dict(data.get(key, {}))
            line["qty"] = int(quantity)
            if recommendation_id and not line.get("rec"):
                line["rec"], line["surface"] = recommendation_id, surface
            data[key] = line
        self._save(data)

    def clear(self) -> None:
        self._save({})

    def lines(self) -> list[BasketLine]:
        """The basket's lines, in the order they were added."""
        data = self.raw
        ids = [int(pk) for pk in data]
        products = Product.objects.sellable().select_related("category", "stock")
        found = {p.pk: p for p in products.filter(pk__in=ids)}
        out, keep = [], {}
        for pk in ids:
            product = found.get(pk)
            line = data[str(pk)]
            if product is None:
                self.dropped.append(str(pk))
                continue
            keep[str(pk)] = line
            out.append(
                BasketLine(
                    product=product,
                    quantity=int(line.get("qty", 1)),
                    recommendation_id=str(line.get("rec", "")),
                    surface=str(line.get("surface", "")),
                )
            )
        if len(keep) != len(data):
            self._save(keep)
        return out

    @staticmethod
    def total(lines: list[BasketLine]) -> Decimal:
        """GBP, the sum of the lines."""
        return sum((line.total for line in lines), Decimal("0.00"))
