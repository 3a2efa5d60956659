"""Issue 14.6: trailing slashes are consistent. Each API endpoint has the one form
its OpenAPI path lists; the other form (a slash added or taken away) is a 308 to it
for every method, the query string kept; an unknown path stays a JSON 404."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db

VALUES = {
    "id": 1,
    "product_id": 1,
    "message_id": 1,
    "public_id": "00000000-0000-4000-8000-000000000000",
    "external_id": "17850",
    "invoice_no": "536365",
}


def _operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        for method in item:
            if method in {"get", "post", "put", "patch", "delete"}:
                yield method, path.format(**VALUES)


def _send(client, method, url):
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, data="{}", content_type="application/json")


def test_the_other_slash_form_of_every_endpoint_redirects_to_the_listed_one(client):
    operations = list(_operations())
    assert len(operations) >= 18
    for method, listed in operations:
        other = listed[:-1] if listed.endswith("/") else f"{listed}/"
        response = _send(client, method, f"{other}?k=3")
        assert response.status_code == 308, (method, other, response.status_code)
        assert response["Location"] == f"{listed}?k=3"
        # the listed form is served (its answer may be 401, 404 for a missing row)
        assert _send(client, method, listed).status_code != 308


def test_paths_of_no_endpoint_stay_a_json_404(client):
    for path in ("/api/v1/nothing-here", "/api/v1/nothing-here/"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
