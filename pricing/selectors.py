"""Read-side queries of the pricing app (ORM rows -> frames, current prices)."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
from django.db.models import Count, Max, QuerySet, Sum

from shop.models import Order, PriceChange, Product
from shop.selectors import merchandise_lines

from .models import CompetitorPrice, ElasticityEstimate, PriceSuggestion, PricingRule


def sales_lines(*, sources: list[str] | None = None) -> QuerySet:
    """Sales lines (sale orders, quantity > 0) on merchandise products."""
    qs = merchandise_lines().filter(order__kind=Order.Kind.SALE, quantity__gt=0)
    if sources:
        qs = qs.filter(product__source__in=sources)
    return qs


def sales_lines_frame(*, sources: list[str] | None = None) -> pd.DataFrame:
    """Sales lines as the frame ``pricing.algorithms.panel.weekly_panel`` reads.

    Returns
    -------
    pandas.DataFrame with product_id, placed_at (UTC), quantity, unit_price (float
    GBP), is_guest (no customer on the order).
    """
    rows = sales_lines(sources=sources).values_list(
        "product_id", "order__placed_at", "quantity", "unit_price", "order__customer_id"
    )
    cols = ["product_id", "placed_at", "quantity", "unit_price", "customer_id"]
    df = pd.DataFrame.from_records(list(rows.iterator(chunk_size=20000)), columns=cols)
    df["unit_price"] = df["unit_price"].astype(float)
    df["quantity"] = df["quantity"].astype(float)
    df["placed_at"] = pd.to_datetime(df["placed_at"], utc=True)
    df["is_guest"] = df.pop("customer_id").isna()
    return df


def sales_fingerprint(*, sources: list[str] | None = None, params: dict) -> str:
    """A cheap fingerprint of the sales data and the parameters (idempotent runs)."""
    agg = sales_lines(sources=sources).aggregate(
        n=Count("id"), units=Sum("quantity"), last=Max("id"), orders=Max("order_id")
    )
    blob = json.dumps({"agg": agg, "params": params}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def product_descriptions(*, product_ids) -> dict[int, tuple[str, str | None]]:
    """product id -> (description, shop category name or None)."""
    rows = Product.objects.filter(pk__in=list(product_ids)).values_list(
        "pk", "description", "category__name"
    )
    return {pk: (desc or "", cat) for pk, desc, cat in rows}


def estimates_current() -> QuerySet[ElasticityEstimate]:
    return ElasticityEstimate.objects.filter(is_current=True).select_related(
        "product", "artifact"
    )


def estimate_current_for_product(*, product: Product) -> ElasticityEstimate | None:
    return estimates_current().filter(product=product).first()


_RULE_FIELDS = (
    "objective",
    "min_margin",
    "max_change",
    "extrapolation",
    "endings",
    "competitor_below",
    "competitor_above",
    "assumed_margin",
)
_SCOPE_ORDER = {"shop": 0, "category": 1, "product": 2}


def rules_active() -> list[PricingRule]:
    return list(PricingRule.objects.filter(is_active=True))


def rule_merge(*, rules: list[PricingRule], product_id: int, category: str) -> dict:
    """Effective rule values (non-null fields): product > category > shop-wide."""
    return rule_merge_sources(rules=rules, product_id=product_id, category=category)[0]


def rule_label(rule: PricingRule) -> str:
    """How a rule is named on screens: 'shop-wide rule #3', "category rule 'CANDLE'"."""
    if rule.scope == PricingRule.Scope.CATEGORY:
        return f"category rule '{rule.category}' #{rule.pk}"
    if rule.scope == PricingRule.Scope.PRODUCT:
        return f"product rule #{rule.pk}"
    return f"shop-wide rule #{rule.pk}"


def rule_merge_sources(
    *, rules: list[PricingRule], product_id: int, category: str
) -> tuple[dict, dict]:
    """(effective rule values, {field: the rule it comes from}); a field missing
    from both comes from the defaults (``pricing.conf``, see :func:`rules_defaults`)."""
    merged: dict = {}
    sources: dict = {}
    applicable = [
        r
        for r in rules
        if r.scope == PricingRule.Scope.SHOP
        or (r.scope == PricingRule.Scope.CATEGORY and r.category == category)
        or (r.scope == PricingRule.Scope.PRODUCT and r.product_id == product_id)
    ]
    for rule in sorted(applicable, key=lambda r: _SCOPE_ORDER[r.scope]):
        for name in _RULE_FIELDS:
            value = getattr(rule, name)
            if value is not None and not (name == "objective" and value == "auto"):
                merged[name] = value
                sources[name] = rule_label(rule)
    return merged, sources


# Rule field -> (settings key, what it means), in the order the rules page shows.
RULE_DEFAULTS = (
    (
        "assumed_margin",
        "ASSUMED_MARGIN",
        "margin assumed when a product has no cost (unit cost = the rest of its "
        "typical price)",
    ),
    ("min_margin", "MIN_MARGIN", "least gross margin (p - c) / p"),
    ("max_change", "MAX_CHANGE", "largest change per step, +/- share"),
    ("extrapolation", "EXTRAPOLATION", "share beyond the observed price range"),
    ("competitor_below", "COMPETITOR_BELOW", "least price below a competitor"),
    ("competitor_above", "COMPETITOR_ABOVE", "most price above a competitor"),
    ("endings", "ENDINGS", "price endings"),
)


def rules_defaults() -> list[dict]:
    """The shop-wide values in force, one row per rule field.

    Returns
    -------
    list of dict with ``field``, ``setting`` (the ``PRICING`` key), ``value``,
    ``source`` ("shop-wide rule #n" or "default (settings PRICING)") and ``meaning``.
    """
    from .conf import pricing_settings

    conf = pricing_settings()
    shop = PricingRule.objects.filter(scope="shop", is_active=True).first()
    rows = []
    for name, key, meaning in RULE_DEFAULTS:
        value = getattr(shop, name) if shop else None
        rows.append(
            {
                "field": name,
                "setting": key,
                "value": conf[key] if value is None else value,
                "source": "default (settings PRICING)"
                if value is None
                else rule_label(shop),
                "meaning": meaning,
            }
        )
    return rows


def rule_for_product(*, product: Product, category: str) -> dict:
    """Effective rule values for one product (see :func:`rule_merge`)."""
    return rule_merge(rules=rules_active(), product_id=product.pk, category=category)


def competitor_prices_latest() -> dict[int, float]:
    """product id -> the most recent competitor price (GBP)."""
    out: dict[int, float] = {}
    for pid, price in CompetitorPrice.objects.order_by(
        "product_id", "observed_at"
    ).values_list("product_id", "price"):
        out[pid] = float(price)
    return out


def competitor_price_latest(*, product: Product) -> CompetitorPrice | None:
    return (
        CompetitorPrice.objects.filter(product=product).order_by("-observed_at").first()
    )


def product_price_get(*, product_id: int) -> dict | None:
    """The storefront's price of an active shop product: its approved list price only
    (an item of a demo rating data set, e.g. a MovieLens film, has none: ``None``).

    Open (unapproved) suggestions never appear: the list price changes only when a
    suggestion is applied through ``shop.services.catalog.product_set_price``.
    """
    product = Product.objects.of_shop().filter(pk=product_id, is_active=True).first()
    if product is None:
        return None
    last = PriceChange.objects.filter(product=product).order_by("-changed_at").first()
    return {
        "product_id": product.pk,
        "stock_code": product.stock_code,
        "price": product.list_price,
        "currency": product.currency,
        "price_changed_at": last.changed_at if last else None,
    }


def suggestions_open() -> QuerySet[PriceSuggestion]:
    return PriceSuggestion.objects.filter(status=PriceSuggestion.Status.PROPOSED)


def estimate_summary() -> dict:
    """Counts by status and elasticity quantiles of the current estimates."""
    qs = estimates_current()
    by_status = dict(qs.values_list("status").annotate(n=Count("id")))
    values = np.array(
        [v for v in qs.exclude(elasticity=None).values_list("elasticity", flat=True)]
    )
    quantiles = (
        dict(
            zip(
                ("p05", "p25", "p50", "p75", "p95"),
                np.quantile(values, [0.05, 0.25, 0.5, 0.75, 0.95]).round(2).tolist(),
                strict=True,
            )
        )
        if len(values)
        else {}
    )
    return {
        "by_status": by_status,
        "n_with_elasticity": int(len(values)),
        "quantiles": quantiles,
    }


def suggestions_queue_summary() -> dict:
    """Counts and totals of the open queue (proposed suggestions).

    Returns
    -------
    dict with ``open``, ``rises``, ``cuts``, ``markdowns``, ``uncertain``,
    ``conflicts``, ``priors`` (counts), ``conflicts_by_rules`` (the commonest
    conflicting rule pairs) and ``profit_confident`` (GBP/week, the expected profit
    change of the confident suggestions: what bulk approval adds).
    """
    from django.db.models import F, Q

    qs = suggestions_open()
    confident = qs.filter(uncertain=False, rule_conflict="")
    conflicts = (
        qs.filter(~Q(rule_conflict=""))
        .values_list("binding_constraint")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    return {
        "conflicts_by_rules": ", ".join(f"{n} {b}" for b, n in conflicts[:3]),
        "open": qs.count(),
        "rises": qs.filter(suggested_price__gt=F("current_price")).count(),
        "cuts": qs.filter(suggested_price__lt=F("current_price")).count(),
        "markdowns": qs.filter(kind=PriceSuggestion.Kind.MARKDOWN).count(),
        "uncertain": qs.filter(uncertain=True).count(),
        "conflicts": qs.filter(~Q(rule_conflict="")).count(),
        "priors": qs.filter(estimate__status="prior").count(),
        "confident": confident.count(),
        "profit_confident": float(
            confident.aggregate(t=Sum("profit_change"))["t"] or 0.0
        ),
    }
