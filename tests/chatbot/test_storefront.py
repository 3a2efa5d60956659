"""The demo storefront's pages (the widget itself is driven in tests/browser)."""

from __future__ import annotations

from tests.factories import make_product


def test_product_list_search_and_page(client, db):
    heart = make_product(description="WHITE HANGING HEART T-LIGHT HOLDER")
    make_product(description="<script>alert(1)</script> TIN")
    postage = make_product(description="POSTAGE", is_merchandise=False)
    page = client.get("/")
    html = page.content.decode()
    assert page.status_code == 200 and "csrftoken" in page.cookies
    assert "Hanging Heart" in html and 'id="chat"' in html
    assert "<script>alert(1)</script>" not in html
    found = client.get("/search/", {"q": "heart"}).content.decode()
    assert "Hanging Heart" in found and "Tin" not in found
    detail = client.get(f"/products/{heart.pk}/")
    assert detail.status_code == 200 and b'data-product-id="' in detail.content
    assert client.get(f"/products/{postage.pk}/").status_code == 404
    assert client.get("/products/999999/").status_code == 404
