"""Issue 14.6: cross-origin API calls are configurable (django-cors-headers, env
``CORS_ALLOWED_ORIGINS``): a listed origin may call /api/, others and the pages
get no CORS headers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.com"


@pytest.fixture
def cors(settings):
    settings.CORS_ALLOWED_ORIGINS = [SHOP]


def test_a_listed_origin_may_call_the_api(client, cors):
    response = client.get("/api/v1/products/", headers={"Origin": SHOP})
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert "Retry-After" in response["Access-Control-Expose-Headers"]
    preflight = client.options(
        "/api/v1/events/",
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == SHOP
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    assert "authorization" in preflight["Access-Control-Allow-Headers"]


def test_other_origins_and_pages_get_no_cors_headers(client, cors):
    other = client.get("/api/v1/products/", headers={"Origin": "https://evil.test"})
    assert "Access-Control-Allow-Origin" not in other
    page = client.get("/", headers={"Origin": SHOP})
    assert "Access-Control-Allow-Origin" not in page


def test_no_origin_is_allowed_by_default(client):
    response = client.get("/api/v1/products/", headers={"Origin": SHOP})
    assert "Access-Control-Allow-Origin" not in response


def test_origins_come_from_the_environment():
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "CORS_ALLOWED_ORIGINS": f"{SHOP},http://localhost:3000",
        "CORS_ALLOW_CREDENTIALS": "true",
    }
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.CORS_ALLOWED_ORIGINS, settings.CORS_ALLOW_CREDENTIALS)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True,
        text=True, check=True,
    ).stdout  # fmt: skip
    assert out.strip().splitlines()[-1] == f"['{SHOP}', 'http://localhost:3000'] True"
