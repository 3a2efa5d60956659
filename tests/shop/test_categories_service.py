"""Categorising the shop's products (shop.services.categories) and its command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from core.exceptions import Conflict, InvalidInput
from core.models import TaskRun
from shop.models import Category, Product
from shop.services.categories import (
    categories_merge,
    categories_seed,
    products_categorise,
    products_set_category,
)
from tests.factories import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fake_encoder(settings):
    settings.SHOP = {"CATEGORY_ENCODER": "tests.factories.word_vectors"}


@pytest.fixture
def catalogue():
    names = {
        "heart": "WHITE HANGING HEART T-LIGHT HOLDER",
        "bag": "JUMBO BAG RED RETROSPOT",
        "xmas": "CHRISTMAS CARD SNOWY ROBIN",
        "odd": "ZZ QUUX WIDGET",
        "film": "TOY STORY (1995)",
    }
    out = {
        k: make_product(description=v, source="online_retail") for k, v in names.items()
    }
    out["film"].source = "movielens"
    out["film"].save()
    out["post"] = make_product(
        "POST", description="POSTAGE", kind="postage", is_merchandise=False
    )
    return out


def _category(product: Product) -> str | None:
    product.refresh_from_db()
    return product.category.name if product.category_id else None


def test_assigns_categories_from_the_seeded_rules(catalogue):
    result = products_categorise()
    assert result.status == "updated"
    assert _category(catalogue["heart"]) == "Candles & T-light holders"
    assert _category(catalogue["bag"]) == "Bags & purses"
    assert _category(catalogue["xmas"]) == "Christmas"  # Christmas overrides CARD
    assert _category(catalogue["odd"]) == "More gifts"
    # films and service codes are not the shop's merchandise: left alone
    assert _category(catalogue["film"]) is None
    assert _category(catalogue["post"]) is None
    heart = Product.objects.get(pk=catalogue["heart"].pk)
    assert (heart.category_source, heart.category_evidence) == (
        "rule",
        "keyword T-LIGHT HOLDER",
    )
    assert result.products == 4 and result.by_source["rule"] == 3
    assert Category.objects.get(name="Christmas").slug == "christmas"


def test_a_second_run_with_the_same_inputs_does_nothing(catalogue):
    products_categorise()
    again = products_categorise()
    assert again.status == "unchanged" and again.moved == 0
    runs = TaskRun.objects.filter(task_name="shop.categorise_products")
    assert runs.count() == 2 and runs.first().metrics["status"] == "unchanged"
    # an edited rule is new input: the product moves
    bags = Category.objects.get(name="Bags & purses")
    widgets = Category.objects.create(name="Widgets", keywords="WIDGET\nGADGET")
    assert widgets.source == "shop" and bags.keywords
    third = products_categorise()
    assert third.status == "updated" and third.moved == 1
    assert _category(catalogue["odd"]) == "Widgets"


def test_seeding_happens_once(catalogue):
    assert categories_seed() > 20
    Category.objects.filter(name="Clocks").delete()
    assert categories_seed() == 0
    assert not Category.objects.filter(name="Clocks").exists()


def test_hand_set_categories_survive_and_spread(catalogue):
    products_categorise()
    mine = Category.objects.create(name="Curiosities")
    twin = make_product(description="ZZ QUUX WIDGET LARGE", source="online_retail")
    assert products_set_category(product_ids=[catalogue["odd"].pk], category=mine) == 1
    products_categorise()
    assert _category(catalogue["odd"]) == "Curiosities"
    twin.refresh_from_db()
    assert twin.category == mine and twin.category_source == "similar"
    # "let the rules decide" again
    products_set_category(product_ids=[catalogue["odd"].pk], category=None)
    Product.objects.filter(pk=twin.pk).update(category_source="", category=None)
    products_categorise()
    assert _category(catalogue["odd"]) == "More gifts"


def test_merge_moves_products_keywords_and_pins(catalogue):
    from recommender.models import PinnedRule

    products_categorise()
    bags = Category.objects.get(name="Bags & purses")
    lunch = Category.objects.get(name="Lunch boxes & picnic")
    lunchbox = make_product(description="LUNCH BOX I LOVE LONDON", category=lunch)
    pin = PinnedRule.objects.create(product=lunchbox, category=lunch)
    merged = categories_merge(sources=[lunch], target=bags)
    assert not Category.objects.filter(pk=lunch.pk).exists()
    lunchbox.refresh_from_db()
    pin.refresh_from_db()
    assert lunchbox.category == merged and pin.category == merged
    assert "LUNCH BOX" in merged.keywords.split("\n")
    assert products_categorise().status == "updated"  # the rules changed


def test_merge_refuses_what_it_cannot_do(catalogue):
    from inventory.models import InventoryPolicy

    products_categorise()
    bags = Category.objects.get(name="Bags & purses")
    lunch = Category.objects.get(name="Lunch boxes & picnic")
    with pytest.raises(InvalidInput, match="besides the target"):
        categories_merge(sources=[bags], target=bags)
    genre = Category.objects.create(name="Drama", source="movielens")
    with pytest.raises(InvalidInput, match="shop's own"):
        categories_merge(sources=[genre], target=bags)
    InventoryPolicy.objects.create(scope="category", category=bags)
    InventoryPolicy.objects.create(scope="category", category=lunch)
    with pytest.raises(Conflict, match="exists for both"):
        categories_merge(sources=[lunch], target=bags)
    assert Category.objects.filter(pk=lunch.pk).exists()  # nothing changed


def test_a_keyword_without_a_word_is_a_clear_error(catalogue):
    categories_seed()
    Category.objects.filter(name="Clocks").update(keywords="CLOCK\n--")
    with pytest.raises(InvalidInput, match="Clocks: keyword '--' has no word"):
        products_categorise()


def test_command_prints_a_summary(catalogue):
    out = StringIO()
    call_command("categorise_products", stdout=out)
    text = out.getvalue()
    assert "Categories: updated; 4 products" in text
    assert "Candles & T-light holders" in text and "/admin/shop/category/" in text
    out = StringIO()
    call_command("categorise_products", stdout=out)
    assert "Categories: unchanged" in out.getvalue()


def test_task_twin_records_its_metrics(catalogue):
    from shop.tasks import shop_categorise_products_task

    metrics = shop_categorise_products_task.delay().get()
    assert metrics["status"] == "updated" and metrics["products"] == 4
    run = TaskRun.objects.get(task_name="shop.categorise_products")
    assert run.status == "succeeded" and run.metrics["fingerprint"]


def test_new_products_get_categories_every_night():
    from core.schedules import DEFAULT_SCHEDULES
    from shop.tasks import shop_categorise_products_task

    nightly = [s for s in DEFAULT_SCHEDULES if s.task == "shop.categorise_products"]
    assert nightly and nightly[0].crontab == {"minute": "45", "hour": "1"}
    assert shop_categorise_products_task.name == "shop.categorise_products"
