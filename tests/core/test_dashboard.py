"""The admin home: what waits for whom (counts linking to filtered queues), model
health against the data's today, and no card breaking the page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core import dashboard
from core.dashboard import Queue, weekly_counts
from core.models import ModelArtifact, TaskRun
from tests.factories import make_customer, make_order, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(client, django_user_model):
    user = django_user_model.objects.create_superuser("boss", "b@example.com", "pw")
    client.force_login(user)
    return user


def _card(html: str, title: str) -> str:
    """The HTML of the card titled ``title``."""
    match = re.search(
        r'<section class="card[^"]*" aria-label="' + re.escape(title) + r'">(.*?)'
        r"</section>",
        html,
        re.S,
    )
    assert match, f"no card {title!r}"
    return match.group(1)


def test_cards_count_what_waits_and_link_to_the_filtered_queue(client, boss):
    from chatbot.models import Conversation, SupportTicket

    TaskRun.objects.create(task_name="inventory.forecast", status="failed", error="x")
    TaskRun.objects.create(task_name="inventory.forecast", status="succeeded")
    make_order(make_customer(), [(make_product(), 1, Decimal("2"))])  # placed
    make_order(make_customer(), [(make_product(), 1, Decimal("2"))], status="paid")
    make_order(make_customer(), [(make_product(), 1, Decimal("2"))], status="shipped")
    SupportTicket.objects.create(
        conversation=Conversation.objects.create(), reason="handoff", status="open"
    )
    html = client.get("/admin/").content.decode()
    expected = {
        "Failed task runs, last 7 days": (
            1,
            "/admin/core/taskrun/?status__exact=failed",
        ),
        "Orders to ship (placed or paid)": (2, "/admin/shop/order/?status__in="),
        "Open support tickets": (1, "/admin/chatbot/supportticket/"),
        "Price suggestions to review": (0, "/admin/pricing/pricesuggestion/?status="),
        "Reorder suggestions to approve": (
            0,
            "/admin/inventory/reordersuggestion/?status=pending",
        ),
    }
    for title, (count, url) in expected.items():
        card = _card(html, title)
        assert f">{count}</a>" in card, title
        link = re.search(r'href="([^"]+)"', card).group(1).replace("&amp;", "&")
        assert link.startswith(url), (title, link)
        assert client.get(link).status_code == 200, link
    failed = client.get("/admin/core/taskrun/?status__exact=failed")
    assert [r.status for r in failed.context["cl"].result_list] == ["failed"]
    to_ship = client.get("/admin/shop/order/?status__in=placed,paid")
    assert {o.status for o in to_ship.context["cl"].result_list} == {"placed", "paid"}


def test_model_health_says_what_serves_and_how_far_behind_the_data_it_is(client, boss):
    make_order(
        make_customer(),
        [(make_product(), 1, Decimal("2"))],
        placed_at=timezone.make_aware(datetime(2011, 12, 9, 12, 50)),
    )
    ModelArtifact.objects.create(
        kind="recommender.purchases",
        algorithm="ease",
        version=3,
        status="active",
        activated_at=timezone.now(),
        metrics={"validation": {"ndcg@10": 0.1082, "hit@10": 0.5, "variant": "new",
                                "cutoff": "2011-10-10T12:50:00+00:00"}},
        data_window={"last": "2011-12-02T10:00:00+00:00"},
    )  # fmt: skip
    html = client.get("/admin/").content.decode()
    assert "order history ends on <strong>2011-12-09</strong>" in html
    assert "Recommendations from purchases" in html and "v3 ease" in html
    assert "NDCG@10 0.108" in html
    assert "2011-12-02" in html and "7 days behind the data" in html


def test_a_failing_card_shows_unavailable_not_an_error(client, boss):
    def boom():
        raise RuntimeError("the database is on fire")

    dashboard.register_queue(
        Queue(
            name="test-broken",
            title="Broken queue",
            audience="operations",
            permission="",
            url="/admin/",
            count=boom,
        )
    )
    try:
        response = client.get("/admin/")
        assert response.status_code == 200
        assert ">–</a>" in _card(response.content.decode(), "Broken queue")
    finally:
        dashboard._queues.pop("test-broken")


def test_cards_follow_permissions(client, django_user_model):
    from django.contrib.auth.models import Permission

    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_supportticket"))
    client.force_login(clerk)
    html = client.get("/admin/").content.decode()
    assert "Open support tickets" in html
    assert "Price suggestions to review" not in html
    assert "Failed task runs" not in html


def test_weekly_counts_are_oldest_first_with_empty_weeks():
    now = timezone.now()
    for days_ago in (0, 1, 15):
        run = TaskRun.objects.create(task_name="a", status="failed")
        TaskRun.objects.filter(pk=run.pk).update(
            created_at=now - timedelta(days=days_ago)
        )
    counts = weekly_counts(TaskRun.objects.all(), "created_at", weeks=3)
    assert counts == [1.0, 0.0, 2.0]


def test_orders_age_on_the_shop_clock_and_customers_are_the_shops(client, boss):
    """V2 15.2: an order placed a minute ago (stamped 2011-12-09 by the shop clock)
    showed as "waiting more than 2 days" against the wall clock; the customers
    count held the 610 MovieLens users."""
    from shop.clock import clock_cache_clear, shop_now

    history = timezone.make_aware(datetime(2011, 12, 9, 12, 50))
    old = make_order(
        make_customer("12345"), [(make_product(), 1, Decimal("2"))],
        placed_at=history - timedelta(days=8), source="online_retail",
    )  # fmt: skip
    make_order(
        make_customer("12346"), [(make_product(), 1, Decimal("2"))],
        placed_at=history, status="delivered", source="online_retail",
    )  # fmt: skip
    clock_cache_clear()
    assert shop_now().date() == history.date()
    make_order(make_customer("12347"), [(make_product(), 1, Decimal("2"))],
               placed_at=shop_now(), source="shop")  # fmt: skip
    make_customer("900001", source="movielens")
    html = client.get("/admin/").content.decode()
    card = _card(html, "Orders to ship (placed or paid)")
    assert ">2</a>" in card
    assert "1 waiting more than 2 days" in card, card  # only the imported one
    assert old.status == "placed"
    assert "3 customers" in html and "4 customers" not in html
