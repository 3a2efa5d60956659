"""Customer accounts: sign in and out, no account enumeration, only one's own data."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

from tests.storefront.world import PASSWORD, sign_in

pytestmark = pytest.mark.django_db


def login(client, username, password):
    return client.post(
        "/account/login/", {"username": username, "password": password}, follow=True
    )


def _page_without_tokens(response) -> str:
    return re.sub(r'value="[^"]*"', "", response.content.decode())


def test_sign_in_and_out(client, shop_world):
    alice = shop_world["alice"]
    response = login(client, alice.user.username, PASSWORD)
    assert response.redirect_chain == [("/", 302)]
    assert "You are signed in." in response.content.decode()
    assert "Recommended for you" in response.content.decode()
    assert client.get("/account/").status_code == 200
    response = client.post("/account/logout/", follow=True)
    assert "You are signed out." in response.content.decode()
    assert client.get("/account/").status_code == 302


def test_sign_in_returns_to_the_page_asked_for(client, shop_world):
    alice = shop_world["alice"]
    response = client.post(
        "/account/login/?next=/checkout/",
        {"username": alice.user.username, "password": PASSWORD, "next": "/basket/"},
    )
    assert response.status_code == 302 and response["Location"] == "/basket/"


def test_wrong_credentials_never_tell_which_accounts_exist(client, shop_world):
    alice = shop_world["alice"]
    staff = get_user_model().objects.create_user(
        username="staffer", password=PASSWORD, is_staff=True
    )
    wrong_password = login(client, alice.user.username, "nope-nope-nope")
    unknown_user = login(client, "nobody-here", "nope-nope-nope")
    not_a_customer = login(client, staff.username, PASSWORD)
    message = "That username and password do not match a customer account."
    for response in (wrong_password, unknown_user, not_a_customer):
        assert response.status_code == 200 and message in response.content.decode()
        assert "_auth_user_id" not in client.session
    assert _page_without_tokens(wrong_password) == _page_without_tokens(unknown_user)


def test_account_lists_own_orders_and_buy_again(client, shop_world):
    sign_in(client, shop_world["alice"])
    page = client.get("/account/").content.decode()
    assert shop_world["a_order"].invoice_no in page
    assert shop_world["b_order"].invoice_no not in page
    assert "Delivered" in page and "£11.80" in page
    assert "Buy again" in page and "You bought this on " in page


def test_another_customers_order_is_a_404_like_a_missing_one(client, shop_world):
    sign_in(client, shop_world["alice"])
    mine = client.get(f"/account/orders/{shop_world['a_order'].invoice_no}/")
    assert mine.status_code == 200 and "White Hanging Heart T-Light Holder 0" in (
        mine.content.decode()
    )
    other = client.get(f"/account/orders/{shop_world['b_order'].invoice_no}/")
    missing = client.get("/account/orders/999999999/")
    assert other.status_code == missing.status_code == 404


def test_account_pages_need_sign_in(client, shop_world):
    for url in ("/account/", f"/account/orders/{shop_world['a_order'].invoice_no}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/account/login/?next=")


def test_buy_again_from_an_order_adds_its_line(client, shop_world):
    sign_in(client, shop_world["alice"])
    candle = shop_world["candles"][0]
    response = client.post(
        "/basket/add/",
        {"product": candle.pk, "quantity": 3, "from": "buy_again"},
        follow=True,
    )
    assert client.session["basket"][str(candle.pk)]["qty"] == 3
    assert response.status_code == 200


def test_chat_uses_the_signed_in_session(client, shop_world):
    """The widget's API calls carry the customer's session: the conversation is
    theirs, and another customer cannot read it."""
    from chatbot.models import Conversation

    sign_in(client, shop_world["alice"])
    token = client.get("/").cookies["csrftoken"].value
    client.handler.enforce_csrf_checks = True
    started = client.post(
        "/api/v1/chat/conversations/",
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert started.status_code == 201, started.content
    public_id = started.json()["conversation"]["id"]
    conversation = Conversation.objects.get(public_id=public_id)
    assert conversation.customer == shop_world["alice"]
    client.logout()
    sign_in(client, shop_world["bob"])
    assert client.get(f"/api/v1/chat/conversations/{public_id}/").status_code == 404
