"""Headers and schema facts a client relies on (issue 16.14)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


@pytest.fixture
def openapi(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize(
    "url", ["/api/v1/orders/", "/api/v1/orders/536365/", "/api/v1/customers/me/"]
)
def test_missing_credentials_are_401_with_www_authenticate(api_client, url):
    response = api_client.get(url)
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Basic")
    assert response.json()["error"] == "not_authenticated"


def test_wrong_credentials_are_401_even_where_anonymous_use_is_allowed(api_client):
    get_user_model().objects.create_user(username="ann", password="right-pw-123")
    api_client.credentials(HTTP_AUTHORIZATION="Basic YW5uOndyb25n")  # ann:wrong
    response = api_client.get("/api/v1/products/")
    assert response.status_code == 401 and "WWW-Authenticate" in response


def test_nullable_fields_are_marked_nullable(openapi):
    schemas = openapi["components"]["schemas"]
    assert schemas["OrderOut"]["properties"]["customer"]["nullable"] is True
    assert schemas["OrderDetailOut"]["properties"]["cancels"]["nullable"] is True
    assert schemas["ProductOut"]["properties"]["category"]["nullable"] is True


def test_k_range_and_session_key_requirement_are_documented(openapi):
    similar = openapi["paths"]["/api/v1/products/{id}/similar"]["get"]
    k = next(p for p in similar["parameters"] if p["name"] == "k")
    assert (k["schema"]["minimum"], k["schema"]["maximum"]) == (1, 100)
    event = openapi["components"]["schemas"]["EventIn"]
    assert (
        "required when not signed in"
        in event["properties"]["session_key"]["description"]
    )


@pytest.mark.parametrize(
    "path, method, codes",
    [
        ("/api/v1/orders/", "get", {"401", "403", "404", "429"}),
        ("/api/v1/products/", "get", {"400", "401", "404", "429"}),
        ("/api/v1/events/", "post", {"400", "401", "403", "429"}),
        ("/api/v1/chat/conversations/{public_id}/messages/", "post", {"404", "429"}),
    ],
)
def test_error_answers_are_documented(openapi, path, method, codes):
    responses = openapi["paths"][path][method]["responses"]
    assert codes <= set(responses)
    if "404" in codes and path == "/api/v1/orders/":
        assert "Invalid page" in responses["404"]["description"]
    error = responses["429"]["content"]["application/json"]["schema"]["$ref"]
    assert error.endswith("/ErrorOut")


@pytest.mark.parametrize("url", ["/", "/api/docs/", "/admin/login/"])
def test_pages_carry_a_content_security_policy(client, url):
    response = client.get(url)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "object-src 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


def test_basic_credentials_with_a_nul_byte_are_401_not_a_server_error(api_client):
    """Found by schemathesis on PostgreSQL (text cannot hold NUL): was a 500."""
    import base64

    token = base64.b64encode(b"ann\x00:pw\x00").decode()
    api_client.credentials(HTTP_AUTHORIZATION=f"Basic {token}")
    response = api_client.get("/api/v1/customers/me/")
    assert response.status_code == 401, response.content
