"""Load test of the recommendation API against a running server (localhost only).

Usage (with the server running on localhost:8000 and the same database settings)::

    .venv/bin/python benchmarks/api_load.py --requests 2000 --customers 500 --k 10

It samples customers and products from the database the server uses (Django ORM,
read only), gets a REST token for a staff account (``--user``, default the admin
user of ``manage.py bootstrap``), sends a bounded number of requests over
keep-alive connections (and POSTs of 1-5 product ids to the basket endpoint)
and prints p50/p95/p99 latency per endpoint. It stops by
itself after ``--requests`` requests per endpoint (at most 20,000) and never talks
to any host other than localhost.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _sample(n_customers: int, n_products: int, seed: int):
    from django.db.models import Count

    from shop.models import Customer, Product

    rng = random.Random(seed)
    customers = list(
        Customer.objects.filter(erased_at__isnull=True, orders__isnull=False)
        .annotate(n=Count("orders"))
        .values_list("external_id", flat=True)
        .distinct()[:20000]
    )
    from shop.conf import shop_setting

    # a demo rating data set's items (MovieLens films) answer 404 without ?source=
    products = list(
        Product.objects.filter(is_merchandise=True, is_active=True)
        .exclude(source__in=shop_setting("DEMO_SOURCES"))
        .values_list("pk", flat=True)[:20000]
    )
    if not customers or not products:
        sys.exit("no customers/products in the database: import data first")
    return (
        rng.sample(customers, min(n_customers, len(customers))),
        rng.sample(products, min(n_products, len(products))),
    )


def _token(username: str | None) -> str:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    users = get_user_model().objects.filter(is_staff=True, is_active=True)
    user = users.filter(username=username).first() if username else users.first()
    if user is None:
        sys.exit("no staff user: run manage.py bootstrap or createsuperuser first")
    return Token.objects.get_or_create(user=user)[0].key


def _worker(base, paths, token, out, errors):
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)
    headers = {"Authorization": f"Token {token}", "Connection": "keep-alive"}
    for path in paths:
        # a str is a GET; a (path, json body) pair a POST
        path, body = (path, None) if isinstance(path, str) else path
        start = time.perf_counter()
        try:
            if body is None:
                conn.request("GET", path, headers=headers)
            else:
                conn.request(
                    "POST",
                    path,
                    body=json.dumps(body),
                    headers={**headers, "Content-Type": "application/json"},
                )
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            errors.append(f"{path}: {exc}")
            conn.close()
            conn = http.client.HTTPConnection(parts.hostname, parts.port or 80)
            continue
        elapsed = (time.perf_counter() - start) * 1000
        if status != 200:
            errors.append(f"{path}: HTTP {status}")
        out.append(elapsed)
    conn.close()


def _run(base, paths, token, concurrency):
    chunks = [paths[i::concurrency] for i in range(concurrency)]
    results: list[float] = []
    errors: list[str] = []
    threads = [
        threading.Thread(target=_worker, args=(base, c, token, results, errors))
        for c in chunks
    ]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors, time.perf_counter() - start


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--base", default="http://localhost:8000", help="the running server's URL"
    )
    parser.add_argument(
        "--requests", type=int, default=1000, help="requests per endpoint"
    )
    parser.add_argument(
        "--customers", type=int, default=500, help="distinct customers sampled"
    )
    parser.add_argument("--k", type=int, default=10, help="list length asked for")
    parser.add_argument(
        "--concurrency", type=int, default=1, help="requests in flight at once"
    )
    parser.add_argument("--user", default=None, help="staff username for the token")
    parser.add_argument(
        "--only",
        action="append",
        choices=["customer", "similar", "together", "basket"],
        help="measure only these endpoints (repeatable; default all four)",
    )
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if urlsplit(args.base).hostname not in LOCAL_HOSTS:
        sys.exit("refusing to load-test a host other than localhost")
    n = max(1, min(args.requests, 20000))
    _setup_django()
    customers, products = _sample(args.customers, 500, args.seed)
    token = _token(args.user)
    rng = random.Random(args.seed)
    endpoints = {
        "customer recommendations": lambda: (
            f"/api/v1/customers/{rng.choice(customers)}/recommendations?k={args.k}"
        ),
        "similar products": lambda: (
            f"/api/v1/products/{rng.choice(products)}/similar?k={args.k}"
        ),
        "bought together": lambda: (
            f"/api/v1/products/{rng.choice(products)}/bought-together?k={args.k}"
        ),
        "basket (1-5 products)": lambda: (
            "/api/v1/recommendations/basket",
            {"product_ids": rng.sample(products, rng.randint(1, 5)), "k": args.k},
        ),
    }
    print(
        f"{n} requests per endpoint, k={args.k}, {len(customers)} customers, "
        f"concurrency {args.concurrency}, against {args.base}; machine load "
        f"average (1 min) {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    header = (
        f"{'endpoint':<26}{'n':>6}{'err':>5}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'p99 ms':>9}{'mean ms':>9}{'max ms':>9}{'req/s':>8}"
    )
    print(header)
    print("-" * len(header))
    keys = dict(
        zip(["customer", "similar", "together", "basket"], endpoints, strict=True)
    )
    chosen = {keys[o] for o in args.only} if args.only else set(endpoints)
    for name, make in endpoints.items():
        if name not in chosen:
            continue
        _run(args.base, [make() for _ in range(args.warmup)], token, 1)
        paths = [make() for _ in range(n)]
        times, errors, wall = _run(args.base, paths, token, args.concurrency)
        if not times:
            print(f"{name:<26} all requests failed: {errors[:3]}")
            continue
        print(
            f"{name:<26}{len(times):>6}{len(errors):>5}{_pct(times, 50):>9.1f}"
            f"{_pct(times, 95):>9.1f}{_pct(times, 99):>9.1f}"
            f"{statistics.fmean(times):>9.1f}{max(times):>9.1f}"
            f"{len(times) / wall:>8.1f}"
        )
        for line in errors[:3]:
            print(f"    error: {line}")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
