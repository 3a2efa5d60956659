"""Business filters and the accumulation of items through the fallback chain.

Every answer passes :class:`Collector`: only sellable shop merchandise in stock is
returned (``Product.objects.sellable()``: never demo rating data such as MovieLens
films, postage, fees, inactive, unpriced or out-of-stock products; see
:func:`recommender.selectors.products_servable`), whichever stage proposed it (pins,
model scores, fallbacks, precomputed lists, experiment variants); excluded ids (what
the customer bought, the basket, the product itself) are skipped, an optional
``category_cap`` limits items per category, and a fresh database check runs on the
final candidates so a stale cache cannot serve a blocked product.

Pinned items (:meth:`Collector.pin`) keep their own strategy ("pinned") and reason
and are placed at their rule's position (1 = first) when the answer is built; the
answer's ``strategy`` is the first strategy that is not a pin.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from core.exceptions import InvalidInput

from .. import selectors
from ..bundle import Bundle
from ..conf import rec_settings


@dataclass
class RecommendationResult:
    """What every serving function returns.

    Attributes
    ----------
    items : list of dict with product_id, stock_code, description, score (float,
        comparable within one answer only), reason (str), strategy (str).
    strategy : str, the strategy that answered first, pins aside ("pinned" only
        when nothing but pins answered; see the module docstring).
    model_version : str or None, the artifact label (``kind:vN``) that answered.
    explanation : str, why this strategy answered.
    recommendation_id, variant, experiment : str, set by the experiments' serving
        hook (:func:`experiments.serving.recommendations_serve`); '' otherwise.
    precomputed : bool, served from a precomputed list
        (:mod:`recommender.services.precompute`), not scored online.
    """

    items: list[dict] = field(default_factory=list)
    strategy: str = "bestsellers"
    model_version: str | None = None
    explanation: str = ""
    recommendation_id: str = ""
    variant: str = ""
    experiment: str = ""
    precomputed: bool = False


def check_k(k) -> int:
    """Validate ``k`` (1..``max_k``).

    Raises
    ------
    InvalidInput
        ``k`` is not an integer in range (field ``k``).
    """
    max_k = int(rec_settings()["max_k"])
    try:
        value = int(k)
    except (TypeError, ValueError):
        raise InvalidInput(f"k must be an integer, got {k!r}", field="k")
    if value != k and not (isinstance(k, str) and str(value) == k.strip()):
        raise InvalidInput(f"k must be an integer, got {k!r}", field="k")
    if not 1 <= value <= max_k:
        raise InvalidInput(f"k must be between 1 and {max_k}, got {value}", field="k")
    return value


class Collector:
    """Accumulates candidates through the chain, applying the business filters.

    ``demo_source``: a demo rating data set (``SHOP["DEMO_SOURCES"]``) whose
    products may be served too; only for one of its own customers answered by the
    ratings model (see :func:`recommender.selectors.products_servable`).
    """

    def __init__(self, k: int, exclude: Iterable[int] = (), demo_source: str = ""):
        conf = rec_settings()
        self.k = k
        self.exclude = {int(p) for p in exclude}
        self.cap = conf["category_cap"]
        self.demo_source = demo_source
        self.blocked = selectors.products_blocked(
            max_age=float(conf["filter_cache_seconds"]), demo_source=demo_source
        )
        self.items: list[dict] = []
        self.per_category: dict[int, int] = {}
        self.strategies: list[str] = []
        self.positions: dict[int, int] = {}

    @property
    def missing(self) -> int:
        return self.k - len(self.items)

    def skip(self) -> set[int]:
        return self.exclude | self.blocked | {i["product_id"] for i in self.items}

    def add(
        self,
        strategy: str,
        candidates: list[tuple[int, float, str]],
        rows: dict[int, dict] | None = None,
    ) -> None:
        """``candidates``: (product pk, score, reason), best first. ``rows``: the
        :func:`~recommender.selectors.products_servable` answer for them, when the
        caller fetched it for several calls at once (one query instead of one per
        call); the database is asked otherwise."""
        skip = self.skip()
        fresh = [c for c in candidates if c[0] not in skip]
        if not fresh or self.missing <= 0:
            return
        if rows is None:
            rows = selectors.products_servable(
                product_ids=[c[0] for c in fresh], demo_source=self.demo_source
            )
        before = len(self.items)
        for pk, score, reason in fresh:
            row = rows.get(pk)
            if row is None or self.missing <= 0 or pk in skip:
                continue
            cat = row["category_id"]
            if (
                self.cap
                and cat is not None
                and self.per_category.get(cat, 0) >= self.cap
            ):
                continue
            self.per_category[cat] = self.per_category.get(cat, 0) + 1
            skip.add(pk)
            self.items.append(
                {
                    "product_id": pk,
                    "stock_code": row["stock_code"],
                    "description": row["description"],
                    "score": round(float(score), 6),
                    "reason": reason,
                    "strategy": strategy,
                }
            )
        if len(self.items) > before:
            self.strategies.append(strategy)

    def pin(self, pins: list[tuple[int, int, str]]) -> None:
        """Merchandisers' pins: (product pk, position 1 = first, reason), first
        position first. They pass the business filters like any candidate, keep
        the strategy "pinned" and their reason, and are placed at their position
        when the answer is built (:meth:`ordered`); the rest keep their order."""
        ordered = sorted(pins, key=lambda p: p[1])
        before = {i["product_id"] for i in self.items}
        self.add("pinned", [(pk, 1.0, reason) for pk, _, reason in ordered])
        for pk, position, _ in ordered:
            taken = pk in before or pk in self.positions
            if not taken and any(i["product_id"] == pk for i in self.items):
                self.positions[pk] = max(int(position), 1)

    def ordered(self) -> list[dict]:
        """The items with each pin at its position (1 = first; past the end: last)."""
        pins = [i for i in self.items if i["product_id"] in self.positions]
        out = [i for i in self.items if i["product_id"] not in self.positions]
        for item in sorted(pins, key=lambda i: self.positions[i["product_id"]]):
            out.insert(min(self.positions[item["product_id"]] - 1, len(out)), item)
        return out

    @property
    def main_strategy(self) -> str:
        """The first strategy that answered, pins aside ("pinned" when only pins
        did, "none" when nothing did)."""
        rest = [s for s in self.strategies if s != "pinned"]
        return (rest or self.strategies or ["none"])[0]

    def allowed_cols(self, bundle: Bundle) -> np.ndarray:
        """Columns of ``bundle`` not excluded nor blocked (for model-side masking)."""
        mask = np.ones(bundle.n_items, dtype=bool)
        bad = bundle.cols_of(self.skip())
        mask[bad] = False
        return np.flatnonzero(mask)

    def result(self, bundle: Bundle | None, explanation: str) -> RecommendationResult:
        return RecommendationResult(
            items=self.ordered(),
            strategy=self.main_strategy,
            model_version=bundle.label if bundle is not None else None,
            explanation=explanation,
        )


def overfetch(collector: Collector) -> int:
    return collector.missing * 2 + 10


def pks_of(bundle: Bundle, ids: np.ndarray, scores: np.ndarray):
    keep = ids >= 0
    return bundle.item_ids[ids[keep]], scores[keep]
