"""Complaints and frustration in a customer's message (pure functions, no Django).

The intent model has a ``complaint`` intent, but customers who are fed up often write
about something else ("I've waited three weeks for my parcel!"). These cues catch the
feeling beside whatever the intent is, so the bot can apologise and offer a person.

A message counts as frustrated when it has at least one *strong* cue (an insult to the
service, anger, "unacceptable", a long wait stated in days/weeks, "still not", "nobody
answers", repeated "!!" or a shouted sentence) and is not negated ("not bad").
The cue list follows the complaint categories of customer-service studies (delay,
non-response, poor service, anger) as in the Bitext ``complaint`` intent's wording.
"""

from __future__ import annotations

import re

_STRONG = [
    r"\b(terrible|awful|horrible|appalling|dreadful|atrocious|pathetic|useless|"
    r"rubbish|shocking|disgraceful|disgrace|unacceptable|ridiculous|outrageous|"
    r"incompetent|joke|scam|worst|hopeless)\b",
    r"\b(angry|furious|livid|fed up|sick of|tired of|annoyed|frustrat\w*|"
    r"disappointed|disgusted|upset|fuming)\b",
    r"\b(waited|waiting|been waiting)\b[^.?!]{0,30}\b(\d+|a|an|one|two|three|four|"
    r"five|six|several|many|few)\s+(days?|weeks?|months?)\b",
    r"\b(still|never)\s+(not|hasn'?t|haven'?t|didn'?t|no|arrived|received|got)\b",
    r"\b(no ?one|nobody|no-one)\b[^.?!]{0,20}\b(answer\w*|repl\w*|respond\w*|"
    r"help\w*|call\w* back)\b",
    r"\bwant (to )?(make|file|raise) a complaint\b|\bcomplain\w*\b",
    r"!{2,}",
]
_STRONG_RE = [re.compile(p, re.I) for p in _STRONG]
_NEGATED_RE = re.compile(
    r"\b(not|isn'?t|wasn'?t|never)\s+(that\s+|so\s+|too\s+)?(bad|terrible|awful)\b",
    re.I,
)
_WORD_RE = re.compile(r"[A-Za-z]{3,}")


def frustration_cues(text: str) -> list[str]:
    """The phrases in ``text`` that show a complaint or frustration (may be empty).

    Parameters
    ----------
    text : str, one customer message.

    Returns
    -------
    list of str, the matched phrases in order of the cue list.
    """
    text = text or ""
    cleaned = _NEGATED_RE.sub(" ", text)
    found = []
    for pattern in _STRONG_RE:
        match = pattern.search(cleaned)
        if match:
            found.append(match.group(0))
    words = _WORD_RE.findall(text)
    upper = [w for w in words if w.isupper()]
    if len(words) >= 3 and len(upper) >= 0.6 * len(words):
        found.append("shouting")
    return found


def is_frustrated(text: str) -> bool:
    """True when ``text`` shows a complaint or clear frustration."""
    return bool(frustration_cues(text))
