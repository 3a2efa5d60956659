"""Pricing defaults, overridden by ``settings.PRICING`` (a dict), read lazily.

Every key can also be set per product or category by a ``PricingRule`` row (rule
values win over these defaults; product rules win over category rules over shop-wide).
"""

from __future__ import annotations

from typing import Any

from core.appsettings import AppSettings

DEFAULTS: dict[str, Any] = {
    # Estimation (see pricing.algorithms.elasticity / panel / pooling)
    "SOURCES": None,  # product sources to estimate (None: all with sales lines)
    "METHOD": "ols",  # "ols" or "huber" (Huber-weighted); week-clustered SE
    "MIN_WEEKS": 8,
    "MIN_WEEKS_PER_PRICE": 2,
    "REFERENCE_WINDOW": 5,  # weeks of the modal reference-price window
    "SMALL_ORDER_QUANTILE": 0.5,
    "POOL_BELOW_PRICES": 3,
    "MIN_CATEGORY_SIZE": 5,
    # A product whose price never moved gets its category's pooled elasticity,
    # flagged as a prior (status "prior"); False leaves it without one.
    "CATEGORY_PRIORS": True,
    # Optimisation rules (see pricing.algorithms.optimizer.Constraints)
    "MIN_MARGIN": 0.10,  # gross margin (p - c) / p
    "MAX_CHANGE": 0.10,  # +/- share of the current price per step
    "ENDINGS": [0.49, 0.99],
    "SMALL_PRICE_ENDING": 0.09,
    "EXTRAPOLATION": 0.10,  # share beyond the observed price range
    "COMPETITOR_BELOW": 0.15,
    "COMPETITOR_ABOVE": 0.05,
    # Unit cost when the product has none: cost = (1 - ASSUMED_MARGIN) * the median
    # observed list price. None -> maximise revenue instead of profit.
    "ASSUMED_MARGIN": 0.40,
    "SUGGEST_POOLED": True,  # also suggest prices for pooled (borrowed) elasticities
    # Move a price on a category prior alone (the product's own sales never saw
    # another price). Off: such products get an elasticity but no price move.
    "MOVE_ON_PRIORS": False,
    # Least expected gain (GBP/week of profit, or of revenue when no cost is known)
    # for a price move to be proposed: smaller ones are not worth a review.
    "MIN_WEEKLY_GAIN": 1.0,
    # Markdown candidates (stock from shop.StockLevel, forecast from inventory)
    # days of cover (the inventory app's, from its latest forecast run) above which
    # a product is overstocked and gets a markdown suggestion
    "OVERSTOCK_DAYS": 180,
    # Markdowns rest on stock the store imported or counted; a level set by the
    # inventory app's assumption rule (StockLevel.is_assumed) is not evidence.
    "MARKDOWN_ON_ASSUMED_STOCK": False,
    "MARKDOWN": 0.05,  # least markdown offered (share off the current price)
    # Holding cost per year as a share of unit cost: a markdown's expected profit
    # counts what its extra sales save in holding (the extra unit would have waited
    # the days of cover, at most HOLDING_DAYS_CAP days); same rate as the inventory
    # app's default HOLDING_COST_RATE.
    "HOLDING_COST_RATE": 0.25,
    "HOLDING_DAYS_CAP": 365,
    "SELLOUT_HORIZON_WEEKS": 8,
    # "Did it work": an applied price is measured this many weeks after it took
    # effect, against the same number of weeks before (pricing.algorithms.readout).
    "READOUT_WEEKS": 8,
}

# Unknown keys in settings.PRICING are refused at start-up (core.appsettings).
APP_SETTINGS = AppSettings("PRICING", DEFAULTS, env_name="PRICING_SETTINGS")


def pricing_settings() -> dict[str, Any]:
    """The effective settings: DEFAULTS updated with ``settings.PRICING``."""
    return APP_SETTINGS.merged()
