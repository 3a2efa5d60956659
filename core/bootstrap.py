"""The main job's set-up steps, in order, each idempotent.

``manage.py bootstrap`` runs them: an admin account, the real order history and
ratings, then the first models of every app. A second run reuses what is there: each
step's own command skips work already done (same file, same data fingerprint).
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands
from django.db import transaction


@dataclass
class StepResult:
    name: str
    status: str  # ok, failed, unavailable
    seconds: float
    detail: str = ""


def _credentials_file() -> Path:
    path = Path(settings.BASE_DIR) / "var" / "credentials.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _read_credentials() -> dict[str, str]:
    path = _credentials_file()
    if not path.exists():
        return {}
    lines = path.read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs}


def _write_credentials(values: dict[str, str]) -> None:
    path = _credentials_file()
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    path.chmod(0o600)


@transaction.atomic
def admin_ensure() -> tuple[str, str]:
    """Create the admin account once; credentials from ADMIN_USERNAME/ADMIN_PASSWORD
    or generated and kept in ``var/credentials.txt`` (mode 600, never committed)."""
    creds = _read_credentials()
    username = os.environ.get("ADMIN_USERNAME") or creds.get("admin_username", "admin")
    password = os.environ.get("ADMIN_PASSWORD") or creds.get("admin_password")
    password = password or secrets.token_urlsafe(12)
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=username, defaults={"is_staff": True, "is_superuser": True}
    )
    if created or os.environ.get("ADMIN_PASSWORD"):
        user.set_password(password)
        user.save()
    creds.update(admin_username=username, admin_password=password)
    _write_credentials(creds)
    return username, password


@transaction.atomic
def demo_customer_login(external_id: str = "17850") -> tuple[str, str] | None:
    """Give one imported customer a login, to try the customer-scoped API as them."""
    from shop.models import Customer

    customer = Customer.objects.filter(external_id=external_id).first()
    if customer is None:
        return None
    creds = _read_credentials()
    username = f"customer{external_id}"
    password = creds.get(f"{username}_password") or secrets.token_urlsafe(12)
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_password(password)
        user.save()
    if customer.user_id != user.pk:
        customer.user = user
        customer.save(update_fields=["user"])
    creds[f"{username}_password"] = password
    _write_credentials(creds)
    return username, password


def _steps() -> list[tuple[str, list[str]]]:
    data = Path(settings.SHARED_DATA_DIR)
    orders = os.environ.get("ORDERS_CSV") or str(data / "online_retail.csv.gz")
    ratings = os.environ.get("RATINGS_CSV") or str(data / "movielens-small/ratings.csv")
    steps = [("import_orders", [orders])]
    if Path(ratings).exists():
        steps.append(("import_ratings", [ratings]))
    steps += [
        ("categorise_products", []),
        # The classic models first (under a minute): the storefront serves while the
        # tuned two-stage pipeline trains in the background (``make run``).
        ("train_recommender", ["--algorithm", "popularity", "--algorithm", "ease"]),
        ("forecast_demand", []),
        ("suggest_prices", []),
        ("train_chatbot", []),
        ("setup_schedules", []),
    ]
    return steps


def bootstrap_run(*, stdout, skip: set[str] | None = None) -> list[StepResult]:
    """Run every set-up step; a failed step is reported and the next one still runs."""
    available = get_commands()
    results: list[StepResult] = []
    for name, args in _steps():
        if skip and name in skip:
            continue
        if name not in available:
            results.append(StepResult(name, "unavailable", 0.0, "not installed"))
            continue
        stdout.write(f"\n=== {name} {' '.join(args)}")
        start = time.perf_counter()
        try:
            call_command(name, *args, stdout=stdout)
        except Exception as exc:  # reported in the summary; serving still starts
            results.append(
                StepResult(name, "failed", time.perf_counter() - start, str(exc)[:300])
            )
        else:
            results.append(StepResult(name, "ok", time.perf_counter() - start))
    return results
