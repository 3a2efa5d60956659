"""Write-side of the inventory app (services, keyword-only)."""

from .forecasts import (
    forecast_demand,
    forecast_dispatch,
    forecast_products,
    forecast_replan,
    forecast_run_finish,
    forecast_run_start,
)
from .purchasing import (
    purchase_order_approve,
    purchase_order_receive,
    suggestions_approve,
    suggestions_order,
    suggestions_reject,
    suggestions_snooze,
)
from .simulation import RANK_BY as SIMULATION_RANK_BY
from .simulation import inventory_simulate
from .stock import stock_assume_initial, stock_import
from .vendors import vendor_prices_import

__all__ = [
    "SIMULATION_RANK_BY",
    "forecast_demand",
    "forecast_dispatch",
    "forecast_products",
    "forecast_replan",
    "forecast_run_finish",
    "forecast_run_start",
    "inventory_simulate",
    "purchase_order_approve",
    "purchase_order_receive",
    "stock_assume_initial",
    "stock_import",
    "suggestions_approve",
    "suggestions_order",
    "suggestions_reject",
    "suggestions_snooze",
    "vendor_prices_import",
]
