"""Deterministic, sticky assignment of units (customers, sessions) to variants.

A unit's bucket is ``sha256(salt + ":" + unit)`` read as a number in [0, 1); the
variant is the first whose cumulative share exceeds it. The same unit always gets
the same variant of an experiment (no state is stored), and because each
experiment has its own random salt, assignments of two experiments are
independent (Kohavi, Tang & Xu, *Trustworthy Online Controlled Experiments*,
Cambridge University Press 2020, ch. 4 "randomization unit" and ch. 14).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

__all__ = ["bucket", "variant_index"]

_SCALE = float(2**64)


def bucket(salt: str, unit: str) -> float:
    """The unit's position in [0, 1) for this salt (first 8 bytes of sha256).

    Raises
    ------
    ValueError
        Empty ``salt`` or ``unit``.
    """
    if not salt or not unit:
        raise ValueError("assignment needs a salt and a unit id")
    digest = hashlib.sha256(f"{salt}:{unit}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def variant_index(salt: str, unit: str, shares: Sequence[float]) -> int:
    """Index of the variant ``unit`` is assigned to.

    Parameters
    ----------
    salt : str, the experiment's salt.
    unit : str, ``"c:<customer pk>"`` or ``"s:<session key>"``.
    shares : sequence of float of length k >= 2, positive, summing to 1.

    Raises
    ------
    ValueError
        Fewer than 2 shares, a share not positive, or shares not summing to 1.
    """
    if len(shares) < 2:
        raise ValueError("an experiment needs at least 2 variants")
    if any(s <= 0 for s in shares) or not math.isclose(sum(shares), 1.0, abs_tol=1e-9):
        raise ValueError(f"shares must be positive and sum to 1, got {list(shares)}")
    position, edge = bucket(salt, unit), 0.0
    for i, share in enumerate(shares):
        edge += share
        if position < edge:
            return i
    return len(shares) - 1
