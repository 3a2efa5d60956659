"""Merchandisers' category tools in the admin: rename, edit rules, merge, move."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shop.models import Category, Product
from tests.factories import make_product

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:shop_category_changelist"


@pytest.fixture
def cats():
    mugs = Category.objects.create(name="Mugs", keywords="MUG\nBEAKER")
    cups = Category.objects.create(name="Cups", keywords="CUP")
    mug = make_product(description="RED MUG", category=mugs)
    cup = make_product(description="TEA CUP", category=cups)
    return {"mugs": mugs, "cups": cups, "mug": mug, "cup": cup}


def test_list_shows_counts_and_keywords(admin_client, cats):
    page = admin_client.get(reverse(CHANGELIST)).content.decode()
    assert "Mugs" in page and "MUG, BEAKER" in page
    assert f"?category__id__exact={cats['mugs'].pk}" in page


def test_merge_asks_which_name_to_keep_then_merges(admin_client, cats):
    ids = [cats["mugs"].pk, cats["cups"].pk]
    data = {"action": "merge_categories", "_selected_action": ids}
    confirm = admin_client.post(reverse(CHANGELIST), data)
    assert confirm.status_code == 200
    assert "Keep which name?" in confirm.content.decode()
    done = admin_client.post(
        reverse(CHANGELIST), {**data, "target": cats["mugs"].pk}, follow=True
    )
    assert "Merged 1 into Mugs." in done.content.decode()
    assert not Category.objects.filter(name="Cups").exists()
    cats["cup"].refresh_from_db()
    assert cats["cup"].category == cats["mugs"]
    assert Category.objects.get(name="Mugs").keywords.split("\n") == [
        "MUG",
        "BEAKER",
        "CUP",
    ]


def test_move_products_by_hand(admin_client, cats):
    url = reverse("admin:shop_product_changelist")
    data = {"action": "move_to_category", "_selected_action": [cats["mug"].pk]}
    assert "Move to" in admin_client.post(url, data).content.decode()
    admin_client.post(url, {**data, "category": cats["cups"].pk})
    mug = Product.objects.get(pk=cats["mug"].pk)
    assert mug.category == cats["cups"] and mug.category_source == "manual"
    assert mug.category_evidence == "set by admin"


def test_a_category_chosen_on_the_product_form_is_kept(admin_client, cats):
    mug = cats["mug"]
    url = reverse("admin:shop_product_change", args=[mug.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "category": cats["cups"].pk,
            "alt_descriptions": "[]",
            "stock-TOTAL_FORMS": 0,
            "stock-INITIAL_FORMS": 0,
            "price_changes-TOTAL_FORMS": 0,
            "price_changes-INITIAL_FORMS": 0,
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    mug.refresh_from_db()
    assert (mug.category, mug.category_source) == (cats["cups"], "manual")


def test_rename_keeps_the_page_address(admin_client, cats):
    mugs = cats["mugs"]
    mugs.name = "Mugs & beakers"
    mugs.save()
    assert Category.objects.get(pk=mugs.pk).slug == "mugs"
