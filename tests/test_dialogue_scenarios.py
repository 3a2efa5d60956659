"""The dialogue benchmark's scenarios (issue 17.8) are well formed and cover the topics
the issue names (the benchmark itself runs against a server, not in the suite)."""

from __future__ import annotations

import json

from benchmarks.chatbot_dialogues import ORDER_KEYS, PLACEHOLDER
from benchmarks.chatbot_scenarios import SCENARIOS

CHECKS = {"say", "any", "all", "none", "action", "handoff", "ticket", "product",
          "status", "follows", "cheaper"}  # fmt: skip
TOPICS = {"order status", "cancel", "change", "refund", "returns", "delivery options",
          "invoices", "product search", "follow-ups", "complaints", "anonymous",
          "handoff and ticket status", "another customer's order"}  # fmt: skip


def test_at_least_60_multi_turn_scenarios_over_every_topic():
    names = [s["name"] for s in SCENARIOS]
    assert len(names) >= 60 and len(set(names)) == len(names)
    assert TOPICS <= {s["topic"] for s in SCENARIOS}
    assert sum(len(s["turns"]) > 1 for s in SCENARIOS) >= 25


def test_every_turn_uses_known_checks_and_placeholders():
    known = set(ORDER_KEYS) | {"other", "missing", "demo_latest"}
    for scenario in SCENARIOS:
        assert scenario["user"] in {"customer", "customer_no_email", "anonymous",
                                    "demo"}  # fmt: skip
        assert scenario.get("set", "A") in {"A", "B", "C"}
        for turn in scenario["turns"]:
            assert set(turn) <= CHECKS, (scenario["name"], set(turn) - CHECKS)
            assert len(turn) > 1, f"{scenario['name']}: a turn without a check"
            used = set(PLACEHOLDER.findall(json.dumps(turn)))
            assert used <= known, (scenario["name"], used - known)
            assert set(turn.get("status", {})) <= known
