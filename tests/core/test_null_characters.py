"""A NUL character in a query parameter or URL part is a 400 naming it, not a 500
(PostgreSQL text cannot hold NUL; schemathesis found ``?search=`` with one)."""

from __future__ import annotations

import pytest

from tests.factories import make_customer, make_order, make_product

pytestmark = pytest.mark.django_db

REFUSED = ["Null characters are not allowed."]


@pytest.mark.parametrize(
    "url, field",
    [
        ("/api/v1/products/?search=heart%00holder", "search"),
        ("/api/v1/products/?page=1&se%00arch=x", "se\\x00arch"),
        ("/api/v1/categories/?source=%00", "source"),
        ("/api/v1/products/1/?source=movie%00lens", "source"),
    ],
)
def test_api_query_parameter_with_nul_is_400_naming_it(api_client, url, field):
    response = api_client.get(url)
    assert response.status_code == 400, response.content
    assert response.json() == {
        "error": "invalid_input",
        "detail": "Some fields are invalid.",
        "fields": {field: REFUSED},
    }


def test_api_path_part_with_nul_is_400_naming_it(api_client, django_user_model):
    customer = make_customer(with_user=True)
    make_order(customer, [(make_product(), 1, 2.5)], invoice_no="536365")
    api_client.force_authenticate(customer.user)
    assert api_client.get("/api/v1/orders/536365/").status_code == 200
    response = api_client.get("/api/v1/orders/5363%0065/")
    assert response.status_code == 400
    assert response.json()["fields"] == {"invoice_no": REFUSED}


def test_storefront_search_with_nul_is_400(client):
    response = client.get("/search/", {"q": "heart\x00"})
    assert response.status_code == 400
    assert "Null characters are not allowed. (q)" in response.content.decode()
    assert client.get("/search/", {"q": "heart"}).status_code == 200
