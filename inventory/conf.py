"""Defaults of the inventory app; settings.INVENTORY overrides them (read lazily)."""

from __future__ import annotations

from typing import Any

from core.appsettings import AppSettings

DEFAULTS: dict[str, Any] = {
    # Forecast horizon in calendar days (24 trading days with Saturdays closed).
    "HORIZON_DAYS": 28,
    # Rolling-origin backtest: trading days per origin, origins, candidate models.
    "BACKTEST_HORIZON": 24,
    "BACKTEST_ORIGINS": 4,
    "CANDIDATES": None,  # None = inventory.algorithms.backtest.DEFAULT_CANDIDATES
    "COMBINE_TOP": 3,
    # A model choice older than this is re-selected by a full backtest.
    "MODEL_CHOICE_MAX_AGE_DAYS": 8,
    # Succeeded forecast runs kept (older ones are deleted with their daily points).
    "KEEP_RUNS": 14,
    # Products per Celery chunk of the nightly forecast.
    "CHUNK_SIZE": 250,
    # Calendar: weekdays closed (Mon=0 .. Sun=6) and the annual closure.
    "CLOSED_WEEKDAYS": (5,),
    "ANNUAL_CLOSURE": ((12, 24), (1, 3)),
    # Shop-wide policy defaults (per category / product in InventoryPolicy rows).
    "LEAD_TIME_DAYS": 14,
    "REVIEW_PERIOD_DAYS": 7,
    "SERVICE_LEVEL": 0.95,
    # Per-product cycle service levels spread within (lower, upper) around the
    # policy's level, which stays their mean over the products planned together (a
    # forecast chunk; the replayed products): more for those that would lose the
    # most units (inventory.algorithms.allocation); None = one level for all.
    # (0.85, 0.995) was chosen on the replays of the 300 top products over
    # March-May and June-August 2011 by issue 18.5's criteria (CSL within 2 points
    # of the target, stock value <= 0.75x the min/max rule's, then the highest fill
    # rate): fill 0.957 / 0.978 against 0.955 / 0.965 with one level and 0.956 /
    # 0.972 with (0.90, 0.99), stock 0.50x / 0.53x the rule's (report-E4).
    "SERVICE_LEVEL_RANGE": (0.85, 0.995),
    "HOLDING_COST_RATE": 0.25,  # per year, fraction of unit cost
    "ORDERING_COST": "25.00",  # GBP per purchase order line
    "MIN_ORDER_QTY": 1,
    "PACK_SIZE": 1,
    # An order never lifts the position above this many days of mean demand
    # (per policy: InventoryPolicy.max_days_of_cover).
    "MAX_DAYS_OF_COVER": 90,
    # Reorder suggestions from an assumed stock level (no count imported) only when
    # the shop opts in: an assumed level is not evidence.
    "SUGGEST_FROM_ASSUMED_STOCK": False,
    # The lead-time demand forecast of the policy is floored by the mean demand of
    # this many recent trading days (0 = the model's forecast alone); see
    # inventory.algorithms.calibration.lead_time_demand. 12 was chosen on the
    # replay of the 300 top products over 2011-06-02..08-31 (cycle service level
    # 0.942 / 0.950 / 0.964 with 24 / 12 / 6 against the 0.95 target), before the
    # autumn window it is judged on (issue 18.5, report-E1).
    "POLICY_RECENT_DAYS": 12,
    # Assumed initial stock when the store imported none: N days of mean demand.
    "ASSUMED_STOCK_DAYS": 30,
    "ASSUMED_STOCK_WINDOW_DAYS": 90,
    # Unit cost when a product has no cost price: this share of its list price.
    "COST_SHARE_OF_PRICE": 0.6,
}

# Unknown keys in settings.INVENTORY are refused at start-up (core.appsettings).
APP_SETTINGS = AppSettings("INVENTORY", DEFAULTS, env_name="INVENTORY_SETTINGS")


def inventory_setting(name: str) -> Any:
    """The value of ``name`` from ``settings.INVENTORY``, else the default."""
    return APP_SETTINGS.get(name)
