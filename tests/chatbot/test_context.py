"""Product answers from the sellable catalogue and context across turns
(issue 17.2, 17.3). The NLU is replaced by a parse of a chosen intent where the test
is about the dialogue, not the classifier."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from chatbot import dialogue
from chatbot.actions import Context
from chatbot.models import Conversation
from chatbot.services.nlu import Parse
from shop.models import Category, Order, Product, StockLevel
from tests.factories import make_customer, make_order, make_product


@pytest.fixture
def catalogue(db, memo_encoder):
    """A few sellable products (two candle holders), a film, a service code and a
    zero-priced code that must never be offered; the product index built."""
    from chatbot.services.knowledge import product_index_build

    lights = Category.objects.create(name="Candles & T-light holders")
    kitchen = Category.objects.create(name="Kitchen & baking")
    rows = {
        "heart": make_product(
            description="WHITE HANGING HEART T-LIGHT HOLDER",
            list_price=Decimal("2.95"),
            category=lights,
        ),
        "fluted": make_product(
            description="FLUTED ANTIQUE CANDLE HOLDER",
            list_price=Decimal("0.85"),
            category=lights,
        ),
        "glass": make_product(
            description="GLASS STAR T-LIGHT HOLDER",
            list_price=Decimal("1.25"),
            category=lights,
        ),
        "tins": make_product(
            description="SET OF 3 CAKE TINS PANTRY DESIGN",
            list_price=Decimal("4.95"),
            category=kitchen,
        ),
        "charge": make_product(
            stock_code="PACK",
            description="PACKING CHARGE",
            kind="fee",
            is_merchandise=False,
            list_price=Decimal("1.00"),
        ),  # fmt: skip
        "film": make_product(
            description="Toy Story (1995)", source="movielens", list_price=Decimal(9)
        ),
        "free": make_product(description="CHARGER FILM WRAP", list_price=Decimal(0)),
    }
    StockLevel.objects.create(product=rows["heart"], on_hand=12)
    StockLevel.objects.create(product=rows["glass"], on_hand=0)
    assert product_index_build(force=True) is not None
    return rows


@pytest.fixture
def forced(monkeypatch):
    box = {"intent": "product_search"}

    def parse(text):
        return Parse(intent=box["intent"], confidence=0.97, top=[(box["intent"], 0.97)])

    monkeypatch.setattr(dialogue, "nlu_parse", parse)
    return box


class Chat:
    def __init__(self, customer=None):
        user = customer.user if customer is not None else None
        self.conversation = Conversation.objects.create(user=user, customer=customer)
        self.ctx = Context(self.conversation, user, customer)

    def say(self, text):
        turn = dialogue.respond(self.ctx, text)
        self.conversation.save()
        return turn


def shown(turn) -> list[str]:
    return [row["description"] for row in turn.data.get("products", [])]


def test_products_come_from_the_sellable_catalogue_with_price_and_stock(
    catalogue, forced
):
    turn = Chat().say("Do you sell candle holders?")
    assert turn.action == "product_search"
    assert shown(turn)[0] == "FLUTED ANTIQUE CANDLE HOLDER"
    assert set(shown(turn)) <= {
        "FLUTED ANTIQUE CANDLE HOLDER",
        "WHITE HANGING HEART T-LIGHT HOLDER",
        "GLASS STAR T-LIGHT HOLDER",
    }
    assert "£0.85 each" in turn.text
    wedding = Chat().say("looking for candle holders for a wedding")
    assert wedding.action == "product_search", wedding.text
    holders = Chat().say("have you got t-light holders")
    assert "£2.95" in holders.text and ", in stock" in holders.text
    assert "out of stock" in holders.text  # the glass star holder has none


def test_nothing_fits_says_so_and_offers_real_categories(catalogue, forced):
    turn = Chat().say("Do you sell iphone chargers?")
    assert turn.action == "product_not_sold", turn.text
    assert "don't sell iphone chargers" in turn.text
    assert "PACKING" not in turn.text and "FILM" not in turn.text.upper()
    names = {c["name"] for c in turn.data["categories"]}
    assert names <= {"Candles & T-light holders", "Kitchen & baking"}


def test_follow_ups_refer_to_the_product_just_shown(catalogue, forced):
    chat = Chat()
    first = chat.say("white hanging heart t-light holder")
    assert shown(first)[0] == "WHITE HANGING HEART T-LIGHT HOLDER"
    forced["intent"] = "track_order"  # whatever the NLU makes of it
    stock = chat.say("is it in stock?")
    assert stock.action == "product_info" and "in stock" in stock.text
    assert "White Hanging Heart" in stock.text
    price = chat.say("how much is it?")
    assert "£2.95" in price.text
    cheaper = chat.say("show me cheaper ones")
    assert cheaper.action == "product_cheaper"
    assert set(shown(cheaper)) == {
        "GLASS STAR T-LIGHT HOLDER",
        "FLUTED ANTIQUE CANDLE HOLDER",
    }
    assert all(float(row["price"]) < 2.95 for row in cheaper.data["products"])
    forced["intent"] = "delivery_options"
    delivery = chat.say("how much is delivery?")
    assert delivery.action == "delivery_info"  # not a product follow-up


def test_other_one_among_products(catalogue, forced):
    chat = Chat()
    chat.say("t-light holders")
    first = chat.say("how much is it")
    other = chat.say("no, the other one")
    assert other.action == "product_info"
    assert shown(other) and shown(other) != shown(first)[:1]


@pytest.fixture
def alice(db):
    customer = make_customer(with_user=True)
    mug = make_product(description="RED RETROSPOT MUG")
    now = timezone.now()
    make_order(customer, [(mug, 1, "2.10")], invoice_no="536100",
               placed_at=now - timedelta(days=30))  # fmt: skip
    make_order(customer, [(mug, 2, "2.10")], invoice_no="536200",
               placed_at=now - timedelta(days=2))  # fmt: skip
    bob = make_customer(with_user=True)
    make_order(bob, [(mug, 1, "2.10")], invoice_no="536300", placed_at=now)
    return customer


def test_the_latest_one_answers_which_order(alice, forced):
    chat = Chat(alice)
    forced["intent"] = "track_order"
    ask = chat.say("where is my order?")
    assert ask.action == "ask_order_number"
    forced["intent"] = "recommendation"  # the bug: the answer was read afresh
    reply = chat.say("the most recent one")
    assert reply.action == "order_status" and "536200" in reply.text


def test_my_last_order_and_it_and_the_other_one(alice, forced):
    chat = Chat(alice)
    forced["intent"] = "cancel_order"
    confirm = chat.say("please cancel my last order")
    assert confirm.action == "confirm_cancel" and "536200" in confirm.text
    other = chat.say("no, the other one")
    assert other.action == "confirm_cancel" and "536100" in other.text
    assert Order.objects.get(invoice_no="536200").status == Order.Status.PLACED
    forced["intent"] = "track_order"
    status = chat.say("where is it now?")
    assert status.action == "order_status" and "536100" in status.text
    # nothing was confirmed: nothing was cancelled
    assert not Order.objects.filter(status=Order.Status.CANCELLED).exists()


def test_it_after_a_bare_order_number(alice, forced):
    chat = Chat(alice)
    assert chat.say("536100").action == "ask_intent"
    forced["intent"] = "cancel_order"
    assert "536100" in chat.say("cancel it").text
    assert chat.say("yes").action == "cancel_done"
    assert Order.objects.get(invoice_no="536100").status == Order.Status.CANCELLED


def test_references_never_reach_another_customers_order(alice, forced):
    bob = make_customer(with_user=True)
    chat = Chat(bob)
    forced["intent"] = "track_order"
    reply = chat.say("where is my latest order?")
    assert reply.action == "ask_order_number"  # bob has none; alice's stay hidden
    assert "536200" not in reply.text and "536200" not in reply.quick_replies


def test_product_unsellable_never_named(catalogue, forced):
    forced["intent"] = "product_question"
    turn = Chat().say("how much is the packing charge")
    assert turn.action == "product_not_sold" and not turn.data.get("products")
    assert "don't sell packing charge" in turn.text
    assert Product.objects.filter(description="PACKING CHARGE").exists()


def test_buying_something_is_answered_from_the_shop(catalogue, forced):
    forced["intent"] = "place_order"
    assert Chat().say("I want to buy a television").action == "product_not_sold"
    assert Chat().say("can I order cake tins").action == "product_search"
    assert Chat().say("how do I place an order?").action == "answer"


def test_device_commands_are_outside_the_shop(catalogue, forced):
    turn = Chat().say("can you turn on the lights in my kitchen")
    assert turn.action == "out_of_scope" and not turn.data.get("products")


def test_order_placed_most_recently(alice, forced):
    forced["intent"] = "track_order"
    turn = Chat(alice).say("what's happening with the order I placed most recently?")
    assert turn.action == "order_status" and "536200" in turn.text
