"""Attribution on historical data: with orders on the data clock (shop.clock), the
experiment's start, impressions and purchase events use the same clock, so a
storefront purchase after an impression is attributed to it."""

from datetime import datetime

import pytest
from django.utils import timezone

from experiments import services
from experiments.models import Impression
from experiments.selectors import experiment_readout
from experiments.serving import recommendations_serve
from recommender.services.collector import RecommendationResult
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
