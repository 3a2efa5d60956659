"""Every admin page of the suite, walked: each registered ModelAdmin's list and the
detail page of a real row render; no page shows "X object (3709)", a float's 16
digits or raw JSON; records written by services are read-only (no Add, no Save, no
Delete, no "Delete selected" action). Issue 15.2, as found by the V2 walk.

The rows come from the services themselves (a forecast run over a short order
history, a reorder approved into a purchase order) plus chatbot and pricing records
with the long floats the V2 walk saw (confidence 0.9978263974189758).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_customer, make_order, make_product

pytestmark = pytest.mark.django_db

SUITE_APPS = {"core", "shop", "recommender", "pricing", "inventory", "chatbot",
              "experiments"}  # fmt: skip
# records computed or written by services, imports and tasks: never edited by hand
READ_ONLY = {
    "core.TaskRun", "core.ModelArtifact", "core.Lock",
    "shop.OrderLine", "shop.OrderStatusChange", "shop.StockLevel",
    "shop.StockMovement", "shop.Event", "shop.Rating", "shop.ImportReport",
    "shop.ImportIssue", "shop.PriceChange",
    "recommender.RecommenderModel", "recommender.EvaluationRun",
    "recommender.ProductNeighbours", "recommender.PrecomputedRecommendation",
    "pricing.ElasticityEstimate", "pricing.PriceReadout",
    "inventory.ForecastRun", "inventory.Forecast", "inventory.ProductAtRisk",
    "inventory.ModelChoice", "inventory.SimulationRun",
    "inventory.ReorderSuggestion",
    "chatbot.Conversation", "chatbot.EvaluationRun",
    "chatbot.MisunderstoodMessage",
    "experiments.SurfaceConfig", "experiments.Impression",
}  # fmt: skip
# the detail pages the V2 walk found unreadable: each must be walked here
MUST_WALK = {
    "inventory.Forecast", "inventory.ForecastRun", "inventory.ModelChoice",
    "inventory.PurchaseOrder", "inventory.ProductAtRisk",
    "chatbot.Conversation", "chatbot.EvaluationRun", "pricing.ElasticityEstimate",
}  # fmt: skip
LONG_FLOAT = re.compile(r"\d\.\d{5,}")
OBJECT_LABEL = re.compile(r"\b\w+ object \(\d+\)")
# real descriptions run to 35 characters (Online Retail)
NAMES = ("WHITE HANGING HEART T-LIGHT HOLDER", "SET OF 3 CAKE TINS PANTRY DESIGN",
         "ASSORTED COLOUR BIRD ORNAMENT")  # fmt: skip


def _visible_text(html: str) -> str:
    """The page as a person reads it: no SVG drawing data, scripts, tags or
    attribute values (an SVG path's coordinates are not numbers for people)."""
    html = re.sub(r"(?s)<svg.*?</svg>", " ", html)
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture
def suite_rows(db):
    """Rows of the computed models, made by the services where they exist."""
    from chatbot.models import Conversation, EvaluationRun, Message
    from inventory import services as inventory
    from inventory.models import ReorderSuggestion
    from pricing.models import ElasticityEstimate
    from shop.services.stock import stock_set

    customer = make_customer()
    products = [
        make_product(f"2{n:04d}", description=name, source="online_retail")
        for n, name in enumerate(NAMES)
    ]
    day = datetime(2011, 6, 1, 10, 0)
    for i in range(100):
        when = timezone.make_aware(day + timedelta(days=i))
        lines = [(products[0], 7 + i % 5, "2.55"), (products[i % 3], 3, "4.95")]
        make_order(customer, lines, placed_at=when)
    stock_set(product=products[0], on_hand=3, is_assumed=False, reason="count")
    inventory.forecast_demand()
    assert ReorderSuggestion.objects.filter(status="pending").exists()
    conversation = Conversation.objects.create(customer=customer)
    Message.objects.create(conversation=conversation, role="user",
                           text="where is my order", intent="order_status",
                           confidence=0.9978263974189758)  # fmt: skip
    EvaluationRun.objects.create(
        dataset="holdout", n_examples=986, accuracy=0.9512345678,
        macro_f1=0.9483456789, latency_p50_ms=68.123456, latency_p95_ms=164.98765,
        per_intent={"order_status": {"f1": 0.987654321, "support": 31}},
    )  # fmt: skip
    ElasticityEstimate.objects.create(
        product=products[1], status="identified", elasticity=-2.345678912,
        se=0.4123456789, ci_low=-3.1567891234, ci_high=-1.5345678912,
        anchor_price=4.953333333, anchor_units=31.41592653, min_price=4.25,
        max_price=4.95, last_price=4.95,
        points=[[4.953333333, 31.41592653], [4.25, 40.12345678]],
    )  # fmt: skip
    return products


def _request():
    from django.contrib.auth import get_user_model

    request = RequestFactory().get("/admin/")
    request.user = get_user_model().objects.get(is_superuser=True)
    return request


def _approve_a_reorder(admin_client) -> None:
    from inventory.models import ReorderSuggestion

    suggestion = ReorderSuggestion.objects.filter(status="pending").first()
    assert suggestion is not None, "the forecast run proposed no reorder"
    admin_client.post(
        "/admin/inventory/reordersuggestion/",
        {"action": "decide_order", "_selected_action": [suggestion.pk]},
    )


def test_every_model_of_the_suite_has_a_label():
    """No "ModelChoice object (3709)" anywhere: every model names itself."""
    plain = [
        m._meta.label
        for m in apps.get_models()
        if m._meta.app_label in SUITE_APPS and m.__str__ is models.Model.__str__
    ]
    assert plain == []


def test_every_admin_list_and_detail_page_is_readable(admin_client, suite_rows):
    _approve_a_reorder(admin_client)
    request = _request()
    walked, problems = set(), []
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        if opts.app_label not in SUITE_APPS:
            continue
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        page = admin_client.get(url)
        if page.status_code == 302:  # a singleton (support policy) opens its form
            page = admin_client.get(page["Location"])
        assert page.status_code == 200, url
        text = _visible_text(page.content.decode())
        problems += [f"{url}: {m}" for m in LONG_FLOAT.findall(text)[:3]]
        problems += [f"{url}: {m}" for m in OBJECT_LABEL.findall(text)[:3]]
        row = model_admin.get_queryset(request).first()
        if row is None:
            continue
        detail = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk]
        )
        page = admin_client.get(detail)
        assert page.status_code == 200, detail
        html = page.content.decode()
        text = _visible_text(html)
        problems += [
            f"{detail}: {text[max(m.start() - 60, 0) : m.end()]!r}"
            for m in list(LONG_FLOAT.finditer(text))[:3]
        ]
        problems += [f"{detail}: {m}" for m in OBJECT_LABEL.findall(text)[:3]]
        if re.search(r'<textarea[^>]*>\s*[\[{]\s*"', html) and opts.label in READ_ONLY:
            problems.append(f"{detail}: raw JSON")
        walked.add(opts.label)
        if opts.label in READ_ONLY:
            assert 'name="_save"' not in html, f"{detail} offers Save"
            assert "deletelink" not in html, f"{detail} offers Delete"
    assert problems == []
    assert MUST_WALK <= walked, sorted(MUST_WALK - walked)


def test_records_written_by_services_expose_no_add_or_delete(admin_client):
    request = _request()
    registered = {m._meta.label: a for m, a in admin.site._registry.items()}
    assert READ_ONLY <= set(registered), sorted(READ_ONLY - set(registered))
    for label in sorted(READ_ONLY):
        model_admin = registered[label]
        assert not model_admin.has_add_permission(request), label
        assert not model_admin.has_delete_permission(request), label
        assert "delete_selected" not in model_admin.get_actions(request), label
        opts = model_admin.model._meta
        page = admin_client.get(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        ).content.decode()
        assert "Delete selected" not in page, label
        tools = re.search(r'(?s)<ul class="object-tools">.*?</ul>', page)
        assert not tools or "addlink" not in tools.group(0), label
