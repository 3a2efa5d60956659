"""Support policy as rules (issue 17.6): returns vs delivery date and window,
cancellation and address change vs status, delivery answers, the admin page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from chatbot.models import SupportPolicy
from chatbot.services import policy as rules
from shop.models import Order, OrderStatusChange
from tests.factories import make_customer, make_order, make_product

S = Order.Status


@pytest.fixture
def customer(db):
    return make_customer()


def order(customer, status, *, days_ago=1):
    placed = timezone.now() - timedelta(days=days_ago)
    return make_order(
        customer, [(make_product(), 1, "2.00")], placed_at=placed, status=status
    )


def test_policy_is_one_row_with_defaults(db):
    policy = rules.policy_get()
    assert policy.return_window_days == 30 and policy.standard_price == Decimal("4.95")
    assert rules.policy_get().pk == policy.pk and SupportPolicy.objects.count() == 1


def test_return_window_counts_from_the_recorded_delivery(customer):
    policy = rules.policy_get()
    row = order(customer, S.DELIVERED, days_ago=60)
    # placed 60 days ago, but delivered (recorded) 10 days ago: still returnable
    change = OrderStatusChange.objects.create(
        order=row, from_status=S.SHIPPED, to_status=S.DELIVERED
    )
    OrderStatusChange.objects.filter(pk=change.pk).update(
        changed_at=timezone.now() - timedelta(days=10)
    )
    assert rules.return_verdict(row, policy).allowed
    later = timezone.now() + timedelta(days=21)
    verdict = rules.return_verdict(row, policy, now=later)
    assert not verdict.allowed and "30 days" in verdict.reason


def test_imported_orders_count_as_delivered_after_the_assumed_days(customer):
    policy = rules.policy_get()
    old = order(customer, S.DELIVERED, days_ago=400)
    verdict = rules.return_verdict(old, policy)
    assert not verdict.allowed and "can no longer be returned" in verdict.reason
    recent = order(customer, S.DELIVERED, days_ago=20)  # delivered ~15 days ago
    assert rules.return_verdict(recent, policy).allowed
    policy.return_window_days = 14
    policy.save()
    assert not rules.return_verdict(recent, rules.policy_get()).allowed


def test_returns_of_unshipped_or_cancelled_orders_are_refused(customer):
    policy = rules.policy_get()
    assert not rules.return_verdict(order(customer, S.PLACED), policy).allowed
    assert not rules.return_verdict(order(customer, S.CANCELLED), policy).allowed
    assert rules.return_verdict(order(customer, S.SHIPPED), policy).allowed


def test_cancel_and_address_change_follow_status_and_settings(customer):
    policy = rules.policy_get()
    placed, paid = order(customer, S.PLACED), order(customer, S.PAID)
    shipped = order(customer, S.SHIPPED)
    assert rules.cancel_verdict(placed, policy).allowed
    assert rules.cancel_verdict(paid, policy).allowed
    assert not rules.cancel_verdict(shipped, policy).allowed
    assert not rules.address_change_verdict(shipped, policy).allowed
    policy.cancel_after_payment = False
    policy.address_change_after_payment = False
    assert not rules.cancel_verdict(paid, policy).allowed
    assert rules.cancel_verdict(placed, policy).allowed
    assert not rules.address_change_verdict(paid, policy).allowed
    policy.cancellation_fee = Decimal("2.50")
    assert "£2.50" in rules.cancel_verdict(placed, policy).reason


def test_delivery_answer_follows_the_question_and_the_settings(db):
    policy = rules.policy_get()
    assert rules.delivery_topics("Can I get next day delivery?") == ["next_day"]
    assert "international" in rules.delivery_topics("do you deliver to Germany")
    answer = rules.delivery_answer("Can I get next day delivery?", policy)
    assert "£9.95" in answer and "13:00" in answer and "outside" not in answer
    policy.next_day_available = False
    answer = rules.delivery_answer("Can I get next day delivery?", policy)
    assert "don't offer next-day" in answer
    policy.free_delivery_over = None
    cost = rules.delivery_answer("how much is postage", policy)
    assert "£4.95" in cost and "free" not in cost


def test_support_lead_edits_the_policy_in_the_admin(admin_client):
    page = admin_client.get("/admin/chatbot/supportpolicy/")
    assert page.status_code == 200 and "return_window_days" in page.content.decode()
    form = {
        f.name: getattr(SupportPolicy(), f.attname)
        for f in SupportPolicy._meta.fields
        if f.name != "id"
    }
    form.update(return_window_days=14, next_day_cutoff="12:00", free_delivery_over="")
    response = admin_client.post("/admin/chatbot/supportpolicy/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert rules.policy_get().return_window_days == 14
    assert "14 days" in rules.refund_policy_text(rules.policy_get())
    bad = dict(form, standard_days_min=6, standard_days_max=3)
    assert admin_client.post("/admin/chatbot/supportpolicy/", bad).status_code == 200


def test_faq_seed_answers_quote_the_policy_settings(db):
    """Issue 17.6: FAQ texts read the support lead's settings, not fixed words."""
    import json

    from chatbot.services.data import FAQ_SEED

    answers = {e["key"]: e["answer"] for e in json.loads(FAQ_SEED.read_text())}
    policy = rules.policy_get()
    filled = {k: rules.faq_text_fill(a, policy) for k, a in answers.items()}
    assert "within 30 days of delivery" in filled["returns-policy"]
    assert "£4.95, free on orders over £50.00" in filled["shipping-options"]
    assert "help@example-giftshop.co.uk" in filled["opening-hours"]

    policy.return_window_days = 14
    policy.standard_price = Decimal("3.50")
    policy.free_delivery_over = None
    policy.next_day_available = False
    policy.cancellation_fee = Decimal("2.00")
    policy.support_phone = "0800 000 111"
    policy.save()
    policy = rules.policy_get()
    filled = {k: rules.faq_text_fill(a, policy) for k, a in answers.items()}
    assert "within 14 days of delivery" in filled["returns-policy"]
    assert "within 14 days of delivery" in filled["cancellation"]
    assert "fee of £2.00" in filled["cancellation"]
    shipping = filled["shipping-options"]
    assert "£3.50." in shipping and "£4.95" not in shipping
    assert "free on" not in shipping
    assert "don't offer next-day" in shipping and "£9.95" not in shipping
    assert "0800 000 111" in filled["opening-hours"]
    for key, text in filled.items():
        assert "{" not in text, (key, text)  # every placeholder is known
        assert "30 days of delivery" not in text and "£4.95" not in text, key


def test_faq_answer_with_an_unknown_placeholder_is_refused(db):
    from django.core.exceptions import ValidationError

    from chatbot.models import FAQEntry

    entry = FAQEntry(key="x", question="q", answer="Within {return_days} days.")
    with pytest.raises(ValidationError) as err:
        entry.full_clean()
    assert "{return_days}" in str(err.value.message_dict["answer"])
    assert rules.faq_text_fill("Within {return_days} days.", rules.policy_get()) == (
        "Within {return_days} days."
    )
