"""Intent classification benchmark: ours vs TF-IDF+LinearSVC and MiniLM+LogReg.

"ours" = the served model (product of a char-n-gram and a MiniLM logistic regression,
chatbot/nlu/intents.py); "ours, joint (before)" = the previous recipe, one regression
over [char, word, 3 * MiniLM] features, C=3.

Scenarios (the evaluation texts are never in training):

* ``cross``: train on intent_utterances_20k.csv (repeats dropped, + the shop's own
  examples of all 36 intents), test on every ``instruction`` of llm_training_sample.csv
  (another Bitext sample, other phrasings), and on its two intent-stratified halves:
  V, on which the classifier's recipe was selected, and T, never looked at while
  selecting;
* ``holdout``: train on the production split (20k train part + LLM train part + shop
  examples), test on the held-out LLM part (what ``train_chatbot`` does);
* ``paraphrases``: the production-split models on our own paraphrases
  (chatbot/data/paraphrases_eval.csv, 207 texts written by hand, never trained on).

Latency = one message at a time (encoder + classifier), p50/p95 over 100 messages.

Out of scope: recall on 120 written questions (chatbot/data/out_of_scope_eval.csv)
beside in-scope accuracy with the bot's rule; the threshold is chosen by 5-fold
cross-validation on the ``cross`` training data only (see ``oos_table``).

Run: ``.venv/bin/python benchmarks/chatbot.py`` (about 2-15 minutes, mostly encoding).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only")


def main() -> None:
    import django

    django.setup()
    import pandas as pd
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.svm import LinearSVC

    from chatbot.conf import chatbot_settings
    from chatbot.nlu.encoder import encode
    from chatbot.nlu.intents import IntentClassifier, prepare_text
    from chatbot.services import data
    from chatbot.services.evaluation import classification_metrics

    shop = pd.read_csv(data.SHOP_EXAMPLES, dtype=str).rename(
        columns={"utterance": "text"}
    )
    shop["source"] = "shop"
    k20 = data.labelled_csv_read(data.bitext_dir() / data.BITEXT_FILES["20k"])
    llm = data.labelled_csv_read(data.bitext_dir() / data.BITEXT_FILES["llm"])
    train_split, holdout = data.bitext_split()
    para = data.labelled_csv_read(data.PARAPHRASES)
    oos = pd.read_csv(data.OUT_OF_SCOPE_EVAL, dtype=str)
    oos_val = oos[oos["split"] == "val"]["utterance"].tolist()
    oos_test = oos[oos["split"] == "test"]["utterance"].tolist()
    # Selection protocol: methods and hyper-parameters were chosen on half V only.
    llm_val, llm_test = train_test_split(
        llm, test_size=0.5, stratify=llm["intent"], random_state=0
    )
    scenarios = {
        "cross": (
            pd.concat(
                [data.labelled_dedupe(k20).assign(source="20k"), shop],
                ignore_index=True,
            ),
            {
                "llm sample (all)": llm,
                "llm half V (val)": llm_val,
                "llm half T (test)": llm_test,
            },
        ),
        "holdout": (
            pd.concat([train_split, shop], ignore_index=True),
            {
                "llm held-out": holdout[holdout["source"] == "llm"],
                "own paraphrases": para,
            },
        ),
    }
    texts = set()
    for train, tests in scenarios.values():
        texts |= set(train["text"])
        for frame in tests.values():
            texts |= set(frame["text"])
    texts |= set(oos["utterance"])
    all_texts = sorted(texts | {prepare_text(t) for t in texts})
    print(f"encoding {len(all_texts)} distinct texts ...", flush=True)
    start = time.perf_counter()
    vectors = dict(zip(all_texts, encode(all_texts, progress=True), strict=True))
    print(f"encoded in {time.perf_counter() - start:.0f} s", flush=True)

    def emb(items, prepared=False):
        return np.stack([vectors[prepare_text(t) if prepared else t] for t in items])

    weight_llm = chatbot_settings()["llm_sample_weight"]
    rows = []
    oos_rows = []
    for name, (train, tests) in scenarios.items():
        x, y = train["text"].tolist(), train["intent"].to_numpy()
        weight = np.where(train["source"].eq("llm"), weight_llm, 1.0)
        tfidf = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2)).fit(x)
        svc = LinearSVC().fit(tfidf.transform(x), y)
        logreg = LogisticRegression(C=10, max_iter=3000).fit(emb(x), y)
        ours = IntentClassifier(**chatbot_settings()["classifier"]).fit(
            x, y, embeddings=emb(x, prepared=True), sample_weight=weight
        )
        joint = IntentClassifier(  # the previous recipe (one joint regression)
            experts=False, C=3.0, embedding_weight=3.0, word_ngrams=(1, 2)
        ).fit(x, y, embeddings=emb(x, prepared=True), sample_weight=weight)
        models = {  # one message at a time, encoder included
            "TF-IDF + LinearSVC": lambda t, s=svc, v=tfidf: s.predict(v.transform(t)),
            "MiniLM + LogReg": lambda t, m=logreg: m.predict(encode(t)),
            "ours, joint (before)": lambda t, m=joint: m.predict(
                t, embeddings=encode([prepare_text(s) for s in t])
            ),
            "ours (MiniLM x char experts)": lambda t, m=ours: m.predict(
                t, embeddings=encode([prepare_text(s) for s in t])
            ),
        }
        batch = {  # accuracy, with the vectors encoded once above
            "TF-IDF + LinearSVC": lambda t, s=svc, v=tfidf: s.predict(v.transform(t)),
            "MiniLM + LogReg": lambda t, m=logreg: m.predict(emb(t)),
            "ours, joint (before)": lambda t, m=joint: m.predict(
                t, embeddings=emb(t, prepared=True)
            ),
            "ours (MiniLM x char experts)": lambda t, m=ours: m.predict(
                t, embeddings=emb(t, prepared=True)
            ),
        }
        for test_name, frame in tests.items():
            t = frame["text"].tolist()
            for model_name, predict in batch.items():
                m = classification_metrics(frame["intent"].to_numpy(), predict(t))
                lat = []
                for text in t[:100]:
                    s = time.perf_counter()
                    models[model_name]([text])
                    lat.append((time.perf_counter() - s) * 1000)
                p50, p95 = np.percentile(lat, [50, 95])
                rows.append(
                    (name, test_name, len(t), model_name, m["accuracy"],
                     m["macro_f1"], p50, p95)
                )  # fmt: skip
            print(f"done: {name} / {test_name}", flush=True)
        oos_rows.append((name, ours, tests))

    oos_table(
        oos_rows,
        oos_val,
        oos_test,
        emb,
        classification_metrics,
        scenarios["cross"][0],
    )
    print()
    header = (f"| {'train':<8} | {'test':<17} | {'n':>5} | {'model':<28} | accuracy "
              f"| macro-F1 | p50 ms | p95 ms |")  # fmt: skip
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for r in rows:
        print(f"| {r[0]:<8} | {r[1]:<17} | {r[2]:>5} | {r[3]:<28} | {r[4]:>8.4f} "
              f"| {r[5]:>8.4f} | {r[6]:>6.1f} | {r[7]:>6.1f} |")  # fmt: skip


# In-scope accuracy (cross-validated on the training data) a threshold may cost: about
# 3 of the 6,839 in-scope training texts.
TOLERANCE = 0.0005
GRID = [0.0, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6]
CLASS_GRID = [0.6, 0.8, 0.9]  # p(out_of_scope) a class decision would need (not served)
FOLDS = 5


def oos_predict(proba, classes, threshold, min_oos=0.0):
    """Intents with the bot's out-of-scope rule (chatbot.dialogue): ``out_of_scope``
    when it is the most probable intent (and at least ``min_oos`` probable), or when
    the top probability is below ``threshold``."""
    classes = np.asarray(classes)
    oos = list(classes).index("out_of_scope")
    inner = proba.copy()
    inner[:, oos] = -1.0
    best = inner.argmax(axis=1)
    is_oos = (proba.argmax(axis=1) == oos) & (proba[:, oos] >= min_oos)
    top = np.where(is_oos, proba[:, oos], proba[np.arange(len(proba)), best])
    return np.where(is_oos | (top < threshold), "out_of_scope", classes[best])


def cross_validated(train, emb, params):
    """Out-of-fold probabilities (n, k) of the served recipe on ``train`` (stratified
    5 folds, seed 0), and of the same recipe without the out-of-scope examples
    (in-scope rows only; their accuracy is the figure before those examples)."""
    from sklearn.model_selection import StratifiedKFold

    from chatbot.nlu.intents import IntentClassifier

    x, y = train["text"].to_numpy(), train["intent"].to_numpy()
    inner = y != "out_of_scope"
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(x, y)
    proba, before = None, np.empty(len(x), dtype=object)
    for fit_rows, held in folds:
        model = IntentClassifier(**params).fit(
            list(x[fit_rows]), y[fit_rows], embeddings=emb(x[fit_rows], prepared=True)
        )
        if proba is None:
            proba, classes = np.zeros((len(x), len(model.classes_))), model.classes_
        proba[held] = model.predict_proba(
            list(x[held]), embeddings=emb(x[held], prepared=True)
        )
        keep = fit_rows[inner[fit_rows]]
        plain = IntentClassifier(**params).fit(
            list(x[keep]), y[keep], embeddings=emb(x[keep], prepared=True)
        )
        before[held] = plain.predict(list(x[held]), embeddings=emb(x[held], True))
    return proba, classes, before


def oos_table(oos_rows, oos_val, oos_test, emb, metrics, train):
    """Out-of-scope recall beside in-scope accuracy, for the served recipe.

    The threshold is chosen by cross-validation on the ``cross`` training data only
    (20k sample + shop examples, out-of-scope examples included): the highest
    out-of-fold out-of-scope recall whose out-of-fold in-scope accuracy stays within
    ``TOLERANCE`` of the accuracy without a threshold (issue 17.9: understanding must
    not regress). The written out-of-scope questions (val and test splits), the LLM
    sample, the held-out part and the paraphrases are only reported.
    """
    from chatbot.conf import chatbot_settings

    conf = chatbot_settings()
    proba, classes, before = cross_validated(train, emb, conf["classifier"])
    y = train["intent"].to_numpy()
    inner = y != "out_of_scope"
    rows = []
    for min_oos, grid in ((0.0, GRID), *((c, [0.0, 0.3]) for c in CLASS_GRID)):
        for threshold in grid:
            pred = oos_predict(proba, classes, threshold, min_oos)
            recall = np.mean(pred[~inner] == "out_of_scope")
            acc = np.mean(pred[inner] == y[inner])
            rows.append((min_oos, threshold, recall, acc))
    print(f"\nout-of-scope threshold by {FOLDS}-fold cross-validation on the cross "
          f"training data ({inner.sum()} in-scope, {(~inner).sum()} out-of-scope "
          f"texts); without the out-of-scope examples in-scope accuracy is "
          f"{np.mean(before[inner] == y[inner]):.4f}")  # fmt: skip
    print("| p(oos) needed        | threshold | oos recall (CV) | in-scope acc (CV) |")
    print("|----------------------|-----------|-----------------|-------------------|")
    for min_oos, threshold, recall, acc in rows:
        need = "most probable" if min_oos == 0 else f">= {min_oos:.2f} (not served)"
        print(f"| {need:<20} | {threshold:>9.2f} | {recall:>15.3f} | {acc:>17.4f} |")
    served_rule = [r for r in rows if r[0] == 0.0]
    floor = served_rule[0][3] - TOLERANCE
    chosen = max((r[2], r[3], -r[1]) for r in served_rule if r[3] >= floor)
    served = conf["out_of_scope_threshold"]
    print(f"best by cross-validation: {-chosen[2]:.2f}; served (CHATBOT "
          f"out_of_scope_threshold): {served:.2f}")  # fmt: skip
    from chatbot.nlu.intents import IntentClassifier

    x = train["text"].to_numpy()[inner]
    plain = IntentClassifier(**conf["classifier"]).fit(  # before the oos examples
        list(x), y[inner], embeddings=emb(x, prepared=True)
    )
    print("\n| train    | test                   |     n | oos recall | in-scope acc "
          "| without oos examples |")  # fmt: skip
    print("|----------|------------------------|-------|------------|--------------"
          "|----------------------|")  # fmt: skip
    for name, model, tests in oos_rows:
        for label, items in (("oos val", oos_val), ("oos test", oos_test)):
            p = model.predict_proba(items, embeddings=emb(items, prepared=True))
            recall = np.mean(oos_predict(p, model.classes_, served) == "out_of_scope")
            print(f"| {name:<8} | {label:<22} | {len(items):>5} | {recall:>10.3f} | "
                  f"{'':>12} | {'':>20} |")  # fmt: skip
        for test_name, frame in tests.items():
            t = frame["text"].tolist()
            p = model.predict_proba(t, embeddings=emb(t, prepared=True))
            pred = oos_predict(p, model.classes_, served)
            acc = metrics(frame["intent"].to_numpy(), pred)["accuracy"]
            was = ""
            if name == "cross":  # the same texts, argmax, no out-of-scope class
                before = plain.predict(t, embeddings=emb(t, prepared=True))
                was = f"{np.mean(before == frame['intent'].to_numpy()):.4f}"
            print(f"| {name:<8} | {test_name:<22} | {len(frame):>5} | {'':>10} | "
                  f"{acc:>12.4f} | {was:>20} |")  # fmt: skip


if __name__ == "__main__":
    main()
