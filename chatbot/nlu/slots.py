"""Slot extraction: order numbers, e-mail addresses, quantities and product names.

Pure functions (no Django): the catalogue is passed in as a list of names.

* Order / invoice numbers follow the shop's format: exactly 6 digits, optionally
  preceded by ``C`` (a cancellation invoice), e.g. ``536365`` or ``C536379``. Longer or
  shorter digit runs are reported as ``invalid_order_numbers`` so the bot can say what
  the format is instead of looking them up.
* Product names are matched with rapidfuzz (``token_set_ratio`` of the lower-cased
  text against each catalogue name), which tolerates typos and word order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

ORDER_RE = re.compile(r"(?<![\w-])(?:#\s*)?([cC]?\d{6})(?![\w-])")
DIGITS_RE = re.compile(r"(?<![\w@.-])#?([cC]?\d{5,})(?![\w-])")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
QTY_RE = re.compile(
    r"\b(\d{1,4})\s*(?:x\b|pcs\b|pieces?\b|units?\b|items?\b|of\b|packs?\b)|"
    r"\b(?:qty|quantity|x)\s*:?\s*(\d{1,4})\b",
    re.I,
)
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "dozen": 12,
    "twenty": 20, "fifty": 50, "hundred": 100,
}  # fmt: skip
WORD_QTY_RE = re.compile(
    r"\b(" + "|".join(NUMBER_WORDS) + r")\s+(?!of\s+(?:my|the|your)\b)[a-z]", re.I
)


@dataclass
class Slots:
    """Slots found in one message."""

    order_numbers: list[str] = field(default_factory=list)
    invalid_order_numbers: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    quantity: int | None = None

    def as_dict(self) -> dict:
        out = {
            "order_numbers": self.order_numbers,
            "invalid_order_numbers": self.invalid_order_numbers,
            "emails": self.emails,
            "quantity": self.quantity,
        }
        return {k: v for k, v in out.items() if v}


def is_order_number(value: str) -> bool:
    """True for the shop's invoice format: 6 digits, optionally prefixed by C."""
    return bool(re.fullmatch(r"[cC]?\d{6}", value.strip()))


def extract(text: str) -> Slots:
    """Find order numbers, e-mails and a quantity in ``text``.

    Parameters
    ----------
    text : str, a customer message (any case, typos welcome).

    Returns
    -------
    Slots
    """
    text = str(text)
    emails = EMAIL_RE.findall(text)
    without_emails = EMAIL_RE.sub(" ", text)
    orders = [m.upper() for m in ORDER_RE.findall(without_emails)]
    invalid = [
        d
        for d in DIGITS_RE.findall(without_emails)
        if not is_order_number(d) and d.upper() not in orders
    ]
    return Slots(
        order_numbers=list(dict.fromkeys(orders)),
        invalid_order_numbers=list(dict.fromkeys(invalid)),
        emails=list(dict.fromkeys(e.lower() for e in emails)),
        quantity=extract_quantity(without_emails),
    )


def extract_quantity(text: str) -> int | None:
    """A quantity such as ``3 x``, ``12 pieces``, ``qty 5``, ``two mugs``; or None."""
    match = QTY_RE.search(text)
    if match:
        return int(match.group(1) or match.group(2))
    match = WORD_QTY_RE.search(text)
    if match:
        return NUMBER_WORDS[match.group(1).lower()]
    return None


def match_products(
    text: str, names: Sequence[str], *, cutoff: float = 85, limit: int = 3
) -> list[tuple[int, float]]:
    """Catalogue entries named in ``text``, best first.

    Parameters
    ----------
    text : str, the message.
    names : sequence of str, catalogue descriptions (index = position).
    cutoff : float, minimum rapidfuzz score, 0..100.
    limit : int, matches returned at most.

    Returns
    -------
    list of (index into ``names``, score 0..100).
    """
    from rapidfuzz import fuzz, process, utils

    query = utils.default_process(text)
    if len(query) < 3 or not names:
        return []

    def scorer(q: str, name: str, **kwargs) -> float:
        # A name shorter than the message is searched inside it (partial alignment);
        # a longer name is compared on its words (the message may name part of it).
        if len(name) <= len(q):
            return fuzz.partial_ratio(name, q, **kwargs)
        return fuzz.token_set_ratio(q, name, **kwargs)

    hits = process.extract(
        query,
        names,
        scorer=scorer,
        processor=utils.default_process,
        score_cutoff=cutoff,
        limit=limit * 10,
    )
    # Prefer the match that covers the most characters: "white hanging heart t-light
    # holder" over "heart" when both are found in the message.
    hits.sort(key=lambda h: -h[1] * min(len(h[0]), len(query)))
    return [(int(idx), float(score)) for _, score, idx in hits[:limit]]
