"""Pricing on the admin home (see core.dashboard): suggestions to review and the
elasticity model."""

from __future__ import annotations

from django.db.models import F

from core.adminkit import changelist_url
from core.dashboard import (
    ModelHealth,
    Queue,
    register_health,
    register_queue,
    weekly_counts,
)
from core.formatting import number

from .models import PriceSuggestion

# the status of a suggestion waiting for review ("proposed"; "pending" in the
# reworked queue, whose stable filter is ?status=pending)
PROPOSED = (
    getattr(PriceSuggestion.Status, "PENDING", None) or PriceSuggestion.Status.PROPOSED
)


def _proposed():
    return PriceSuggestion.objects.filter(status=PROPOSED)


def _elasticity(artifact) -> str:
    m = artifact.metrics or {}
    by_status = m.get("by_status", {})
    quantiles = m.get("quantiles_p05_p25_p50_p75_p95") or []
    text = (
        f"elasticities for {number(m.get('with_elasticity'))} of "
        f"{number(m.get('products'))} products "
        f"({number(by_status.get('identified'))} from their own price changes)"
    )
    if len(quantiles) == 5:
        text += f"; median {quantiles[2]:.2f}"
    return text


register_queue(
    Queue(
        name="pricing-review",
        title="Price suggestions to review",
        audience="pricing analyst",
        permission="pricing.view_pricesuggestion",
        url=lambda: changelist_url(PriceSuggestion, status=PROPOSED),
        count=lambda: _proposed().count(),
        urgent=lambda: (
            _proposed().exclude(current_price=F("product__list_price")).count()
        ),
        urgent_label="stale: the list price changed since",
        trend=lambda: weekly_counts(PriceSuggestion.objects.all(), "created_at"),
        trend_label="suggestions made per week, last 8 weeks",
    )
)
register_health(
    ModelHealth(
        kind="pricing.elasticity",
        title="Price elasticities",
        metric=_elasticity,
        train_task="pricing.suggest_prices",
        permission="pricing.view_elasticityestimate",
    )
)
