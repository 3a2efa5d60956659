"""The chat's order status agrees with the checkout and counts products in words
(V2 issue 12: "waiting for payment" beside "Payment is taken when the order ships";
"1 item line(s)")."""

from __future__ import annotations

import pytest

from chatbot.actions import order_status
from tests.factories import make_customer, make_order, make_product

pytestmark = pytest.mark.django_db


def test_a_placed_order_says_payment_is_taken_when_it_ships():
    customer = make_customer()
    mug, jar = make_product(), make_product()
    one = make_order(customer, [(mug, 2, "2.10")], invoice_no="581588")
    text = order_status(None, one).text
    assert "(placed" in text and "1 product, £4.20)" in text
    assert "waiting for payment" not in text
    assert "payment is taken when it ships" in text
    two = make_order(customer, [(mug, 1, "2.10"), (jar, 1, "1.00")])
    assert "2 products, £3.10)" in order_status(None, two).text
