"""NLU building blocks without a database: encoder, classifier, slots, language."""

from __future__ import annotations

import numpy as np
import pytest

from chatbot.nlu import slots
from chatbot.nlu.intents import IntentClassifier, NotFittedError, normalise_label
from chatbot.nlu.language import detect_language


def test_encoder_shapes_norms_and_meaning(memo_encoder):
    vectors = memo_encoder.encode(
        ["where is my parcel", "my package has not arrived yet", "tell me a joke"]
    )
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    assert memo_encoder.encode([]).shape == (0, 384)


def _clusters(n=30, k=3, d=8, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.eye(d)[:k] * 3
    y = np.repeat([f"intent_{i}" for i in range(k)], n)
    emb = np.repeat(centres, n, axis=0) + rng.normal(0, 0.3, (n * k, d))
    texts = [f"text {label} {i}" for i, label in enumerate(y)]
    return texts, y, emb.astype(np.float32)


def test_classifier_learns_and_round_trips(tmp_path):
    texts, y, emb = _clusters()
    model = IntentClassifier(embedding_weight=1.0).fit(texts, y, embeddings=emb)
    assert (model.predict(texts, embeddings=emb) == y).mean() > 0.95
    proba = model.predict_proba(texts[:5], embeddings=emb[:5])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    model.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as f:  # no pickles inside
        assert "coef" in f.files
    loaded = IntentClassifier.load(tmp_path / "m.npz")
    np.testing.assert_allclose(
        loaded.predict_proba(texts, embeddings=emb),
        model.predict_proba(texts, embeddings=emb),
        atol=1e-5,
    )


def test_experts_are_the_product_of_two_logistic_regressions():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts, y, emb = _clusters()
    model = IntentClassifier(C=5.0, C_embedding=2.0).fit(texts, y, embeddings=emb)
    char = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2
    ).fit(texts)

    def expert(X, C):
        lr = LogisticRegression(C=C, max_iter=3000, class_weight="balanced")
        return lr.fit(X, y).predict_proba(X)

    product = expert(char.transform(texts), 5.0) * expert(emb, 2.0)
    product /= product.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(
        model.predict_proba(texts, embeddings=emb), product, atol=2e-3
    )
    assert model.word_vectorizer_ is None


def test_embedding_expert_carries_the_meaning_when_text_says_nothing():
    # Texts share no characters with their intent; only the embedding separates them.
    _, y, emb = _clusters(n=20)
    texts = ["same words"] * len(y)
    model = IntentClassifier(expert_weight=0.5).fit(texts, y, embeddings=emb)
    assert (model.predict(texts, embeddings=emb) == y).mean() > 0.95
    text_only = IntentClassifier(expert_weight=0.0).fit(texts, y, embeddings=emb)
    assert (text_only.predict(texts, embeddings=emb) == y).mean() < 0.5


def test_joint_model_of_earlier_versions_still_loads(tmp_path):
    texts, y, emb = _clusters()
    joint = IntentClassifier(experts=False, C=3.0, word_ngrams=(1, 2))
    joint.fit(texts, y, embeddings=emb)
    arrays, meta = joint.to_arrays()
    meta["params"] = {  # the params an artifact of the previous recipe carries
        k: v for k, v in meta["params"].items()
        if k not in {"experts", "C_embedding", "expert_weight"}
    }  # fmt: skip
    loaded = IntentClassifier.from_arrays(arrays, meta)
    assert loaded.experts is False and loaded.word_ngrams == (1, 2)
    np.testing.assert_allclose(
        loaded.predict_proba(texts, embeddings=emb),
        joint.predict_proba(texts, embeddings=emb),
        atol=1e-5,
    )


def test_classifier_errors():
    with pytest.raises(NotFittedError):
        IntentClassifier().predict(["x"], embeddings=np.zeros((1, 4)))
    with pytest.raises(ValueError, match="equal length"):
        IntentClassifier().fit(["a", "b"], ["x"], embeddings=np.zeros((2, 4)))
    with pytest.raises(ValueError, match="two intents"):
        IntentClassifier().fit(["a", "b"], ["x", "x"], embeddings=np.zeros((2, 4)))
    with pytest.raises(ValueError, match="expert_weight"):
        IntentClassifier(expert_weight=1.5).fit(
            ["a b", "c d"], ["x", "y"], embeddings=np.eye(2)
        )


def test_label_aliases():
    assert normalise_label("check_invoices") == "check_invoice"
    assert normalise_label(" Track_Order ") == "track_order"


@pytest.mark.parametrize(
    "text, orders, invalid",
    [
        ("where is my order 536365?", ["536365"], []),
        ("status of c536379 please", ["C536379"], []),
        ("cancel #581483", ["581483"], []),
        ("cancel purchase 00004587345", [], ["00004587345"]),
        ("my order 12345", [], ["12345"]),
        ("i paid 20 pounds on 2011", [], []),
    ],
)
def test_order_numbers_follow_the_shop_format(text, orders, invalid):
    found = slots.extract(text)
    assert found.order_numbers == orders
    assert found.invalid_order_numbers == invalid


def test_email_and_quantity():
    found = slots.extract("send 3 x mugs to Bob.Smith+shop@Example.co.uk")
    assert found.emails == ["bob.smith+shop@example.co.uk"]
    assert found.quantity == 3
    assert slots.extract("i need two teapots").quantity == 2
    assert slots.extract("hello").quantity is None


def test_product_names_fuzzy_with_typos():
    names = ["WHITE HANGING HEART T-LIGHT HOLDER", "HEART", "JUMBO BAG RED RETROSPOT"]
    hits = slots.match_products("do u sell the whit hanging heart tlight holder", names)
    assert hits[0][0] == 0
    assert slots.match_products("jumbo bag red retrospot please", names)[0][0] == 2
    assert slots.match_products("where is my order", names) == []


@pytest.mark.parametrize(
    "text, lang",
    [
        ("Où est ma commande ? Je veux annuler", "fr"),
        ("¿Dónde está mi pedido? Quiero cancelarlo", "es"),
        ("Wo ist meine Bestellung bitte", "de"),
        ("где мой заказ", "other"),
        ("我的订单在哪里", "other"),
        ("where is my order", "en"),
        ("i wnt to cancle my ordr", "en"),
        ("hi", "en"),
    ],
)
def test_language_detection(text, lang):
    assert detect_language(text) == lang
