"""Dialogue benchmark (issue 17.8): scripted multi-turn conversations against a
running server over the chat API; task success per scenario and overall.

The scenarios are in ``benchmarks/chatbot_scenarios.py`` (what the customer says and
what each reply must contain or do). For every scenario this script creates, with the
Django ORM on the database the server uses, a fresh customer (REST token) with the
orders the scenario names, in the states it needs (through the shop's own services:
``order_place`` then ``order_transition``), then talks to the server over HTTP only
and checks each reply: texts, the reply's action, the handoff flag, a support ticket,
products of the shop, and the orders' statuses afterwards.

Start a server on a copy of the demo database (see /work/notes/PREAMBLE "Demo DB")
with the chat throttle raised, then run the benchmark with the same settings::

    export DATABASE_URL=sqlite:////tmp/you.sqlite3 ARTIFACTS_ROOT=/tmp/you-artifacts \\
        SECRET_KEY=... DEBUG=false THROTTLE_CHAT=100000/min
    .venv/bin/python manage.py runserver 127.0.0.1:8766 --noreload &
    .venv/bin/python benchmarks/chatbot_dialogues.py --base-url http://127.0.0.1:8766

It prints one line per scenario, the success per topic and overall, and the client-side
latency per message; ``--failures FILE`` writes each failed turn (scenario, turn,
expected vs got, a guess at the cause) as Markdown. Talks to localhost only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
PLACEHOLDER = re.compile(r"\{(\w+)\}")
ORDER_KEYS = ("delivered_old", "refunded", "delivered", "shipped", "paid", "placed")
BENCH_SOURCE = "dialogue-bench"


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import logging

    import django

    django.setup()
    logging.getLogger("celery").setLevel(logging.WARNING)  # fixtures' cold-start tasks


# --- fixtures (ORM, the shop's services) ----------------------------------------------
class Fixtures:
    """Customers and orders of one run; every scenario gets its own customer."""

    def __init__(self, run_id: str) -> None:
        from shop.models import Product

        self.run_id = run_id
        self.n = 0
        self.products = list(
            Product.objects.sellable()
            .filter(stock__on_hand__gte=200)
            .order_by("pk")[:20]
        )
        if len(self.products) < 2:
            raise SystemExit("the database has no products with stock: bootstrap it")
        self.missing = self._missing_number()

    def _missing_number(self) -> str:
        from shop.models import Order

        taken = set(
            Order.objects.filter(invoice_no__startswith="99").values_list(
                "invoice_no", flat=True
            )
        )
        return next(str(n) for n in range(999999, 990000, -1) if str(n) not in taken)

    def customer(self, *, email: bool) -> tuple[object, str]:
        from django.contrib.auth import get_user_model
        from rest_framework.authtoken.models import Token

        from shop.models import Customer

        self.n += 1
        key = f"{self.run_id}-{self.n}"
        user = get_user_model().objects.create(username=f"bench-{key}")
        user.set_unusable_password()
        user.save()
        customer = Customer.objects.create(
            source=BENCH_SOURCE,
            external_id=key,
            country="United Kingdom",
            email=f"bench-{key}@example.com" if email else "",
            user=user,
        )
        return customer, Token.objects.create(user=user).key

    def order(self, customer, state: str):
        from datetime import datetime, timedelta

        from django.utils import timezone

        from shop.models import Order, OrderStatusChange
        from shop.services.orders import order_place, order_transition

        S = Order.Status
        items = [(self.products[(self.n + i) % len(self.products)], 1) for i in (0, 1)]
        order = order_place(
            customer=customer, items=items, shipping_address="1 Bench Rd"
        )
        path = {
            "placed": [],
            "paid": [S.PAID],
            "shipped": [S.PAID, S.SHIPPED],
            "delivered": [S.PAID, S.SHIPPED, S.DELIVERED],
            "delivered_old": [S.PAID, S.SHIPPED, S.DELIVERED],
            "refunded": [S.PAID, S.SHIPPED, S.DELIVERED, S.RETURN_REQUESTED,
                         S.RETURNED, S.REFUNDED],
        }[state]  # fmt: skip
        for status in path:
            order = order_transition(order=order, to_status=status, note="benchmark")
        if state == "delivered_old":
            placed = timezone.make_aware(datetime(2011, 6, 1, 10, 0))
            Order.objects.filter(pk=order.pk).update(placed_at=placed)
            for i, change in enumerate(order.status_changes.order_by("id")):
                OrderStatusChange.objects.filter(pk=change.pk).update(
                    changed_at=placed + timedelta(days=i)
                )
        return order

    def scenario(self, scenario: dict) -> dict:
        """The placeholders' values and the credentials of ``scenario``'s customer."""
        from shop.models import Customer, Order

        names = set(PLACEHOLDER.findall(json.dumps(scenario["turns"])))
        wanted = set(scenario.get("orders", ())) | (names & set(ORDER_KEYS))
        user = scenario.get("user", "customer")
        values: dict[str, str] = {"missing": self.missing}
        ids: dict[str, int] = {}
        token = ""
        if user == "demo":
            demo = Customer.objects.filter(
                external_id="17850", user__isnull=False
            ).first()
            from rest_framework.authtoken.models import Token

            token = Token.objects.get_or_create(user=demo.user)[0].key
            newest = Order.objects.filter(customer=demo, kind="sale").first()
            values["demo_latest"] = newest.invoice_no
        elif user != "anonymous" or wanted:
            customer, key = self.customer(email=user != "customer_no_email")
            token = key if user != "anonymous" else ""
            for state in ORDER_KEYS:  # oldest first: {placed} is the newest
                if state in wanted:
                    order = self.order(customer, state)
                    values[state], ids[state] = order.invoice_no, order.pk
        if "other" in names:
            other, _ = self.customer(email=True)
            order = self.order(other, "placed")
            values["other"], ids["other"] = order.invoice_no, order.pk
        return {"values": values, "ids": ids, "token": token}


# --- HTTP -----------------------------------------------------------------------------
class Chat:
    """One conversation over the chat API (token or anonymous session cookie)."""

    def __init__(self, base_url: str, token: str = "") -> None:
        parts = urlsplit(base_url)
        if parts.hostname not in LOCAL_HOSTS:
            raise SystemExit(f"refusing to talk to {parts.hostname}: localhost only")
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port or 80)
        self.prefix = parts.path.rstrip("/")
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Token {token}"
        self.id = ""
        self.latencies: list[float] = []

    def _post(self, path: str, body: dict | None) -> dict:
        for _attempt in range(5):
            start = time.perf_counter()
            self.conn.request(
                "POST", self.prefix + path, json.dumps(body or {}), self.headers
            )
            response = self.conn.getresponse()
            raw = response.read()
            self.latencies.append((time.perf_counter() - start) * 1000)
            cookie = response.getheader("Set-Cookie") or ""
            match = re.search(r"sessionid=([^;]+)", cookie)
            if match:
                self.headers["Cookie"] = f"sessionid={match.group(1)}"
            if response.status == 429:
                time.sleep(float(response.getheader("Retry-After") or 2))
                continue
            if response.status >= 400:
                text = raw[:300].decode("utf-8", "replace")
                return {"error": response.status, "body": text}
            return json.loads(raw)
        return {"error": 429, "body": "throttled"}

    def start(self) -> dict:
        body = self._post("/api/v1/chat/conversations/", None)
        self.id = body.get("conversation", {}).get("id", "")
        return body

    def say(self, text: str) -> dict:
        return self._post(f"/api/v1/chat/conversations/{self.id}/messages/",
                          {"text": text})  # fmt: skip


# --- checks ---------------------------------------------------------------------------
def fill(value, values: dict):
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [fill(v, values) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, values) for k, v in value.items()}
    return value


def _names_shop_product(reply: dict) -> bool:
    from shop.models import Product

    rows = (reply.get("data") or {}).get("products") or []
    ids = [r.get("product_id") for r in rows if r.get("product_id")]
    if not ids:
        return False
    found = Product.objects.sellable().filter(pk__in=ids)  # the shop's, price > 0
    text = " ".join(reply.get("text", "").lower().split())
    return any(" ".join(p.description.lower().split()) in text for p in found)


def _products(reply: dict) -> list[dict]:
    return (reply.get("data") or {}).get("products") or []


def _follow_problems(turn: dict, reply: dict, previous: dict) -> list[str]:
    """``follows``: the reply is about a product the previous reply showed;
    ``cheaper``: it shows products cheaper than the one the previous reply led with."""
    problems = []
    shown = {p.get("product_id") for p in _products(previous)}
    now = [p for p in _products(reply) if p.get("product_id")]
    if turn.get("follows") and not ({p["product_id"] for p in now} & shown):
        problems.append("expected the product shown just before")
    if turn.get("cheaper"):
        before = _products(previous)
        top = float(before[0]["price"]) if before else None
        if not now or top is None or any(float(p["price"]) >= top for p in now):
            problems.append(f"expected products cheaper than GBP {top}")
    return problems


def check_turn(
    turn: dict, body: dict, conversation_id: str, ids: dict, previous: dict
) -> list[str]:
    """What is wrong with the reply ``body`` to ``turn`` ([] when all is right)."""
    from chatbot.models import SupportTicket
    from shop.models import Order

    if "error" in body:
        return [f"HTTP {body['error']}: {body.get('body', '')}"]
    reply = body.get("reply", {})
    text = reply.get("text", "")
    low = text.lower()
    problems = []
    if turn.get("any") and not any(s.lower() in low for s in turn["any"]):
        problems.append(f"expected one of {turn['any']}")
    missing = [s for s in turn.get("all", []) if s.lower() not in low]
    if missing:
        problems.append(f"expected all of {missing}")
    present = [s for s in turn.get("none", []) if s.lower() in low]
    if present:
        problems.append(f"must not say {present}")
    if "action" in turn and reply.get("action") not in turn["action"]:
        problems.append(f"expected action in {turn['action']}")
    if "handoff" in turn and bool(body.get("handoff")) != turn["handoff"]:
        problems.append(f"expected handoff={turn['handoff']}")
    if "ticket" in turn:
        has = SupportTicket.objects.filter(
            conversation__public_id=conversation_id
        ).exists()
        if has != turn["ticket"]:
            problems.append(f"expected ticket={turn['ticket']}")
    if "product" in turn and _names_shop_product(reply) != turn["product"]:
        problems.append(
            "expected a shop product named"
            if turn["product"]
            else "expected no product"
        )
    problems += _follow_problems(turn, reply, previous)
    for key, status in (turn.get("status") or {}).items():
        got = Order.objects.filter(pk=ids.get(key)).values_list("status", flat=True)
        if list(got) != [status]:
            problems.append(f"expected order {key} {status}, is {list(got)}")
    return problems


def guess_cause(turn: dict, reply: dict, problems: list[str]) -> str:
    """A first guess at why a turn failed, for whoever fixes it."""
    action = reply.get("action", "")
    said = turn["say"].lower()
    if action == "clarify":
        return "NLU: intent below the confidence threshold (or a lone word)"
    if action.startswith("product") and turn.get("product") is False:
        return "outside-the-shop or not-sold question answered with a catalogue search"
    if action == "ask_order_number" and any(
        w in said for w in ("latest", "last", "recent", " it", "other one")
    ):
        return "context: 'latest/it/the other one' not resolved to an order"
    if action == "recommendation" and "recent" in said:
        return "context: the answer to the bot's question was not taken as one"
    if any("ticket" in p or "handoff" in p for p in problems):
        return "handoff / ticket flow (chatbot/support.py)"
    if any("product" in p for p in problems):
        return "product search or follow-up (chatbot/actions.py, knowledge)"
    if any("order " in p and " is " in p for p in problems):
        return "action taken or not taken (order state)"
    if action in ("faq", "answer"):
        return f"answer text of intent {reply.get('intent', '?')} (FAQ/policy)"
    return f"reply action {action!r}"


@dataclass
class Result:
    scenario: dict
    ok: bool = True
    failures: list[dict] = field(default_factory=list)


def run_scenario(scenario: dict, fixtures: Fixtures, base_url: str) -> Result:
    setup = fixtures.scenario(scenario)
    chat = Chat(base_url, setup["token"])
    result = Result(scenario)
    start = chat.start()
    if "error" in start:
        result.ok = False
        result.failures.append(
            {"turn": 0, "say": "(start)", "problems": [str(start)], "got": "",
             "action": "", "cause": "server"}
        )  # fmt: skip
        return result
    previous: dict = {}
    for i, raw in enumerate(scenario["turns"], start=1):
        turn = fill(raw, setup["values"])
        body = chat.say(turn["say"])
        problems = check_turn(turn, body, chat.id, setup["ids"], previous)
        previous = body.get("reply", {})
        if problems:
            reply = body.get("reply", {})
            result.ok = False
            result.failures.append(
                {
                    "turn": i,
                    "say": turn["say"],
                    "problems": problems,
                    "got": reply.get("text", body.get("body", "")),
                    "action": reply.get("action", ""),
                    "cause": guess_cause(turn, reply, problems),
                }
            )
    result.latencies = chat.latencies[1:]
    return result


def write_failures(path: Path, results: list[Result], summary: str) -> None:
    lines = [
        "# Dialogue benchmark failures",
        "",
        f"`benchmarks/chatbot_dialogues.py`, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} — {summary}",
        "",
        "| scenario | turn | customer said | expected | got (action: text) "
        "| likely cause |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        for f in r.failures:
            got = " ".join(str(f["got"]).split())[:220].replace("|", "/")
            lines.append(
                f"| {r.scenario['name']} | {f['turn']} | {f['say']} | "
                f"{'; '.join(f['problems'])} | {f['action']}: {got} | {f['cause']} |"
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--only", default="", help="run scenarios whose name has this")
    parser.add_argument("--label", default="", help="what code the server runs")
    parser.add_argument("--set", default="", help="only this set of scenarios (A/B/C)")
    parser.add_argument(
        "--failures", default=str(ROOT / "var" / "dialogue-failures.md")
    )
    args = parser.parse_args()
    _setup_django()
    from benchmarks.chatbot_scenarios import SCENARIOS

    scenarios = [
        s
        for s in SCENARIOS
        if args.only in s["name"] and args.set in ("", s.get("set", "A"))
    ]
    fixtures = Fixtures(uuid.uuid4().hex[:8])
    results = []
    for scenario in scenarios:
        result = run_scenario(scenario, fixtures, args.base_url)
        results.append(result)
        mark = "ok  " if result.ok else "FAIL"
        detail = (
            ""
            if result.ok
            else f"  (turn {result.failures[0]['turn']}: "
            + ("; ".join(result.failures[0]["problems"]) + ")")
        )
        print(f"{mark} {scenario['topic']:<28} {scenario['name']:<36}{detail}")
    by_topic: dict[str, list[bool]] = defaultdict(list)
    for r in results:
        by_topic[r.scenario["topic"]].append(r.ok)
    print("\ntopic                          scenarios   fully right")
    for topic, oks in by_topic.items():
        print(f"{topic:<30} {len(oks):>9}   {sum(oks):>4} ({sum(oks) / len(oks):.0%})")
    for name in sorted({r.scenario.get("set", "A") for r in results}):
        oks = [r.ok for r in results if r.scenario.get("set", "A") == name]
        print(f"set {name}: {sum(oks)}/{len(oks)} fully right "
              f"({sum(oks) / len(oks):.1%})")  # fmt: skip
    ok = sum(r.ok for r in results)
    turns = sum(len(r.scenario["turns"]) for r in results)
    bad_turns = sum(len(r.failures) for r in results)
    latencies = [x for r in results for x in getattr(r, "latencies", [])]
    summary = (
        f"{ok}/{len(results)} scenarios fully right ({ok / max(1, len(results)):.1%}); "
        f"{turns - bad_turns}/{turns} turns right"
    )
    print(f"\nOVERALL {summary}")
    if latencies:
        p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else 0
        print(
            f"latency per message (client side, ms): p50 "
            f"{statistics.median(latencies):.0f}, p95 {p95:.0f} over {len(latencies)}"
        )
    label = f"{args.label}: " if args.label else ""
    write_failures(Path(args.failures), results, label + summary)
    print(f"failures written to {args.failures}")


if __name__ == "__main__":
    main()
