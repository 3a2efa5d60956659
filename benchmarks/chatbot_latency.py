"""Server-side time per chat message, through the served code path.

Every message goes through ``chatbot.services.conversations.message_post`` (the
service the API view calls: dialogue, NLU with the active intent model, product index,
policy rules, database writes) on the configured database, as the demo customer
(signed in) and as an anonymous visitor. Printed: p50 / p95 / max in ms per kind of
message, and overall. Needs a bootstrapped database (``make run`` or the demo copy):

    DATABASE_URL=sqlite:////tmp/demo.sqlite3 ARTIFACTS_ROOT=... \\
        .venv/bin/python benchmarks/chatbot_latency.py [--rounds 3]

The first message of the process (model loading) is excluded, as the server warms
the encoder when a conversation starts, and so is building the embeddings of the
fixed texts (FAQ entries, categories, product names) and loading the URLconf, done
once per process.
Printed beside the elapsed time: the process's CPU time per message, which does not
grow with the machine's load as the elapsed time does.
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
    from django.urls import get_resolver

    from chatbot.nlu.encoder import encode_cached_clear
    from chatbot.services.conversations import conversation_start, message_post
    from chatbot.services.knowledge import knowledge_indexes_warm
    from shop.models import Customer

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    customer = Customer.objects.filter(user__isnull=False).order_by("pk").first()
    users = [None] + ([customer.user] if customer else [])
    # Warm-up: model and indexes loaded once per process, as in the server (the
    # encoder, the intent model, and the embeddings of the fixed texts: FAQ entries,
    # categories, product index and names, built on first use and kept).
    conversation, _ = conversation_start(user=users[-1])
    message_post(conversation=conversation, text="hello", user=users[-1])
    knowledge_indexes_warm()
    get_resolver().check()  # loads the URLconf, as a server's first request does
    times: dict[str, list[float]] = {kind: [] for kind in DIALOGUES}
    cpu: dict[str, list[float]] = {kind: [] for kind in DIALOGUES}
    load_before = os.getloadavg()[0]
    for _ in range(args.rounds):
        for user in users:
            for kind, texts in DIALOGUES.items():
                conversation, _ = conversation_start(user=user)
                for text in texts:
                    encode_cached_clear()  # every round's texts are encoded anew
                    start, start_cpu = time.perf_counter(), time.process_time()
                    message_post(conversation=conversation, text=text, user=user)
                    times[kind].append((time.perf_counter() - start) * 1000)
                    cpu[kind].append((time.process_time() - start_cpu) * 1000)
    who = f"customer {customer.external_id} + anonymous" if customer else "anonymous"
    load = os.getloadavg()[0]
    print(f"\nserver-side ms per message ({who}, {args.rounds} rounds; load "
          f"average {load_before:.1f} before, {load:.1f} after, on {os.cpu_count()} "
          "CPUs)")  # fmt: skip
    print("wall = elapsed time; cpu = this process's CPU time (what the message costs "
          "on an idle core; excludes waiting for the CPU and for disk)")  # fmt: skip
    print("| messages | n   | p50 ms | p95 ms | max ms | cpu p50 | cpu p95 |")
    print("|----------|-----|--------|--------|--------|---------|---------|")
    everything = [t for kind in times.values() for t in kind]
    every_cpu = [t for kind in cpu.values() for t in kind]
    for kind, values, used in [
        *((k, times[k], cpu[k]) for k in DIALOGUES),
        ("all", everything, every_cpu),
    ]:
        p50, p95 = np.percentile(values, [50, 95])
        c50, c95 = np.percentile(used, [50, 95])
        print(f"| {kind:<8} | {len(values):>3} | {p50:>6.1f} | {p95:>6.1f} | "
              f"{max(values):>6.1f} | {c50:>7.1f} | {c95:>7.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
