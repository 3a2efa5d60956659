"""Categories from descriptions (shop.algorithms.categories): rules, look-alikes,
named clusters; and the default gift-shop rules on a slice of the real catalogue."""

from __future__ import annotations

import numpy as np
import pytest

from shop.algorithms.categories import (
    DescriptionCategoriser,
    KeywordRules,
    Rule,
    characteristic_words,
    normalise_word,
    tokens,
)
from shop.taxonomy import DEFAULT_TAXONOMY


@pytest.mark.parametrize(
    ("word", "singular"),
    [
        ("BAGS", "BAG"),
        ("BOXES", "BOX"),
        ("DOILIES", "DOILY"),
        ("GLASSES", "GLASS"),
        ("GLASS", "GLASS"),
        ("T-LIGHTS", "T-LIGHT"),
        ("BUS", "BUS"),
    ],
)
def test_plurals_compare_singular_to_singular(word, singular):
    assert normalise_word(word) == singular


def test_a_light_shade_is_not_the_word_light():
    assert tokens("MIXED NUTS LIGHT GREEN BOWL") == ["MIXED", "NUT", "GREEN", "BOWL"]
    assert tokens("FAIRY LIGHTS, 20") == ["FAIRY", "LIGHT", "20"]


RULES = [
    Rule("Candles", ("T-LIGHT HOLDER", "CANDLE")),
    Rule("Decorations", ("HANGING HEART", "DECORATION"), weak=("HEART", "STAR")),
    Rule("Storage", ("BOX", "TIN")),
    Rule("Mugs", ("MUG",)),
    Rule("Christmas", ("CHRISTMAS",), overrides=True),
]


@pytest.mark.parametrize(
    ("text", "category", "keyword"),
    [
        # more words beat fewer: T-LIGHT HOLDER over HANGING HEART's tie on words is
        # decided by length, over HEART by words
        ("WHITE HANGING HEART T-LIGHT HOLDER", "Candles", "T-LIGHT HOLDER"),
        ("SET/3 ROSE CANDLE IN JEWELLED BOX", "Candles", "CANDLE"),  # longer wins
        ("HEART MUG", "Mugs", "MUG"),  # weak HEART only when nothing else matches
        ("PINK HEART", "Decorations", "HEART"),
        ("CHRISTMAS MUG", "Christmas", "CHRISTMAS"),  # overriding category
        ("BOXES OF TINS", "Storage", "BOX"),  # plural; tie on words -> longer
        ("PAPER CHAIN", None, ""),
    ],
)
def test_the_most_specific_keyword_wins(text, category, keyword):
    rules = KeywordRules(RULES)
    index, matched = rules.match_one(text)
    assert (rules.names[index] if index >= 0 else None) == category
    assert matched == keyword


def test_tie_goes_to_the_category_listed_first():
    rules = KeywordRules([Rule("A", ("TIN",)), Rule("B", ("MUG",))])
    assert rules.names[rules.match_one("MUG TIN")[0]] == "A"


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([Rule("A", ("MUG",)), Rule("A", ("CUP",))], "repeated: A"),
        ([Rule(" ", ("MUG",))], "name is empty"),
        ([Rule("A", ("MUG", "--"))], "A: keyword '--' has no word"),
    ],
)
def test_bad_rules_are_named(rules, message):
    with pytest.raises(ValueError, match=message):
        KeywordRules(rules)


def test_characteristic_words_pick_what_sets_a_group_apart():
    groups = [
        ["PINK PAISLEY NOTEBOOK", "PAISLEY NOTEBOOK SMALL", "PAISLEY PEN"],
        ["RED NOTEBOOK", "BABUSHKA DOLL", "BABUSHKA DOLL LARGE"],
    ]
    names = characteristic_words(groups, top=2)
    assert names[0][0] == "PAISLEY"  # in every text of the group, nowhere else
    assert names[1][0] in {"BABUSHKA", "DOLL"}
    assert "PINK" not in names[0] and "LARGE" not in names[1]  # stopwords


def _unit(rows) -> np.ndarray:
    x = np.asarray(rows, dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_look_alikes_clusters_and_fallback():
    """Known answer: axis 0 = candles (rule-matched), axis 1 = an unmatched group of
    8 look-alikes (a cluster), axis 2 = one odd product (fallback)."""
    rng = np.random.default_rng(0)
    texts, rows = [], []
    for i in range(6):  # matched by the rule
        texts.append(f"SCENTED CANDLE {i}")
        rows.append([1, 0.05 * rng.random(), 0, 0])
    texts.append("WAX POT LIGHT")  # no keyword, but it looks like the candles
    rows.append([1, 0.1, 0, 0])
    for i in range(8):  # no keyword, alike among themselves
        texts.append(f"GEISHA FIGURE NO {i}")
        rows.append([0, 1, 0.05 * rng.random(), 0])
    texts.append("ODD THING")
    rows.append([0, 0, 1, 0.2])
    model = DescriptionCategoriser(
        rules=KeywordRules([Rule("Candles", ("CANDLE",))]), min_cluster_size=5
    ).fit(texts, _unit(rows))
    assert model.labels_[:7] == ["Candles"] * 7
    assert list(model.sources_[:7]) == ["rule"] * 6 + ["similar"]
    assert model.evidence_[0] == "CANDLE" and model.evidence_[6].startswith("SCENTED")
    cluster = model.labels_[7]
    assert set(model.labels_[7:15]) == {cluster} and "Geisha" in cluster
    assert model.new_categories_ == [cluster]
    assert model.labels_[15] == "More gifts" and model.sources_[15] == "fallback"


def test_hand_set_categories_are_kept_and_teach_their_look_alikes():
    texts = ["CANDLE A", "FIGURE ONE", "FIGURE TWO"]
    emb = _unit([[1, 0], [0, 1], [0.05, 1]])
    model = DescriptionCategoriser(
        rules=KeywordRules([Rule("Candles", ("CANDLE",))]), n_neighbours=1
    ).fit(texts, emb, fixed=[None, "Figurines", None])
    assert model.labels_ == ["Candles", "Figurines", "Figurines"]
    assert list(model.sources_) == ["rule", "fixed", "similar"]


def test_wrong_shapes_are_refused():
    model = DescriptionCategoriser(rules=KeywordRules(RULES))
    with pytest.raises(ValueError, match="shape"):
        model.fit(["A", "B"], np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError, match="fixed must have 2"):
        model.fit(["A", "B"], _unit([[1, 0], [0, 1]]), fixed=[None])
    with pytest.raises(ValueError, match="min_similarity"):
        DescriptionCategoriser(rules=KeywordRules(RULES), min_similarity=0).fit(
            ["A"], _unit([[1, 0]])
        )


def test_default_rules_on_the_real_catalogue_slice(slice_rows):
    """The gift-shop rules place most real products, and known ones correctly."""
    descriptions = sorted({r[2].strip() for r in slice_rows if r[2].strip()})
    rules = KeywordRules(DEFAULT_TAXONOMY)
    labels, _ = rules.match(descriptions)
    assert (labels >= 0).mean() > 0.95
    expected = {
        "WHITE HANGING HEART T-LIGHT HOLDER": "Candles & T-light holders",
        "JUMBO BAG RED RETROSPOT": "Bags & purses",
        "LUNCH BAG RED RETROSPOT": "Lunch boxes & picnic",
        "HAND WARMER UNION JACK": "Accessories",
        "3 TIER CAKE TIN RED AND CREAM": "Kitchen & baking",
        "PAPER CHAIN KIT 50'S CHRISTMAS": "Christmas",
        "ALARM CLOCK BAKELIKE RED": "Clocks",
        "KNITTED UNION FLAG HOT WATER BOTTLE": "Cushions & soft furnishings",
    }
    for text, category in expected.items():
        assert text in descriptions, text
        assert rules.names[rules.match_one(text)[0]] == category, text
