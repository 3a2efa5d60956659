"""Shop API: catalogue, per-customer orders (permissions), events, profile."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from shop.models import Category, Event
from tests.factories import make_customer, make_order, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    mugs = Category.objects.create(name="Mugs")
    items = [
        make_product(
            "10001",
            description="RED HEART MUG",
            list_price=Decimal("2.00"),
            category=mugs,
        ),
        make_product(
            "10002", description="BLUE MUG", list_price=Decimal("5.00"), category=mugs
        ),
        make_product("10003", description="HEART LANTERN", list_price=Decimal("9.50")),
        make_product(
            "POST",
            description="POSTAGE",
            list_price=Decimal("18"),
            is_merchandise=False,
            kind="postage",
        ),
        make_product("10004", description="OLD HEART", is_active=False),
    ]
    return items


def _codes(response):
    return [p["stock_code"] for p in response.json()["results"]]


def test_product_search_and_filters(api_client, catalogue):
    # the default listing is what a shopper can buy: no postage, nothing inactive
    assert _codes(api_client.get("/api/v1/products/")) == ["10001", "10002", "10003"]
    assert _codes(api_client.get("/api/v1/products/?search=heart")) == [
        "10001",
        "10003",
    ]
    # every word must match; plural optional; category names count
    assert _codes(api_client.get("/api/v1/products/?search=hearts mug")) == ["10001"]
    assert _codes(api_client.get("/api/v1/products/?search=mugs")) == [
        "10001",
        "10002",
    ]
    assert _codes(api_client.get("/api/v1/products/?search=1000")) == [
        "10001",
        "10002",
        "10003",
    ]
    for category in ("mugs", "Mugs", str(catalogue[0].category_id)):
        response = api_client.get(f"/api/v1/products/?category={category}")
        assert _codes(response) == ["10001", "10002"]
    assert _codes(api_client.get("/api/v1/products/?is_merchandise=false")) == []
    assert _codes(api_client.get("/api/v1/products/?search=postage")) == []
    assert _codes(
        api_client.get("/api/v1/products/?min_price=2.5&max_price=10&is_active=true")
    ) == ["10002", "10003"]
    bad = api_client.get("/api/v1/products/?min_price=cheap")
    assert bad.status_code == 400 and "min_price" in bad.json()["fields"]


def test_lookup_by_stock_code(api_client, catalogue):
    """Issue 14.6: a storefront finds a product by its exact stock code; a service
    code or a film's code finds nothing without the opt-in (issue 14.1)."""
    body = api_client.get("/api/v1/products/", {"stock_code": "10002"}).json()
    assert body["count"] == 1 and body["results"][0]["description"] == "BLUE MUG"
    assert _codes(api_client.get("/api/v1/products/?stock_code=1000")) == []
    assert _codes(api_client.get("/api/v1/products/?stock_code=POST")) == []
    make_product("1", source="movielens", description="Toy Story (1995)")
    assert _codes(api_client.get("/api/v1/products/?stock_code=1")) == []
    opted = api_client.get("/api/v1/products/?stock_code=1&source=movielens")
    assert _codes(opted) == ["1"]


def test_films_only_on_explicit_opt_in(api_client, catalogue):
    drama = Category.objects.create(name="Drama", source="movielens")
    film = make_product(
        "1", source="movielens", description="Toy Story (1995)", category=drama
    )
    film.list_price = Decimal("0")
    film.save()
    assert "1" not in _codes(api_client.get("/api/v1/products/"))
    assert _codes(api_client.get("/api/v1/products/?search=toy")) == []
    assert _codes(api_client.get("/api/v1/products/?source=movielens")) == ["1"]
    # a film by id is a 404 like a missing product, unless opted in (issue 14.1)
    assert api_client.get(f"/api/v1/products/{film.pk}/").status_code == 404
    detail = api_client.get(f"/api/v1/products/{film.pk}/?source=movielens").json()
    assert detail["source"] == "movielens" and detail["url"] is None
    # the opt-in names the film's own data set; any other source does not open it
    other = api_client.get(f"/api/v1/products/{film.pk}/?source=online_retail")
    assert other.status_code == 404
    # a film is never stock nor priced: no availability, no price
    for part in ("availability", "price"):
        response = api_client.get(f"/api/v1/products/{film.pk}/{part}")
        assert response.status_code == 404, (part, response.content)
    names = [c["name"] for c in api_client.get("/api/v1/categories/").json()["results"]]
    assert names == ["Mugs"]
    genres = api_client.get("/api/v1/categories/?source=movielens").json()["results"]
    assert [(g["name"], g["products"], g["url"]) for g in genres] == [
        ("Drama", 1, None)
    ]


def test_categories_list_only_what_can_be_bought(api_client, catalogue):
    Category.objects.create(name="Empty")
    body = api_client.get("/api/v1/categories/").json()["results"]
    assert body == [
        {
            "id": catalogue[0].category_id,
            "name": "Mugs",
            "slug": "mugs",
            "products": 2,
            "url": "/c/mugs/",
        }
    ]


def test_product_pagination_is_stable(api_client, catalogue):
    pages = []
    url = "/api/v1/products/?page_size=2"
    while url:
        body = api_client.get(url).json()
        pages.append([p["id"] for p in body["results"]])
        url = body["next"]
    ids = [i for page in pages for i in page]
    assert ids == sorted(p.pk for p in catalogue[:3])
    assert len(pages) == 2 and body["count"] == 3


def test_product_detail(api_client, catalogue):
    product = catalogue[0]
    body = api_client.get(f"/api/v1/products/{product.pk}/").json()
    assert body["stock_code"] == "10001" and body["list_price"] == "2.00"
    assert body["category"] == "Mugs" and body["currency"] == "GBP"
    assert body["name"] == "Red Heart Mug"
    assert body["url"] == f"/products/{product.pk}/"
    missing = api_client.get("/api/v1/products/999999/")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    for hidden in catalogue[3:]:  # postage, inactive
        assert api_client.get(f"/api/v1/products/{hidden.pk}/").status_code == 404


@pytest.fixture
def two_customers():
    alice = make_customer(with_user=True)
    bob = make_customer(with_user=True)
    product = make_product()
    a_order = make_order(alice, [(product, 2, "1.25")])
    b_order = make_order(bob, [(product, 1, "1.25")])
    return alice, bob, a_order, b_order


def test_orders_need_authentication(api_client, two_customers):
    _, _, a_order, _ = two_customers
    for url in ("/api/v1/orders/", f"/api/v1/orders/{a_order.invoice_no}/"):
        response = api_client.get(url)
        assert response.status_code in (401, 403)
        assert "error" in response.json()


def test_customer_sees_only_own_orders(api_client, two_customers):
    alice, _, a_order, b_order = two_customers
    api_client.force_authenticate(alice.user)
    body = api_client.get("/api/v1/orders/").json()
    assert [o["invoice_no"] for o in body["results"]] == [a_order.invoice_no]
    assert body["results"][0]["total"] == "2.50"
    mine = api_client.get(f"/api/v1/orders/{a_order.invoice_no}/")
    assert mine.status_code == 200 and mine.json()["lines"][0]["quantity"] == 2
    other = api_client.get(f"/api/v1/orders/{b_order.invoice_no}/")
    missing = api_client.get("/api/v1/orders/123456789/")
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()


def test_user_without_customer_sees_nothing(api_client, two_customers):
    user = get_user_model().objects.create_user(username="nobody", password="x" * 12)
    api_client.force_authenticate(user)
    assert api_client.get("/api/v1/orders/").json()["count"] == 0
    assert api_client.get("/api/v1/customers/me/").status_code == 404


def test_staff_sees_any_order(api_client, two_customers):
    _, _, _, b_order = two_customers
    staff = get_user_model().objects.create_user(
        username="staff", password="x" * 12, is_staff=True
    )
    api_client.force_authenticate(staff)
    assert api_client.get(f"/api/v1/orders/{b_order.invoice_no}/").status_code == 200
    assert api_client.get("/api/v1/orders/").json()["count"] == 2
    assert api_client.get("/api/v1/orders/?status=placed").json()["count"] == 2
    assert api_client.get("/api/v1/orders/?kind=cancellation").json()["count"] == 0
    bad = api_client.get("/api/v1/orders/?status=lost")
    assert bad.status_code == 400 and "status" in bad.json()["fields"]


def test_customers_me(api_client, two_customers):
    alice = two_customers[0]
    assert api_client.get("/api/v1/customers/me/").status_code in (401, 403)
    api_client.force_authenticate(alice.user)
    body = api_client.get("/api/v1/customers/me/").json()
    assert body["external_id"] == alice.external_id and body["orders"] == 1


def test_events_anonymous_and_signed_in(api_client, catalogue, two_customers):
    product = catalogue[0]
    ok = api_client.post(
        "/api/v1/events/",
        {"kind": "view", "product": product.pk, "session_key": "abc"},
        format="json",
    )
    assert ok.status_code == 201
    event = Event.objects.get(pk=ok.json()["id"])
    assert (event.customer, event.session_key, event.product) == (None, "abc", product)

    alice = two_customers[0]
    api_client.force_authenticate(alice.user)
    ok = api_client.post(
        "/api/v1/events/", {"kind": "search", "query": "heart"}, format="json"
    )
    assert ok.status_code == 201
    assert Event.objects.get(pk=ok.json()["id"]).customer == alice


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "view", "product": 1}, "session_key"),
        ({"kind": "teleport", "session_key": "s"}, "kind"),
        ({"kind": "view", "session_key": "s"}, "product"),
        ({"kind": "add_to_cart", "session_key": "s", "product": 999999}, "product"),
        ({"kind": "search", "session_key": "s"}, "query"),
        ({"kind": "view", "session_key": "s", "product": "x"}, "product"),
        (
            {
                "kind": "search",
                "query": "q",
                "session_key": "s",
                "occurred_at": "2999-01-01T00:00:00Z",
            },
            "occurred_at",
        ),
    ],
)
def test_event_validation(api_client, catalogue, payload, field):
    response = api_client.post("/api/v1/events/", payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body.get("field") == field or field in body.get("fields", {})
    assert not Event.objects.exists()


@pytest.mark.parametrize("key", ["product", "product_id"])
def test_event_product_id_must_be_an_integer(api_client, catalogue, key):
    payload = {"kind": "view", "session_key": "s", key: "abc"}
    response = api_client.post("/api/v1/events/", payload, format="json")
    assert response.status_code == 400
    expected = f"{key} must be an integer (a product id)."
    assert response.json()["fields"][key] == [expected]
    assert not Event.objects.exists()


def test_events_carry_the_recommendation_and_the_order(api_client, catalogue):
    alice = make_customer(with_user=True)
    bob = make_customer(with_user=True)
    order = make_order(alice, [(catalogue[0], 1, "2.00")])
    others = make_order(bob, [(catalogue[0], 1, "2.00")])
    api_client.force_authenticate(alice.user)
    rec = "0f" * 16
    click = api_client.post(
        "/api/v1/events/",
        {"kind": "click", "product": catalogue[0].pk, "recommendation_id": rec},
        format="json",
    )
    assert click.status_code == 201 and click.json()["recommendation_id"] == rec
    bought = api_client.post(
        "/api/v1/events/",
        {
            "kind": "purchase",
            "product": catalogue[0].pk,
            "recommendation_id": "0F0F0F0F-0F0F-0F0F-0F0F-0F0F0F0F0F0F",
            "order": order.invoice_no,
        },
        format="json",
    )
    assert bought.status_code == 201, bought.content
    event = Event.objects.get(pk=bought.json()["id"])
    assert (event.order, event.recommendation_id) == (order, rec)
    for payload, field in (
        ({"order": others.invoice_no}, "order"),
        ({"order": "999999999"}, "order"),
        ({"recommendation_id": "not-an-id"}, "recommendation_id"),
    ):
        bad = api_client.post(
            "/api/v1/events/",
            {"kind": "purchase", "product": catalogue[0].pk, **payload},
            format="json",
        )
        assert bad.status_code == 400 and bad.json()["field"] == field


def test_event_accepts_product_id_alias(api_client, catalogue):
    payload = {"kind": "view", "session_key": "s", "product_id": catalogue[0].pk}
    response = api_client.post("/api/v1/events/", payload, format="json")
    assert response.status_code == 201, response.content
    assert Event.objects.get().product == catalogue[0]
    payload["product"] = catalogue[1].pk
    response = api_client.post("/api/v1/events/", payload, format="json")
    assert response.status_code == 400 and "product_id" in response.json()["fields"]


def test_every_list_endpoint_honours_page_size(api_client, two_customers):
    staff = get_user_model().objects.create_user(
        username="pager", password="x" * 12, is_staff=True
    )
    api_client.force_authenticate(staff)
    body = api_client.get("/api/v1/orders/?page_size=1").json()
    assert body["count"] == 2 and len(body["results"]) == 1 and body["next"]
    capped = api_client.get("/api/v1/orders/?page_size=100000").json()
    assert len(capped["results"]) == 2  # max_page_size caps, never an error


def test_order_with_more_than_a_thousand_lines(
    api_client, two_customers, django_assert_max_num_queries
):
    """Issue 16.7: an order of 1,114 distinct products (like invoice 573585) is served
    on SQLite, where a prefetch ``IN`` list of that size failed ("Expression tree is
    too large")."""
    from shop.models import Order, OrderLine, Product

    alice, _, a_order, _ = two_customers
    products = Product.objects.bulk_create(
        Product(stock_code=f"B{i:05d}", description=f"BULK {i}", list_price=1)
        for i in range(1114)
    )
    order = Order.objects.create(
        invoice_no="573585", customer=alice, placed_at=a_order.placed_at
    )
    OrderLine.objects.bulk_create(
        OrderLine(order=order, product=p, line_no=i, quantity=1, unit_price=1)
        for i, p in enumerate(products, start=1)
    )
    api_client.force_authenticate(alice.user)
    with django_assert_max_num_queries(4):  # customer, order, lines with products
        response = api_client.get("/api/v1/orders/573585/")
    assert response.status_code == 200, response.content[:300]
    lines = response.json()["lines"]
    assert len(lines) == 1114 and response.json()["total"] == "1114.00"
    assert [line["stock_code"] for line in lines[:2]] == ["B00000", "B00001"]
    assert lines[-1]["line_no"] == 1114


@pytest.mark.parametrize(
    "when",
    [
        "0172-05-01T10:00:00Z",
        "0001-01-01T00:00:00+01:00",  # before datetime.min once in UTC
        "1900-01-01T00:00:00Z",
        "2009-06-30T00:00:00Z",  # over a year before the first order
    ],
)
def test_event_dates_far_outside_the_shops_history_are_refused(
    api_client, catalogue, two_customers, when
):
    """Issue 16.13: the first order is 2011-06-01; the year 0172 is refused, the
    field named, nothing stored."""
    payload = {
        "kind": "search",
        "query": "mug",
        "session_key": "s",
        "occurred_at": when,
    }
    response = api_client.post("/api/v1/events/", payload, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body.get("field") == "occurred_at" or "occurred_at" in body.get("fields", {})
    assert not Event.objects.exists()
    payload["occurred_at"] = "2010-12-01T08:26:00Z"  # within the year before: kept
    ok = api_client.post("/api/v1/events/", payload, format="json")
    assert ok.status_code == 201 and ok.json()["occurred_at"] == "2010-12-01T08:26:00Z"


@pytest.mark.parametrize("size", ["0", "-5", "abc", "1.5"])
def test_unusable_page_size_is_400_naming_it(api_client, size):
    response = api_client.get("/api/v1/products/", {"page_size": size})
    assert response.status_code == 400, response.content
    assert "page_size" in response.json()["fields"]


def test_money_is_gbp_with_two_decimals(api_client, db):
    """V2 14.6: list_price "85.000", unit_price "2.550" (3 dp, as stored)."""
    customer = make_customer(with_user=True)
    product = make_product(list_price="85.000")
    odd = make_product(list_price="0.165")
    order = make_order(customer, [(product, 1, "2.550"), (odd, 3, "0.165")])
    prices = {
        p["id"]: p["list_price"]
        for p in api_client.get("/api/v1/products/").json()["results"]
    }
    assert prices[product.pk] == "85.00" and prices[odd.pk] == "0.17"
    api_client.force_authenticate(customer.user)
    lines = api_client.get(f"/api/v1/orders/{order.invoice_no}/").json()["lines"]
    assert [(x["unit_price"], x["amount"]) for x in lines] == [
        ("2.55", "2.55"),
        ("0.17", "0.50"),
    ]
