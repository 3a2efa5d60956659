"""Admin pages (chart, products at risk, actions) and the Celery fan-out (eager)."""

from datetime import date

import pytest

from inventory import services, tasks
from inventory.models import Forecast, ForecastRun, PurchaseOrder, ReorderSuggestion
from shop.services.stock import stock_set

pytestmark = pytest.mark.django_db


def test_admin_chart_risk_list_and_approve_action(history, admin_client):
    stock_set(product=history["steady"], on_hand=3, is_assumed=False, reason="count")
    run = services.forecast_demand()
    forecast = Forecast.objects.get(run=run, product=history["steady"])
    page = admin_client.get(f"/admin/inventory/forecast/{forecast.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "reorder point" in html and "95 % interval" in html
    risk = admin_client.get("/admin/inventory/productatrisk/?o=8")
    assert risk.status_code == 200 and "10001" in risk.content.decode()
    suggestion = ReorderSuggestion.objects.get(product=history["steady"])
    resp = admin_client.post(
        "/admin/inventory/reordersuggestion/",
        {"action": "decide_order", "_selected_action": [suggestion.pk]},
        follow=True,
    )
    assert resp.status_code == 200
    suggestion.refresh_from_db()
    assert suggestion.status == "approved"
    assert PurchaseOrder.objects.get().lines.get().quantity == suggestion.quantity


def test_nightly_task_fans_out_in_chunks_and_publishes(history, settings):
    settings.INVENTORY = {"CHUNK_SIZE": 1}
    out = tasks.forecast_task.delay().get()
    assert out["products"] == 3
    run = ForecastRun.objects.get(pk=out["run_id"])
    assert run.status == "succeeded" and run.n_products == 3
    assert run.as_of == date(2011, 9, 30)
    # unchanged data: the next night does nothing
    assert "skipped" in tasks.forecast_task.delay().get()
