"""The experiment's results as its admin page shows them (formatted, with units)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from core.formatting import MISSING, money, number, percent

from .charts import lift_chart
from .models import Experiment
from .selectors import Comparison, Readout, experiment_readout


def config_text(config: dict) -> str:
    """A serving configuration in words ("holdout: no recommendations")."""
    if config.get("holdout"):
        return "holdout: no recommendations"
    text = {"bestsellers": "bestsellers"}.get(config.get("strategy"), "active model")
    return f"{text}, at most {config['k']} items" if config.get("k") else text


def _interval(low: float, high: float) -> str:
    return f"[{money(low, signed=True)}, {money(high, signed=True)}]"


def _comparison(c: Comparison, days, window: int) -> dict:
    primary = MISSING
    if c.primary is not None:
        rel = (
            f" ({percent(c.primary.relative, signed=True)})"
            if c.primary.relative
            else ""
        )
        primary = (f"{money(c.primary.difference, signed=True)}{rel}, 95 % interval "
                   f"{_interval(c.primary.low, c.primary.high)}")  # fmt: skip
    cuped = MISSING
    if c.cuped is not None:
        cuped = (f"95 % interval {_interval(c.cuped.low, c.cuped.high)}, variance "
                 f"{percent(-(c.variance_reduction or 0), signed=True)}")  # fmt: skip
    finite = abs(c.seq_low) != float("inf") and abs(c.seq_high) != float("inf")
    sequential = (
        f"{c.interval_name} {_interval(c.seq_low, c.seq_high)} per customer "
        f"over {window} days after assignment (capped, CUPED)"
        if finite
        else f"waiting for customers to complete their {window}-day window"
    )
    decision = {"better": "better than control", "worse": "worse than control"}.get(
        c.decided, "no decision yet"
    )
    return {
        "variant": c.variant,
        "primary": primary,
        "cuped": cuped,
        "sequential": sequential,
        "decision": decision,
        "guardrails": c.guardrails,
        "chart": lift_chart(c, days, window=window),
    }


def readout_html(experiment: Experiment, readout: Readout | None = None) -> SafeString:
    """The results block of the experiment's admin page (``readout`` computed
    here when not given)."""
    r = readout or experiment_readout(experiment=experiment)
    variants = [
        {
            "name": v.name,
            "is_control": v.is_control,
            "config_text": config_text(v.config),
            "share": percent(v.share, places=0),
            "assigned": number(v.assigned),
            "exposed": number(v.exposed),
            "ctr": percent(v.ctr),
            "conversion": percent(v.conversion),
            "rpa": money(v.revenue_per_assigned),
            "recommended": money(v.recommended_revenue),
            "aov": money(v.aov),
            "latency": f"{v.latency_p95_ms:,.1f} ms" if v.latency_p95_ms else MISSING,
        }
        for v in r.variants
    ]
    srm = r.srm
    context = {
        "r": r,
        "variants": variants,
        "winner": r.winner,
        "interval_name": (
            r.comparisons[0].interval_name if r.comparisons else "sequential interval"
        ),
        "horizon": r.comparisons[0].horizon if r.comparisons else None,
        "comparisons": [
            _comparison(c, r.days, experiment.attribution_days) for c in r.comparisons
        ],
        "srm_observed": " / ".join(f"{n:,}" for n in srm.observed) if srm else "",
        "srm_expected": " / ".join(percent(v.share, places=0) for v in r.variants),
        "srm_p": f"{srm.p_value:.3g}" if srm else "",
    }
    return render_to_string("admin/experiments/readout.html", context)
