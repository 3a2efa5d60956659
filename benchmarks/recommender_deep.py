"""Deep and content models on the fixed Online Retail purchase split (issue 3).

Prints one table: NDCG@10, recall@10, hit@10, coverage and fit time of the GRU4Rec
basket-sequence model (GRU, optional LSTM) and the content-based model (TF-IDF and
MiniLM encoders) beside the popularity and buy-again baselines, in the "all" and
"new" variants of the split (``recommender.algorithms.splits.purchase_split``:
train before 2011-09-01, test = distinct products bought from then on; "new"
excludes already-bought products from recommendations and test).

Run (outside the test suite; heavy, so niced)::

    nice -n 10 .venv/bin/python benchmarks/recommender_deep.py
    nice -n 10 .venv/bin/python benchmarks/recommender_deep.py --lstm --epochs 10
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from recommender.algorithms.content import ContentRecommender  # noqa: E402
from recommender.algorithms.metrics import ranking_metrics  # noqa: E402
from recommender.algorithms.popularity import Popularity  # noqa: E402
from recommender.algorithms.sequence import (  # noqa: E402
    SequenceRecommender,
    basket_sequences,
)
from recommender.algorithms.splits import purchase_split, read_purchases  # noqa: E402

K = 10
DEFAULT_DATA = (
    Path(os.environ.get("SHARED_DATA_DIR", ROOT.parent / "shared" / "data"))
    / "online_retail.csv.gz"
)


class BuyAgain:
    """Each customer's own products by number of invoices (the trivial baseline)."""

    def fit(self, train: sp.csr_matrix) -> BuyAgain:
        pop = np.asarray((train > 0).sum(axis=0), dtype=np.float64).ravel()
        self.tiebreak_ = pop / (pop.max() + 1.0)
        return self

    def score(self, users: np.ndarray, train: sp.csr_matrix) -> np.ndarray:
        return train[users].toarray() + self.tiebreak_


def top_k(scores: np.ndarray, users: np.ndarray, train, exclude_seen: bool):
    scores = np.asarray(scores, dtype=np.float64)
    if exclude_seen:
        r, c = train[users].nonzero()
        scores[r, c] = -np.inf
    part = np.argpartition(-scores, K - 1, axis=1)[:, :K]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def evaluate(name: str, fit_s: float, score_fn, split) -> dict:
    row = {"model": name, "fit_s": fit_s}
    for variant, test, spend, excl in (
        ("all", split.test_all, split.spend_all, False),
        ("new", split.test_new, split.spend_new, True),
    ):
        users = split.users_with_test(variant)
        ids = top_k(score_fn(users), users, split.train, excl)
        m = ranking_metrics(
            ids, test[users], k=K, spend=spend[users], n_catalogue=split.n_items
        )
        for key in (f"ndcg@{K}", f"recall@{K}", f"hit@{K}", f"coverage@{K}"):
            row[f"{key} {variant}"] = m[key]
        row[f"users {variant}"] = m["users"]
    print(fmt_row(row), flush=True)
    return row


COLUMNS = [
    ("model", 36, "{}"),
    ("fit_s", 8, "{:.1f}"),
    (f"ndcg@{K} all", 10, "{:.4f}"),
    (f"recall@{K} all", 10, "{:.4f}"),
    (f"hit@{K} all", 9, "{:.3f}"),
    (f"ndcg@{K} new", 10, "{:.4f}"),
    (f"recall@{K} new", 10, "{:.4f}"),
    (f"coverage@{K} new", 9, "{:.3f}"),
]


def fmt_row(row: dict) -> str:
    return " | ".join(
        fmt.format(row[key]).rjust(width) if key != "model" else row[key].ljust(width)
        for key, width, fmt in COLUMNS
    )


def header() -> str:
    names = {"fit_s": "fit s", f"coverage@{K} new": "cov new"}
    return " | ".join(
        (names.get(key, key)).ljust(width)
        if key == "model"
        else names.get(key, key).rjust(width)
        for key, width, _ in COLUMNS
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--epochs", type=int, default=SequenceRecommender().epochs)
    ap.add_argument("--lstm", action="store_true", help="also train the LSTM cell")
    ap.add_argument("--no-minilm", action="store_true", help="skip the MiniLM model")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    split = purchase_split(read_purchases(args.data))
    lines = split.train_lines
    print(
        f"split: {split.train.shape[0]} customers x {split.n_items} products, "
        f"{split.train.nnz} train pairs, read in {time.perf_counter() - t0:.1f}s"
    )
    print(header())
    print("-" * len(header()))
    train = split.train
    rows = []

    def timed(fit):
        start = time.perf_counter()
        model = fit()
        return model, time.perf_counter() - start

    pop, s = timed(lambda: Popularity().fit(train))
    rows.append(evaluate("popularity", s, lambda u: pop.score(u, train), split))
    again, s = timed(lambda: BuyAgain().fit(train))
    rows.append(evaluate("buy-again", s, lambda u: again.score(u, train), split))

    def sequences():
        return basket_sequences(
            lines["u"].to_numpy(), lines["invoice"].to_numpy(), lines["i"].to_numpy(),
            lines["date"].to_numpy(), n_users=train.shape[0],
        )  # fmt: skip

    cells = ["gru", "lstm"] if args.lstm else ["gru"]
    for cell in cells:
        model, s = timed(
            lambda cell=cell: SequenceRecommender(
                cell=cell, epochs=args.epochs, verbose=True
            ).fit(sequences(), n_items=split.n_items)
        )
        name = f"GRU4Rec-{cell} ({len(model.loss_history_)}/{args.epochs} ep)"
        rows.append(evaluate(name, s, lambda u, m=model: m.score(u, train), split))

    first = lines.drop_duplicates("i").set_index("i")["description"]
    desc = (
        lines.loc[lines["description"] != ""]
        .groupby("i")["description"]
        .agg(lambda d: d.value_counts().index[0])
        .reindex(range(split.n_items))
        .fillna(first)
        .fillna("")
    )
    texts = desc.tolist()
    encoders = ["tfidf"] + ([] if args.no_minilm else ["minilm", "minilm+tfidf"])
    for enc in encoders:
        model, s = timed(
            lambda enc=enc: ContentRecommender(encoder=enc).fit(train, item_texts=texts)
        )
        for profile in ("mean", "max"):
            model.profile = profile  # same vectors, other user profile
            name = f"content-{enc} ({profile} profile)"
            rows.append(evaluate(name, s, lambda u, m=model: m.score(u, train), split))
    print(f"total {time.perf_counter() - t0:.0f}s; users all={rows[0]['users all']}, "
          f"new={rows[0]['users new']}")  # fmt: skip


if __name__ == "__main__":
    main()
