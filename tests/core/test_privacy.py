"""Erasure: customer, orders, events, ratings anonymised; signal sent; idempotent."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.exceptions import NotFound
from core.privacy import customer_erase, exclude_erased
from core.signals import customer_erased
from shop.models import Customer, Event, Order, Rating
from tests.factories import make_customer, make_order, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def shopper():
    product = make_product()
    customer = make_customer("17850", with_user=True, email="ann@example.com")
    order = make_order(customer, [(product, 2, 1.5)], shipping_address="1 High St")
    Event.objects.create(
        kind="view",
        customer=customer,
        session_key="sess1",
        product=product,
        occurred_at=timezone.now(),
    )
    Rating.objects.create(customer=customer, product=product, value=4.0)
    other = make_customer("12345")
    make_order(other, [(product, 1, 1.5)], shipping_address="2 Low St")
    return customer, order, other


def test_erase_anonymises_everything_and_signals(shopper):
    customer, order, other = shopper
    user = customer.user
    received = []

    def receiver(sender, customer_id, **kw):
        received.append(customer_id)

    customer_erased.connect(receiver)
    try:
        customer_erase(customer_id=customer.pk)
    finally:
        customer_erased.disconnect(receiver)
    customer.refresh_from_db()
    order.refresh_from_db()
    user.refresh_from_db()
    assert customer.external_id == f"erased-{customer.pk}"
    assert customer.email == "" and customer.user is None and customer.erased_at
    assert user.username == f"erased-user-{user.pk}" and not user.is_active
    assert not user.has_usable_password()
    assert order.shipping_address == ""
    assert not Event.objects.filter(customer=customer).exists()
    assert Event.objects.get().session_key == ""
    assert not Rating.objects.filter(customer=customer).exists()
    assert received == [customer.pk]
    assert Order.objects.exclude(customer=customer).get().shipping_address == "2 Low St"


def test_training_selection_excludes_erased_keeps_guests(shopper):
    customer, order, other = shopper
    make_order(None, [(order.lines.first().product, 1, 1.0)])  # a guest order
    customer_erase(customer_id=customer.pk)
    kept = exclude_erased(Order.objects.all())
    assert customer.pk not in set(kept.values_list("customer_id", flat=True))
    assert kept.count() == 2  # the other customer's and the guest's


def test_erase_is_idempotent_and_unknown_id_is_404(shopper):
    customer, _, _ = shopper
    customer_erase(customer_id=customer.pk)
    received = []
    customer_erased.connect(
        lambda sender, customer_id, **kw: received.append(1),
        weak=False,
        dispatch_uid="t-idem",
    )
    try:
        customer_erase(customer_id=customer.pk)
    finally:
        customer_erased.disconnect(dispatch_uid="t-idem")
    assert received == []
    with pytest.raises(NotFound) as err:
        customer_erase(customer_id=999999)
    assert err.value.field == "customer_id"


def test_failing_receiver_rolls_the_erasure_back(shopper):
    customer, _, _ = shopper

    def broken(sender, customer_id, **kw):
        raise RuntimeError("transcript store down")

    customer_erased.connect(broken, dispatch_uid="t-broken")
    try:
        with pytest.raises(RuntimeError):
            customer_erase(customer_id=customer.pk)
    finally:
        customer_erased.disconnect(dispatch_uid="t-broken")
    customer.refresh_from_db()
    assert customer.erased_at is None and customer.external_id == "17850"


def test_command(shopper, capsys):
    customer, _, _ = shopper
    call_command("erase_customer", "17850")
    assert f"erased-{customer.pk}" in capsys.readouterr().out
    assert Customer.objects.get(pk=customer.pk).erased_at is not None
