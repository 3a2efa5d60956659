"""The admin as its users work it, in headless Chromium against the live server: the
home dashboard, every queue it links to and the other queues of the suite, the jobs
page with an order upload followed to its result, and the preview. Each screen is
saved at 1,400 and 390 px wide (``SCREENSHOT_DIR``, default a temporary folder)."""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from tests.factories import make_customer, make_order, make_product
from tests.shop.conftest import HEADER

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "browser-pw-123456"
WIDTHS = (1400, 390)
SUITE_APPS = ("core", "shop", "recommender", "pricing", "inventory", "chatbot",
              "experiments", "django_celery_beat")  # fmt: skip
# real Online Retail descriptions run to 35 characters: the lists must fit them
NAMES = ("WHITE HANGING HEART T-LIGHT HOLDER", "SET OF 3 REGENCY CAKE TINS IN A BOX",
         "ASSORTED COLOUR BIRD ORNAMENT", "JUMBO BAG PINK VINTAGE PAISLEY",
         "PAPER CHAIN KIT 50'S CHRISTMAS", "REGENCY CAKESTAND 3 TIER")  # fmt: skip


def every_list() -> dict[str, str]:
    """Every list (changelist) of the suite's admin: name -> URL."""
    from django.contrib import admin
    from django.urls import reverse

    return {
        f"list-{m._meta.app_label}-{m._meta.model_name}": reverse(
            f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist"
        )
        for m in admin.site._registry
        if m._meta.app_label in SUITE_APPS
    }


# the queues of the home page, shot under their own names
QUEUES = {
    "task-runs": "/admin/core/taskrun/",
    "models": "/admin/core/modelartifact/",
    "products": "/admin/shop/product/",
    "customers": "/admin/shop/customer/",
    "orders": "/admin/shop/order/",
    "import-reports": "/admin/shop/importreport/",
    "stock": "/admin/shop/stocklevel/",
    "recommenders": "/admin/recommender/recommendermodel/",
    "evaluations": "/admin/recommender/evaluationrun/",
    "schedules": "/admin/django_celery_beat/periodictask/",
    "support-inbox": "/admin/chatbot/supportticket/",
    "misunderstood": "/admin/chatbot/misunderstoodmessage/",
}


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path / "screens")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def shop(transactional_db, django_user_model):
    """A small shop: orders to ship and delivered ones, stock, a failed run, a model."""
    from core.models import ModelArtifact, TaskRun
    from shop.services.stock import stock_set

    django_user_model.objects.create_superuser("boss", "b@example.com", PASSWORD)
    start = timezone.make_aware(datetime(2011, 11, 1, 10, 0))
    products = [
        make_product(f"2{i:04d}", description=NAMES[i],
                     source="online_retail", list_price=Decimal("2.95") + i)
        for i in range(6)
    ]  # fmt: skip
    for i, product in enumerate(products):
        stock_set(product=product, on_hand=10 * i, is_assumed=i % 2 == 0,
                  assumption="30 days of demand", reason="count")  # fmt: skip
    for n in range(12):
        customer = make_customer(f"{17850 + n}")
        make_order(
            customer,
            [(products[n % 6], 2, Decimal("2.95")), (products[(n + 1) % 6], 1, 3)],
            placed_at=start + timedelta(days=3 * n),
            status="delivered" if n < 9 else "placed",
        )
    TaskRun.objects.create(
        task_name="inventory.forecast", status="failed", error="ValueError: no sales"
    )
    from inventory.services import forecast_demand

    forecast_demand()  # forecasts, products at risk, reorder suggestions
    _support_desk()
    ModelArtifact.objects.create(
        kind="recommender.purchases", algorithm="popularity", version=1,
        status="active", activated_at=timezone.now(),
        metrics={"validation": {"ndcg@10": 0.12, "variant": "new"}},
    )  # fmt: skip
    return products


def _support_desk() -> None:
    """Two tickets (one overdue) and a misunderstood message for the support queues."""
    from chatbot.models import Conversation, Message, SupportTicket
    from chatbot.services.tickets import ticket_create

    said = {
        "complaint": "Your service is terrible, I've waited three weeks",
        "contact_human_agent": "can I speak to someone about order 536365",
    }
    for n, (reason, text) in enumerate(said.items()):
        conversation = Conversation.objects.create()
        Message.objects.create(
            conversation=conversation, role="user", text=text,
            review="clarify" if n else "",
        )  # fmt: skip
        ticket = ticket_create(conversation=conversation, reason=reason)
        if n == 0:
            SupportTicket.objects.filter(pk=ticket.pk).update(
                due_at=timezone.now() - timedelta(hours=2)
            )


def _login(page, base: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")


def _shoot(page, shots: Path, name: str, width: int) -> None:
    page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)


def test_dashboard_and_every_queue(live_server, browser, shop, shots):
    for width in WIDTHS:
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.set_default_timeout(60_000)  # a loaded 2-core machine
        _login(page, live_server.url)
        home = page.inner_text("#content")
        assert "No Celery worker: schedules do not run" in home
        assert "Waiting for people" in home and "Models" in home
        _shoot(page, shots, "home", width)
        cards = page.locator("section.card a.title")
        links = {
            cards.nth(i).inner_text(): cards.nth(i).get_attribute("href")
            for i in range(cards.count())
        }
        assert "Orders to ship (placed or paid)" in links
        assert "Failed task runs, last 7 days" in links
        for title, href in links.items():
            page.goto(live_server.url + href)
            assert page.locator("#content h1").count() == 1, title
            _shoot(page, shots, "queue-" + re.sub(r"\W+", "-", title.lower()), width)
        page.goto(live_server.url + links["Orders to ship (placed or paid)"])
        assert page.locator("#result_list tbody tr").count() == 3
        page.goto(live_server.url + links["Open support tickets"])
        assert page.locator("#result_list tbody tr").count() == 2
        assert "overdue" in page.inner_text("#result_list tbody tr >> nth=0")
        off_screen = {}
        for name, url in {**QUEUES, **every_list()}.items():
            page.goto(live_server.url + url)
            assert page.locator("#content h1").count() == 1, name
            if width == 1400 and page.locator("#changelist .results").count():
                overflow = page.evaluate(
                    "() => { const r = document.querySelector('#changelist .results');"
                    " return r.scrollWidth - r.clientWidth; }"
                )
                if overflow > 1:
                    off_screen[name] = overflow
            _shoot(page, shots, name, width)
        # every list's columns fit at 1,400 px (long names cut, with a tooltip)
        assert off_screen == {}, f"px off-screen at 1,400 px: {off_screen}"
        page.goto(live_server.url + "/admin/inventory/forecast/")
        tips = page.eval_on_selector_all(
            "#result_list .clip[title]", "cells => cells.map(c => c.title)"
        )
        assert any(NAMES[1] in tip for tip in tips), tips
        page.close()


def test_upload_orders_from_the_admin_and_follow_it_to_its_report(
    live_server, browser, shop, shots, tmp_path
):
    rows = [
        ["581600", "20000", "HEART LANTERN 0", "4", "2011-12-09 13:00", "2.95",
         "17850", "United Kingdom"],
        ["581601", "20001", "HEART LANTERN 1", "many", "2011-12-09 13:05", "3.95",
         "17851", "United Kingdom"],
    ]  # fmt: skip
    path = tmp_path / "december.csv"
    path.write_text(",".join(HEADER) + "\n" + "\n".join(",".join(r) for r in rows))
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(60_000)
    _login(page, live_server.url)
    page.click("a.button[href='/admin/jobs/shop-import-orders/']")  # home > jobs
    page.wait_for_url("**/admin/jobs/shop-import-orders/")
    _shoot(page, shots, "job-upload-orders", 1400)
    page.set_input_files("input[type=file]", str(path))
    page.click("input[type=submit].default")
    assert "/admin/core/taskrun/" in page.url
    _shoot(page, shots, "job-progress", 1400)
    page.wait_for_function(
        "() => /succeeded|failed/.test(document.querySelector('.progress-box h2')"
        ".textContent)",
        timeout=90_000,
    )
    box = page.inner_text(".progress-box")
    assert "succeeded" in box and "1 rejected rows, by row number" in box
    _shoot(page, shots, "job-done", 1400)
    page.click(".results a:has-text('rejected rows, by row number')")
    issues = page.inner_text("#result_list")
    assert "bad_quantity" in issues or "quantity" in issues.lower()
    assert re.search(r"^\s*2\s", issues, re.M)  # the bad row's number
    _shoot(page, shots, "job-rejected-rows", 1400)
    page.close()
