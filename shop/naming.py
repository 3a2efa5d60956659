"""Product names a shopper reads: the catalogue's upper-case descriptions in title case.

``WHITE HANGING HEART T-LIGHT HOLDER`` -> ``White Hanging Heart T-Light Holder``;
``PACK OF 12 50'S CHRISTMAS TISSUES`` -> ``Pack of 12 50's Christmas Tissues``;
``BLACK CHRISTMAS TREE 60CM`` -> ``Black Christmas Tree 60cm``; ``SET/6 RED SPOTTY
PAPER CUPS`` -> ``Set/6 Red Spotty Paper Cups``; acronyms stay (``LED``, ``USB``).
Descriptions already in mixed case (``Dotcomgiftshop Gift Voucher``) are kept.
"""

from __future__ import annotations

import re

# Short words kept lower case inside a name (never first).
SMALL_WORDS = frozenset("a an and as at by for in of on or the to with w/ x".split())
# Kept as written.
ACRONYMS = frozenset(
    "LED USB UK USA TV CD DVD DIY A4 A5 A6 A3 XL XXL PVC MP3 OK DJ SOS".split()
)
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.]*|[^A-Za-z0-9]+")
_UNIT = re.compile(r"^(\d+(?:\.\d+)?)(CM|MM|M|ML|L|G|KG|W|V|IN)$", re.I)
_CAPS_RUN = re.compile(
    r"\b[A-Z0-9][A-Z0-9'’/&.+-]*(?:[ ,]+[A-Z0-9][A-Z0-9'’/&.+-]*)+\b"
)


def _word(word: str, first: bool) -> str:
    upper = word.upper()
    if upper in ACRONYMS:
        return upper
    unit = _UNIT.match(word)
    if unit:
        return unit.group(1) + unit.group(2).lower()
    lower = word.lower()
    if not first and lower in SMALL_WORDS:
        return lower
    if lower[:1].isdigit():
        return lower  # 50's, 3d, 17080
    return lower[:1].upper() + lower[1:]


def display_name(description: str) -> str:
    """The title-case name of an upper-case catalogue description (see module doc).

    Parameters
    ----------
    description : str, e.g. ``"WHITE HANGING HEART T-LIGHT HOLDER"``.

    Returns
    -------
    str, with runs of spaces collapsed; ``""`` for an empty description.
    """
    text = " ".join(str(description or "").split())
    upper = sum(c.isupper() for c in text)
    if not text or upper < 0.7 * sum(c.isalpha() for c in text):
        return text  # empty, or already written in mixed case
    out: list[str] = []
    first = True
    for part in _WORD.findall(text):
        if part[0].isalnum():
            out.append(_word(part, first))
            first = False
        else:
            out.append(part)
            # after a hyphen or slash the next word is part of the same word
            first = first and not part.strip()
    name = "".join(out)
    # T-LIGHT -> T-Light, SET/3 -> Set/3: capitalise after a hyphen or slash
    return re.sub(r"([-/])([a-z])", lambda m: m.group(1) + m.group(2).upper(), name)


def readable_text(text: str) -> str:
    """``text`` with every upper-case run of two or more words in title case, and
    its first letter capitalised ("because you bought RED HEART MUG" ->
    "Because you bought Red Heart Mug")."""
    text = str(text or "").strip()
    text = _CAPS_RUN.sub(lambda m: display_name(m.group(0)), text)
    return text[:1].upper() + text[1:]
