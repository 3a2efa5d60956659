"""Headers and schema facts a client relies on (issue 16.14)."""

from __future__ import annotations

import base64
import json
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.factories import make_customer, make_order, make_product

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


def _operations():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield schema, f"{method.upper()} {path}", operation


def _nullable_to_jsonschema(node):
    """OpenAPI 3.0 ``nullable: true`` as JSON Schema (null allowed); ``$ref`` kept."""
    if isinstance(node, list):
        return [_nullable_to_jsonschema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable_to_jsonschema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


def _examples(content: dict) -> dict:
    return {
        name: example["value"]
        for media in content.values()
        for name, example in media.get("examples", {}).items()
    }


def test_every_operation_has_request_and_response_examples_that_validate():
    """Issue 14.6: a storefront developer sees a request example (when there is a
    body) and a response example for every endpoint, each valid for its schema."""
    import jsonschema

    missing, invalid = [], []
    for schema, name, operation in _operations():
        components = _nullable_to_jsonschema(schema["components"])
        checks = []
        body = operation.get("requestBody")
        if body:
            examples = _examples(body["content"])
            if not examples:
                missing.append(f"{name} request")
            media = body["content"]["application/json"]
            checks += [(media["schema"], n, v) for n, v in examples.items()]
        response_examples = 0
        for code, response in operation["responses"].items():
            content = response.get("content", {})
            examples = _examples(content)
            if code.startswith("2"):
                response_examples += len(examples)
            for n, v in examples.items():
                checks.append((content["application/json"]["schema"], n, v))
        no_body_success = all(
            not r.get("content")
            for c, r in operation["responses"].items()
            if c.startswith("2")
        )
        if not response_examples and not no_body_success:
            missing.append(f"{name} response")
        for node, example_name, value in checks:
            validator = jsonschema.Draft7Validator(
                {**_nullable_to_jsonschema(node), "components": components}
            )
            for error in validator.iter_errors(value):
                invalid.append(f"{name} {example_name!r}: {error.message}")
    assert not missing, f"operations without examples: {missing}"
    assert not invalid, invalid
    # list pages wrap the item example in a one-page answer, not DRF's demo links
    assert "api.example.org" not in str(schema["paths"])


def _path_values(api_client, customer, invoice_no, product_id) -> dict:
    started = api_client.post("/api/v1/chat/conversations/", {}, format="json")
    assert started.status_code == 201, started.content
    body = started.json()
    return {
        "id": product_id,
        "product_id": product_id,
        "external_id": customer.external_id,
        "invoice_no": invoice_no,
        "public_id": body["conversation"]["id"],
        "message_id": body["reply"]["id"],
    }


def _call(client, method, url, *, query=None, body="{}", **headers):
    if method == "GET":
        return client.get(url, query or {}, **headers)
    return client.generic(method, url, body, "application/json", **headers)


def _answer_to_bad_input(client, method, path, values, bad):
    if bad["in"] == "query":
        return _call(client, method, path.format(**values), query={
            bad["name"]: bad["value"]})  # fmt: skip
    if bad["in"] == "path":
        return _call(client, method, path.format(**{**values, bad["name"]: "x%00"}))
    if bad["name"] is None:  # a body that is not JSON
        return _call(client, method, path.format(**values), body=bad["value"])
    return _call(client, method, path.format(**values), body="{}")


def test_error_examples_are_the_real_answers(api_client, settings):
    """Issue 14.6: each operation's 400 example is the real answer to the bad input
    it names (``x-bad-input``); its 401 example the real answer without credentials
    (or with wrong ones where anyone may call it), with ``WWW-Authenticate``; its
    404 example the real error code (the detail names the missing resource)."""
    settings.AXES_ENABLED = False
    product = make_product()
    customer = make_customer("17850", with_user=True)
    make_order(customer, [(product, 1, "2.50")], invoice_no="536365")
    api_client.force_authenticate(customer.user)
    values = _path_values(api_client, customer, "536365", product.pk)
    missing = {
        **{k: 999999 for k in ("id", "product_id", "message_id")},
        "external_id": "99999",
        "invoice_no": "999999",
        "public_id": "00000000-0000-4000-8000-000000000000",
    }
    # a valid body (but for the basket's missing product), so that a 404 is about
    # what is missing; asked by staff, to whom another customer is no 403
    gone = json.dumps({"text": "hi", "helpful": True, "product_ids": [999999]})
    staff = APIClient()
    staff.force_authenticate(
        get_user_model().objects.create_superuser("staff", password="pw-12345678")
    )
    wrong = "Basic " + base64.b64encode(b"nobody:wrong").decode()
    checked, mismatches = Counter(), []
    for _, name, operation in _operations():
        method, path = name.split(" ", 1)
        for code, response in operation["responses"].items():
            media = response.get("content", {}).get("application/json", {})
            for example in media.get("examples", {}).values():
                expected = example["value"]
                if code == "400":
                    got = _answer_to_bad_input(
                        api_client, method, path, values, example["x-bad-input"]
                    )
                    real = got.json()
                    if "fields" in expected:  # other fields may be missing too
                        real["fields"] = {
                            k: v
                            for k, v in real.get("fields", {}).items()
                            if k in expected["fields"]
                        }
                elif code == "401":
                    anonymous = APIClient()
                    got = _call(anonymous, method, path.format(**values))
                    if got.status_code != 401:  # anyone may call it
                        got = _call(anonymous, method, path.format(**values),
                                    HTTP_AUTHORIZATION=wrong)  # fmt: skip
                    real = got.json()
                    if not got.get("WWW-Authenticate", "").startswith("Basic"):
                        mismatches.append(f"{name} 401 without WWW-Authenticate")
                elif code == "404":
                    if "{" in path or method == "POST" or path.endswith("/me/"):
                        # a missing resource (staff are no customer): the detail
                        # names it
                        got = _call(staff, method, path.format(**missing),
                                    body=gone)  # fmt: skip
                        real = {**got.json(), "detail": expected["detail"]}
                        real.pop("field", None)
                    else:  # past the last page
                        got = _call(api_client, method, path, query={"page": 999})
                        real = got.json()
                else:
                    continue
                checked[code] += 1
                if got.status_code != int(code) or real != expected:
                    mismatches.append(f"{name} {code}: {got.status_code} {real}")
    assert not mismatches, "\n".join(mismatches)
    assert (checked["400"], checked["401"], checked["404"]) == (13, 19, 16)


def test_the_429_example_is_the_real_answer(api_client, monkeypatch):
    """A throttled call answers as the 429 example documents, with Retry-After."""
    from django.core.cache import cache
    from rest_framework.throttling import SimpleRateThrottle

    documented = next(
        op["responses"]["429"]
        for _, name, op in _operations()
        if name == "GET /api/v1/products/"
    )
    assert "Retry-After" in documented["headers"]
    (example,) = documented["content"]["application/json"]["examples"].values()
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "anon": "1/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    cache.clear()  # the throttle's history
    try:
        assert api_client.get("/api/v1/products/").status_code == 200
        throttled = api_client.get("/api/v1/products/")
    finally:
        cache.clear()
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 60
    body = throttled.json()
    assert body["error"] == example["value"]["error"] == "throttled"
    assert body["detail"].startswith("Request was throttled. Expected available in")
    assert example["value"]["detail"].startswith(
        "Request was throttled. Expected available in"
    )
