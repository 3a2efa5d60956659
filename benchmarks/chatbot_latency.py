"""Server-side time per chat message, through the served code path.

Every message goes through ``chatbot.services.conversations.message_post`` (the
service the API view calls: dialogue, NLU with the active intent model, product index,
policy rules, database writes) on the configured database, as the demo customer
(signed in) and as an anonymous visitor. Printed: p50 / p95 / max in ms per kind of
message, and overall. Needs a bootstrapped database (``make run`` or the demo copy):

    DATABASE_URL=sqlite:////tmp/demo.sqlite3 ARTIFACTS_ROOT=... \\
        .venv/bin/python benchmarks/chatbot_latency.py [--rounds 3]

The first message of the process (model loading) is excluded, as the server warms
the encoder when a conversation starts.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

DIALOGUES = {
    "order": [
        "where is my latest order?",
        "can I cancel it?",
        "no",
        "I want to return my last order",
        "no, the other one",
        "no thanks",
        "I need a copy of the invoice for my most recent order",
    ],
    "product": [
        "do you sell candle holders?",
        "is it in stock?",
        "how much is it?",
        "show me cheaper ones",
        "do you sell iphone chargers?",
        "I want to buy a television",
    ],
    "policy": [
        "Can I get next day delivery?",
        "do you ship to France?",
        "how many days do I have to return something?",
        "is there a cancellation fee?",
        "how can I pay?",
    ],
    "other": [
        "hello",
        "Can you help me remove an item from my order?",
        "how do I reset my password",
        "what's the capital of peru",
        "can you turn on the lights in my kitchen",
        "",
        "Bonjour, où est ma commande ?",
    ],
}


def main() -> None:
    import django

    django.setup()
    from chatbot.services.conversations import conversation_start, message_post
    from shop.models import Customer

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    customer = Customer.objects.filter(user__isnull=False).order_by("pk").first()
    users = [None] + ([customer.user] if customer else [])
    # Warm-up: model and indexes loaded once per process, as in the server.
    conversation, _ = conversation_start(user=users[-1])
    message_post(conversation=conversation, text="hello", user=users[-1])
    times: dict[str, list[float]] = {kind: [] for kind in DIALOGUES}
    for _ in range(args.rounds):
        for user in users:
            for kind, texts in DIALOGUES.items():
                conversation, _ = conversation_start(user=user)
                for text in texts:
                    start = time.perf_counter()
                    message_post(conversation=conversation, text=text, user=user)
                    times[kind].append((time.perf_counter() - start) * 1000)
    who = f"customer {customer.external_id} + anonymous" if customer else "anonymous"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nserver-side ms per message ({who}, {args.rounds} rounds, "
          f"load average {load:.1f} on {os.cpu_count()} CPUs)")  # fmt: skip
    print("| messages | n   | p50 ms | p95 ms | max ms |")
    print("|----------|-----|--------|--------|--------|")
    everything = [t for kind in times.values() for t in kind]
    for kind, values in [*times.items(), ("all", everything)]:
        p50, p95 = np.percentile(values, [50, 95])
        print(f"| {kind:<8} | {len(values):>3} | {p50:>6.1f} | {p95:>6.1f} | "
              f"{max(values):>6.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
