"""Feelings and people in the dialogue (issue 17.5 and the inbox's side of 15.5).

* A complaint or clear frustration (:mod:`chatbot.nlu.feelings`, or the ``complaint``
  intent) gets an apology and the offer of a person (a yes/no); a customer who asks
  for a person in the same breath is handed off at once.
* A handoff opens (or refreshes) the conversation's ticket, tells the customer when a
  person will reply (the SLA's due time) and, when the shop has no e-mail address for
  them, asks for one (stored on the ticket and the customer).
* After a handoff, "anyone there?", "any news?" or another plea for a person gets the
  ticket's status and expected reply time (or the team's reply), not a fresh start.
"""

from __future__ import annotations

import re

from .actions import Turn
from .nlu.feelings import is_frustrated
from .services import tickets

PERSON_RE = re.compile(
    r"\b(speak|talk|chat)\w*\s+(to|with)\s+(a|an|some|any|your|the)?\s*"
    r"(one|body|human|person|people|agent|manager|staff|someone|somebody|real)"
    r"|\b(human|real person|manager|supervisor|agent)\b\s*(please|now)?\s*[.!?]*$",
    re.I,
)
PING_RE = re.compile(
    r"\b(any ?one|any ?body|some ?one|some ?body)\s+(there|here|around|home)\b"
    r"|\bany\s+(news|update|updates|reply|answer|response)\b"
    r"|\b(still|been)\s+waiting\b|\bhello+\s*\?|\bhow long\b"
    r"|\bwhen will\b.{0,30}\b(reply|answer|respond|get back|hear|contact)\b"
    r"|\b(my|the)\s+(ticket|request|case)\b|\bheard (back|anything)\b",
    re.I,
)
# Intents that, after a handoff, mean "where is my person?".
WAITING_INTENTS = {"contact_human_agent", "complaint", "greeting",
                   "contact_customer_service"}  # fmt: skip
SORRY = "I'm really sorry about this; that's not how it should be."
# Questions the bot answers itself even when the customer is upset (then offers a
# person beside the answer).
ANSWERABLE = {"track_refund"}


def asks_for_person(text: str) -> bool:
    """True when the message asks for a human ("can I speak to someone?")."""
    return bool(PERSON_RE.search(text or ""))


def handoff(ctx, *, reason: str, summary: str = "") -> Turn:
    """Open (or refresh) the conversation's ticket and say when a person replies.

    Without a contact e-mail the bot asks for one (the next message answers it, see
    :func:`contact_answer`).
    """
    ticket = tickets.ticket_create(
        conversation=ctx.conversation, reason=reason, summary=summary
    )
    when = tickets.reply_by_text(ticket)
    text = (
        f"I've passed your conversation to our customer service team (ticket "
        f"#{ticket.pk}). A person will reply {when}, here in the chat"
    )
    quick: list[str] = []
    if ticket.contact_email:
        text += f" and by e-mail to {ticket.contact_email}."
    else:
        ctx.state["awaiting"] = {"slot": "email", "ticket": ticket.pk}
        text += (
            ". Which e-mail address should they write to as well? (Or say 'no' to "
            "get the reply here only.)"
        )
        quick = ["No, reply here"]
    return Turn(
        text,
        action="handoff",
        handoff=True,
        quick_replies=quick,
        data={"ticket": ticket.pk, "due_at": _iso(ticket.due_at)},
    )


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def contact_answer(ctx, awaiting: dict, text: str, slots) -> Turn | None:
    """The answer to "which e-mail address?" (None: the message is about else)."""
    from .dialogue import yes_no

    ticket = ctx.conversation.tickets.filter(pk=awaiting.get("ticket")).first()
    if ticket is None:
        return None
    if slots.emails:
        tickets.ticket_contact_set(ticket=ticket, email=slots.emails[0])
        return Turn(
            f"Thanks: the reply to ticket #{ticket.pk} will go to {slots.emails[0]} "
            "and appear here in the chat.",
            action="contact_saved",
            data={"ticket": ticket.pk},
        )
    if yes_no(text) is False or re.search(r"\breply here\b|\bno e-?mail", text, re.I):
        return Turn(
            f"OK: the reply to ticket #{ticket.pk} will appear here in the chat; "
            "come back to this page to read it.",
            action="contact_declined",
            data={"ticket": ticket.pk},
        )
    return None


def contact_for_open_ticket(ctx, text: str, slots) -> Turn | None:
    """An e-mail address written while the conversation's open ticket has none (the
    bot asked for it earlier and the customer answered later): stored on the ticket,
    not read as a request (e.g. "newsletter subscription"). None otherwise."""
    ticket = tickets.ticket_active(conversation=ctx.conversation)
    if ticket is None or ticket.contact_email or not slots.emails:
        return None
    return contact_answer(ctx, {"ticket": ticket.pk}, text, slots)


def after_handoff(ctx, text: str, parse, conf) -> Turn | None:
    """The ticket's status for "anyone there?" after a handoff (None otherwise)."""
    ticket = tickets.ticket_active(conversation=ctx.conversation)
    if ticket is None:
        return None
    waiting = (
        PING_RE.search(text)
        or asks_for_person(text)
        or (parse is not None and parse.intent in WAITING_INTENTS)
        or (parse is not None and parse.confidence < conf["confidence_threshold"])
    )
    if not waiting:
        return None
    if is_frustrated(text) or (parse is not None and parse.intent == "complaint"):
        tickets.ticket_create(conversation=ctx.conversation, reason=ticket.reason)
    return Turn(
        tickets.ticket_status_text(ticket),
        action="ticket_status",
        intent=parse.intent if parse is not None else "",
        data={
            "ticket": ticket.pk,
            "status": ticket.status,
            "due_at": _iso(ticket.due_at),
        },
    )


def is_upset(text: str, parse, conf) -> bool:
    """A complaint (confident ``complaint`` intent) or clear frustration (cues)."""
    confident = parse.confidence >= conf["confidence_threshold"]
    return is_frustrated(text) or (parse.intent == "complaint" and confident)


def upset(ctx, text: str, parse, conf, *, answer) -> Turn:
    """Reply to an upset customer.

    * asked for a person as well: hand off at once, with an apology;
    * a confident order or product question ("I've waited three weeks, where is order
      536365?"): the answer (``answer()``), after an apology, with a person offered;
    * otherwise: an apology and the offer of a person (yes/no).
    """
    from .actions import ORDER_INTENTS

    confident = parse.confidence >= conf["confidence_threshold"]
    reason = "complaint" if parse.intent == "complaint" else "frustration"
    if asks_for_person(text) or (parse.intent == "contact_human_agent" and confident):
        turn = handoff(ctx, reason=reason)
        turn.text = f"{SORRY} {turn.text}"
        turn.intent = "complaint"
        return turn
    if confident and parse.intent in ORDER_INTENTS | ANSWERABLE:
        return soothe(answer())
    turn = offer_person(ctx, reason=reason)
    turn.intent = parse.intent if confident else "complaint"
    return turn


def offer_answer(ctx, pending: dict, text: str, answer: bool | None) -> Turn | None:
    """The customer's answer to "would you like a person?" (None: something else)."""
    if answer is True:
        turn = handoff(ctx, reason=pending.get("reason", "complaint"))
        turn.intent = "contact_human_agent"
        return turn
    if answer is False:
        return Turn(
            "OK. I'm here if you need anything else, and you can say 'talk to a "
            "person' at any time.",
            action="declined_handoff",
        )
    return None


# Sentences of an answer that offer a person (left out once a ticket is open).
OFFER_RE = re.compile(
    r",? or I can pass (you|this conversation) to a person now"
    r"|\s*If an item is faulty, a person can help\."
    r"|\s*If you'd rather talk to a person, say 'talk to a person' and I'll pass "
    r"this to our team\.",
    re.I,
)


def with_open_ticket(ctx, turn: Turn) -> Turn:
    """Once the conversation has an open ticket, an answer does not offer "a person"
    again (a new ticket would be the same one): the offer and its "Talk to a person"
    button give way to the ticket's status. A handoff turn is left as it is."""
    if turn.handoff or turn.action in ("ticket_status", "ticket_updated"):
        return turn
    offers = "Talk to a person" in turn.quick_replies or OFFER_RE.search(turn.text)
    if not offers:
        return turn
    ticket = tickets.ticket_active(conversation=ctx.conversation)
    if ticket is None:
        return turn
    text = OFFER_RE.sub("", turn.text).rstrip()
    if text and text[-1] not in ".!?":
        text += "."
    turn.text = f"{text}\n{tickets.ticket_status_text(ticket)}".strip()
    turn.quick_replies = [q for q in turn.quick_replies if q != "Talk to a person"]
    turn.data = {**turn.data, "ticket": ticket.pk}
    return turn


def offer_person(ctx, *, reason: str) -> Turn:
    """Apologise and offer a person (a yes/no; "yes" hands off). With a ticket
    already open, what the customer said goes to that ticket and they get its
    status instead of a second offer."""
    ticket = tickets.ticket_active(conversation=ctx.conversation)
    if ticket is not None:
        tickets.ticket_create(conversation=ctx.conversation, reason=ticket.reason)
        return Turn(
            f"{SORRY} I've added this to your ticket #{ticket.pk}. "
            + tickets.ticket_status_text(ticket),
            action="ticket_updated",
            data={"ticket": ticket.pk, "status": ticket.status},
        )
    ctx.state["pending"] = {"action": "handoff", "reason": reason}
    return Turn(
        f"{SORRY} Would you like me to pass this to a person on our team? They "
        f"reply {tickets.reply_by_text(None, reason=reason)}.",
        action="offer_handoff",
        quick_replies=["Yes, a person please", "No thanks"],
    )


def soothe(turn: Turn) -> Turn:
    """An answer to a frustrated customer: an apology first, a person offered."""
    turn.text = (
        f"Sorry for the trouble. {turn.text}\nIf you'd rather talk to a person, say "
        "'talk to a person' and I'll pass this to our team."
    )
    if "Talk to a person" not in turn.quick_replies:
        turn.quick_replies = [*turn.quick_replies, "Talk to a person"]
    turn.data = {**turn.data, "frustrated": True}
    return turn
