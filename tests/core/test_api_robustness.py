"""Hostile request bodies get a clear 4xx JSON answer on every API endpoint."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.django_db

BASKET = "/api/v1/recommendations/basket"


def _post(client, url: str, body: bytes):
    return client.generic("POST", url, body, content_type="application/json")


@pytest.mark.parametrize(
    "url", [BASKET, f"/api/v1/chat/conversations/{uuid.uuid4()}/messages/"]
)
def test_oversized_body_is_413(settings, api_client, url):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = b'{"product_ids": [' + b"1," * 5000 + b"1]}"
    response = _post(api_client, url, body)
    assert response.status_code == 413, response.content
    data = response.json()
    assert data["error"] == "request_too_large"
    assert "1000" in data["detail"]


def test_deeply_nested_json_is_400(api_client):
    body = ('{"a":' * 100_000 + "1" + "}" * 100_000).encode()
    response = _post(api_client, BASKET, body)
    assert response.status_code == 400, response.content
    data = response.json()
    assert data["error"] == "parse_error"
    assert "nested" in data["detail"]


@pytest.mark.parametrize(
    "url", ["/api/v1/products/abc/similar", "/api/v1/no-such-endpoint/"]
)
def test_an_unmatched_api_url_is_a_json_404(settings, client, url):
    settings.DEBUG = False
    response = client.get(url)
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Not found."}


def test_an_unmatched_page_outside_the_api_stays_html(settings, client):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
