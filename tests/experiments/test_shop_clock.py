"""Attribution on historical data: with orders on the data clock (shop.clock), the
experiment's start, impressions and purchase events use the same clock, so a
storefront purchase after an impression is attributed to it."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from core.exceptions import InvalidInput
from experiments import services
from experiments.models import Impression
from experiments.selectors import experiment_readout
from experiments.serving import recommendations_serve
from recommender.services.collector import RecommendationResult
from shop.clock import shop_now
from shop.selectors import data_today
from shop.services.events import event_record
from shop.services.orders import order_place
from shop.services.stock import stock_set
from tests.factories import make_customer, make_order, make_product

pytestmark = pytest.mark.django_db
LAST = timezone.make_aware(datetime(2011, 12, 9, 12, 50))


@pytest.mark.parametrize("clock", ["auto", "wall"])
def test_storefront_purchase_is_attributed_on_either_clock(settings, clock):
    settings.SHOP = {"CLOCK": clock}
    mug = make_product(list_price="4.00")
    stock_set(product=mug, on_hand=5, is_assumed=False, reason="count")
    alice = make_customer()
    make_order(alice, [(mug, 1, "4.00")], placed_at=LAST, source="online_retail")
    exp = services.experiment_create(
        name="clock-test",
        hypothesis="recommendations raise spend",
        surfaces=["for_you"],
        variants=[
            {"name": "control", "share": "0.5", "is_control": True},
            {"name": "treatment", "share": "0.5", "serving_config": {"k": 3}},
        ],
    )
    exp = services.experiment_start(experiment=exp)
    item = {"product_id": mug.pk, "stock_code": mug.stock_code,
            "description": mug.description, "score": 1.0}  # fmt: skip
    served = recommendations_serve(
        surface="for_you",
        recommend=lambda k: RecommendationResult(items=[item], strategy="test"),
        customer=alice,
    )
    order = order_place(customer=alice, items=[(mug, 2)])
    event_record(kind="purchase", customer=alice, product_id=mug.pk,
                 recommendation_id=served.recommendation_id,
                 order=order.invoice_no)  # fmt: skip

    impression = Impression.objects.get(recommendation_id=served.recommendation_id)
    assert impression.served_at <= order.placed_at
    if clock == "auto":  # historical data: the data's "today" stays put
        assert data_today() == LAST.date()
        assert timezone.localtime(impression.served_at).date() == LAST.date()
    readout = experiment_readout(experiment=exp)
    shown = next(v for v in readout.variants if v.name == served.variant)
    assert shown.recommended_revenue == pytest.approx(8.0)
    assert shown.revenue == pytest.approx(8.0)
    assert readout.unattributed_expired == 0 and readout.unattributed_unknown == 0


def _historical_shop():
    """An imported order on 2011-12-09: the auto clock reads the data's last day."""
    mug = make_product(list_price="4.00")
    make_order(make_customer(), [(mug, 1, "4.00")], placed_at=LAST,
               source="online_retail")  # fmt: skip


def _variants():
    return [
        {"name": "control", "share": "0.5", "is_control": True},
        {"name": "treatment", "share": "0.5", "serving_config": {"k": 3}},
    ]


def test_planned_stop_is_due_on_the_shop_clock(settings):
    """On historical data the wall clock is years past any planned stop on the
    data's calendar: the stop-due job reads the shop clock, like the start."""
    settings.SHOP = {"CLOCK": "auto"}
    _historical_shop()
    now = shop_now()
    assert timezone.localtime(now).date() == LAST.date()
    exp = services.experiment_create(
        name="two-hours", hypothesis="h", surfaces=["for_you"],
        variants=_variants(), planned_stop=now + timedelta(hours=2),
    )  # fmt: skip
    exp = services.experiment_start(experiment=exp)
    assert timezone.localtime(exp.started_at).date() == LAST.date()
    assert services.experiments_stop_due() == []  # the wall clock would stop it
    exp.refresh_from_db()
    assert exp.status == "running"
    later = now + timedelta(hours=3)
    assert services.experiments_stop_due(now=later) == ["two-hours"]


def test_a_planned_stop_already_passed_on_the_shop_clock_is_refused(settings):
    settings.SHOP = {"CLOCK": "auto"}
    _historical_shop()
    with pytest.raises(InvalidInput, match="already passed on the shop clock") as err:
        services.experiment_create(
            name="late", hypothesis="h", surfaces=["for_you"], variants=_variants(),
            planned_stop=LAST - timedelta(days=1),
        )  # fmt: skip
    assert err.value.field == "planned_stop"
    assert "now 2011-12-09" in str(err.value)


def test_admin_add_form_proposes_a_start_on_the_shop_clock(settings, admin_client):
    settings.SHOP = {"CLOCK": "auto"}
    _historical_shop()
    page = admin_client.get("/admin/experiments/experiment/add/").content.decode()
    assert "on the shop clock, now 2011-12-09" in page
    assert 'name="planned_start_0" value="09/12/2011"' in page  # en-gb date
