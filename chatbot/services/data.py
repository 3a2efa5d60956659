"""Training and evaluation data: the shared Bitext sample, its held-out split, the
shop's own examples (seeded from ``chatbot/data/shop_intents.csv``, admin-edited).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
from django.conf import settings

from core.exceptions import InvalidInput

from ..conf import chatbot_settings
from ..models import FAQEntry, IntentExample
from ..nlu.intents import normalise_label, normalise_text

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
SHOP_EXAMPLES = DATA_DIR / "shop_intents.csv"
FAQ_SEED = DATA_DIR / "faq_seed.json"
PARAPHRASES = DATA_DIR / "paraphrases_eval.csv"
# 120 questions outside the shop (general knowledge, banking, travel, smart home,
# small talk) written by the team, never trained on; ``split`` val / test.
OUT_OF_SCOPE_EVAL = DATA_DIR / "out_of_scope_eval.csv"
BITEXT_FILES = {
    "20k": "intent_utterances_20k.csv",
    "llm": "llm_training_sample.csv",
}


def bitext_dir() -> Path:
    return Path(settings.SHARED_DATA_DIR) / "bitext-customer-service"


def labelled_csv_read(path: str | Path) -> pd.DataFrame:
    """Read a Bitext-layout CSV into columns ``text``, ``intent`` (labels normalised).

    The text column is ``utterance`` or ``instruction``. Rows with blank text are
    dropped; how many is kept in ``frame.attrs["blank_rows_dropped"]``.

    Raises
    ------
    InvalidInput
        The file is missing, empty, not UTF-8 text, not parseable as CSV, or has no
        text/intent column; names the file and the column.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"file not found: {path}", field="file")
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, encoding="utf-8-sig"
        )
    except pd.errors.EmptyDataError:
        raise InvalidInput(f"{path}: the file is empty", field="file") from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})", field="file"
        ) from None
    except pd.errors.ParserError as exc:
        first = str(exc).strip().splitlines()[0]
        raise InvalidInput(
            f"{path}: not a readable CSV: {first}", field="file"
        ) from None
    column = next((c for c in ("utterance", "instruction", "text") if c in frame), None)
    if column is None or "intent" not in frame:
        raise InvalidInput(
            f"{path}: needs a text column (utterance or instruction) and an "
            f"intent column; found {list(frame.columns)}",
            field="file",
        )
    out = pd.DataFrame(
        {
            "text": frame[column].astype(str),
            "intent": frame["intent"].map(normalise_label),
        }
    )
    kept = out[out["text"].str.strip() != ""].reset_index(drop=True)
    kept.attrs["blank_rows_dropped"] = len(out) - len(kept)
    return kept


def bitext_split() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The shared sample split into (train, holdout), each with text/intent/source.

    Deterministic (stratified by intent, fixed seed). Training rows whose normalised
    text also occurs in the holdout are dropped, so the holdout is never trained on,
    and a text repeated within one file (same normalised text and intent; the
    20k sample has 555 such repeats) is trained on once, so repeats do not outweigh the
    rarer intents.
    """
    from sklearn.model_selection import train_test_split

    conf = chatbot_settings()
    train, holdout = [], []
    for source, name in BITEXT_FILES.items():
        frame = labelled_csv_read(bitext_dir() / name).assign(source=source)
        share = conf["holdout_llm" if source == "llm" else "holdout_20k"]
        tr, ho = train_test_split(
            frame,
            test_size=share,
            stratify=frame["intent"],
            random_state=conf["random_state"],
        )
        train.append(tr)
        holdout.append(ho)
    train_df = pd.concat(train, ignore_index=True)
    holdout_df = pd.concat(holdout, ignore_index=True)
    held = set(holdout_df["text"].map(normalise_text))
    train_df = train_df.assign(norm=train_df["text"].map(normalise_text))
    train_df = (
        train_df[~train_df["norm"].isin(held)]
        .drop_duplicates(["source", "norm", "intent"])
        .drop(columns="norm")
    )
    return train_df.reset_index(drop=True), holdout_df.reset_index(drop=True)


def intent_examples_seed() -> int:
    """Create the shop's seed examples missing from the database; returns rows added.

    Deactivate an example in the admin rather than deleting it (a deleted seed row
    comes back at the next seeding).
    """
    frame = pd.read_csv(SHOP_EXAMPLES, dtype=str, keep_default_na=False)
    existing = set(IntentExample.objects.values_list("text", "intent"))
    rows = [
        IntentExample(text=t.strip(), intent=normalise_label(i), source="seed")
        for t, i in zip(frame["utterance"], frame["intent"], strict=True)
        if (t.strip(), normalise_label(i)) not in existing
    ]
    IntentExample.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def shop_examples() -> pd.DataFrame:
    """Active shop examples (text, intent, source='shop')."""
    rows = IntentExample.objects.filter(is_active=True).values_list("text", "intent")
    return pd.DataFrame(list(rows), columns=["text", "intent"]).assign(source="shop")


def faq_seed() -> int:
    """Create the seed FAQ entries missing by key; returns the rows added."""
    entries = json.loads(FAQ_SEED.read_text(encoding="utf-8"))
    added = 0
    for entry in entries:
        _, created = FAQEntry.objects.get_or_create(
            key=entry["key"],
            defaults={
                "question": entry["question"],
                "answer": entry["answer"],
                "tags": entry.get("tags", ""),
            },
        )
        added += created
    return added


def fingerprint(*parts) -> str:
    """sha256 of the JSON of ``parts`` (texts, labels, params)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(json.dumps(part, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def labelled_dedupe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without rows repeating an earlier (normalised text, intent) pair."""
    key = frame["text"].map(normalise_text) + "\t" + frame["intent"]
    return frame[~key.duplicated().to_numpy()].reset_index(drop=True)


def stratified_head(
    frame: pd.DataFrame, per_intent: int, seed: int = 0
) -> pd.DataFrame:
    """At most ``per_intent`` rows of each intent (random, fixed seed)."""
    shuffled = frame.sample(frac=1.0, random_state=seed)
    return shuffled.groupby("intent").head(per_intent).reset_index(drop=True)
