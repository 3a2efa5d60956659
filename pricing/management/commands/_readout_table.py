"""Text tables of readout summaries for the pricing commands."""

from __future__ import annotations


def summary_line(s: dict) -> str:
    """'n 41, hit rate 34.1 %, direction right 61.0 %, realised +12.30 vs expected
    +20.10 GBP/week (interval -5.00 to +44.00)'."""
    if not s.get("n"):
        return "n 0"
    return (
        f"n {s['n']}, hit rate {100 * s['hit_rate']:.1f} %, direction right "
        f"{100 * s['direction_rate']:.1f} %, realised {s['realised_total']:+,.2f} vs "
        f"expected {s['expected_total']:+,.2f} GBP/week (interval "
        f"{s['expected_low_total']:+,.2f} to {s['expected_high_total']:+,.2f})"
    )
