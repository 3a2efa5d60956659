"""Training and evaluation data: repeats, the held-out split, our own text files."""

from __future__ import annotations

import pandas as pd

from chatbot.nlu.intents import BITEXT_INTENTS, SHOP_INTENTS, normalise_text
from chatbot.services import data


def test_labelled_dedupe_keeps_one_row_per_text_and_intent():
    frame = pd.DataFrame(
        {
            "text": ["Where is my order", "where  is my ORDER", "where is my order"],
            "intent": ["track_order", "track_order", "complaint"],
        }
    )
    out = data.labelled_dedupe(frame)
    assert out["text"].tolist() == ["Where is my order", "where is my order"]
    assert out["intent"].tolist() == ["track_order", "complaint"]


def test_split_never_trains_on_holdout_texts_or_repeats():
    train, holdout = data.bitext_split()
    norm = train["text"].map(normalise_text)
    assert not norm.isin(set(holdout["text"].map(normalise_text))).any()
    assert not train.assign(norm=norm).duplicated(["source", "norm", "intent"]).any()
    assert set(train["intent"]) == set(BITEXT_INTENTS)


def test_own_examples_cover_every_intent_and_stay_out_of_the_evaluations():
    shop = data.labelled_csv_read(data.SHOP_EXAMPLES)
    para = data.labelled_csv_read(data.PARAPHRASES)
    intents = set(BITEXT_INTENTS) | set(SHOP_INTENTS)
    assert set(shop["intent"]) == intents
    assert set(para["intent"]) == intents
    assert len(para) >= 200 and para["intent"].value_counts().min() >= 3
    # The paraphrases and the cross-sample test file are never trained on.
    trained = set(shop["text"].map(normalise_text))
    k20 = data.labelled_csv_read(data.bitext_dir() / data.BITEXT_FILES["20k"])
    trained |= set(k20["text"].map(normalise_text))
    llm = data.labelled_csv_read(data.bitext_dir() / data.BITEXT_FILES["llm"])
    assert not para["text"].map(normalise_text).isin(trained).any()
    tested = set(llm["text"].map(normalise_text))
    assert not shop["text"].map(normalise_text).isin(tested).any()


def test_out_of_scope_questions_are_many_varied_and_never_trained_on():
    oos = pd.read_csv(data.OUT_OF_SCOPE_EVAL, dtype=str)
    assert len(oos) >= 100 and not oos["utterance"].duplicated().any()
    assert set(oos["domain"]) == {"general", "banking", "travel", "smarthome",
                                  "smalltalk"}  # fmt: skip
    assert set(oos["split"]) == {"val", "test"}
    shop = data.labelled_csv_read(data.SHOP_EXAMPLES)
    trained = set(shop["text"].map(normalise_text))
    k20 = data.labelled_csv_read(data.bitext_dir() / data.BITEXT_FILES["20k"])
    trained |= set(k20["text"].map(normalise_text))
    assert not oos["utterance"].map(normalise_text).isin(trained).any()
