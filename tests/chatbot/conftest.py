"""Fixtures of the chatbot tests.

* The MiniLM encoder is loaded once per session and memoises sentence vectors, so the
  same text is never encoded twice across tests.
* ``intent_model_file``: a classifier trained once per session on a small stratified
  slice of the shared Bitext training split (``PER_INTENT`` rows per intent) plus the
  shop's seed examples, saved as npz.
* ``chat_model``: that file registered and activated as the ``chatbot.intents`` model,
  with the FAQ seeded.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

PER_INTENT = 20


@pytest.fixture(scope="session", autouse=True)
def memo_encoder():
    from chatbot.nlu.encoder import get_encoder

    encoder = get_encoder()
    original = encoder.encode
    memo: dict[str, np.ndarray] = {}

    def encode(texts, *, progress=False):
        texts = [str(t) for t in texts]
        missing = [t for t in dict.fromkeys(texts) if t not in memo]
        if missing:
            memo.update(zip(missing, original(missing), strict=True))
        if not texts:
            return original([])
        return np.stack([memo[t] for t in texts])

    encoder.encode = encode
    yield encoder
    encoder.encode = original


def small_training_frame() -> pd.DataFrame:
    from chatbot.services import data

    train, _ = data.bitext_split()
    shop = pd.read_csv(data.SHOP_EXAMPLES, dtype=str).rename(
        columns={"utterance": "text"}
    )
    return pd.concat(
        [data.stratified_head(train, PER_INTENT), shop.assign(source="shop")],
        ignore_index=True,
    )


@pytest.fixture(scope="session")
def intent_model_file(tmp_path_factory, memo_encoder):
    from chatbot.nlu.intents import IntentClassifier, prepare_text

    frame = small_training_frame()
    texts = frame["text"].tolist()
    # A small slice needs weaker regularisation for confident answers.
    model = IntentClassifier(C=30.0).fit(
        texts,
        frame["intent"].tolist(),
        embeddings=memo_encoder.encode([prepare_text(t) for t in texts]),
    )
    path = tmp_path_factory.mktemp("chatbot") / "intents.npz"
    model.save(path)
    return path


@pytest.fixture
def chat_model(db, intent_model_file):
    from chatbot.services import data
    from chatbot.services.nlu import intent_model_clear
    from core.artifacts import artifact_activate, artifact_create

    artifact = artifact_create(
        kind="chatbot.intents",
        algorithm="minilm+char-tfidf-experts",
        writer=lambda path: shutil.copyfile(intent_model_file, path),
        params={"test": True},
    )
    artifact_activate(artifact)
    intent_model_clear()
    data.faq_seed()
    yield artifact
    intent_model_clear()


@pytest.fixture(autouse=True)
def _secret_key(monkeypatch):
    # Sessions and messages need a key; test runs may not export SECRET_KEY.
    from django.conf import settings as dj_settings

    monkeypatch.setattr(dj_settings._wrapped, "SECRET_KEY", "chat-tests-" + "k" * 40)


@pytest.fixture(autouse=True)
def _clear_throttle_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
