"""Evaluation of the intent model: accuracy, macro-F1, per-intent P/R/F1, latency."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.artifacts import artifact_active
from core.exceptions import InvalidInput

from ..conf import chatbot_settings
from ..models import EvaluationRun

logger = logging.getLogger(__name__)


def classification_metrics(y_true, y_pred) -> dict:
    """Accuracy, macro-F1 (over the intents present in ``y_true``) and per intent.

    Parameters
    ----------
    y_true, y_pred : array-like of str, shape (n,)

    Returns
    -------
    dict with ``accuracy``, ``macro_f1``, ``n`` and ``per_intent`` {intent: {precision,
    recall, f1, support}}.
    """
    from sklearn.metrics import precision_recall_fscore_support

    y_true = np.asarray(y_true, dtype=str)
    y_pred = np.asarray(y_pred, dtype=str)
    labels = sorted(set(y_true))
    p, r, f, s = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    per_intent = {
        label: {
            "precision": round(float(p[i]), 4),
            "recall": round(float(r[i]), 4),
            "f1": round(float(f[i]), 4),
            "support": int(s[i]),
        }
        for i, label in enumerate(labels)
    }
    return {
        "accuracy": float((y_true == y_pred).mean()) if len(y_true) else 0.0,
        "macro_f1": float(np.mean(f)) if len(f) else 0.0,
        "n": int(len(y_true)),
        "per_intent": per_intent,
    }


def evaluation_record(*, artifact, dataset: str, metrics: dict, latency=None):
    """Store an :class:`EvaluationRun` row (shown in the admin's evaluation history)."""
    latency = latency or {}
    return EvaluationRun.objects.create(
        artifact=artifact,
        model_version=artifact.label if artifact else "",
        dataset=dataset[:255],
        n_examples=metrics["n"],
        accuracy=metrics["accuracy"],
        macro_f1=metrics["macro_f1"],
        per_intent=metrics["per_intent"],
        latency_p50_ms=latency.get("p50"),
        latency_p95_ms=latency.get("p95"),
    )


def latency_per_message(texts: list[str], *, parse) -> dict:
    """p50/p95 wall time (ms) of ``parse(text)`` one message at a time."""
    times = []
    for text in texts:
        start = time.perf_counter()
        parse(text)
        times.append((time.perf_counter() - start) * 1000)
    return {
        "p50": float(np.percentile(times, 50)),
        "p95": float(np.percentile(times, 95)),
        "n": len(times),
    }


def chatbot_evaluate(
    *,
    path: str | Path | None = None,
    latency_samples: int = 200,
    limit: int | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> EvaluationRun:
    """Score the active intent model on a labelled CSV, or on the held-out split.

    Parameters
    ----------
    path : CSV in the Bitext layout (``utterance`` or ``instruction``, ``intent``);
        None = the held-out split of the shared sample (never trained on).
    latency_samples : int, messages timed one by one (encoder + classifier).
    limit : int >= 1 or None, score only the first ``limit`` rows.
    on_warning : callable(str) or None, told (and the log too) how many rows with
        blank text were dropped and which labels the model does not know (those rows
        are scored, and can only be wrong).

    Raises
    ------
    NotTrained
        No active intent model.
    InvalidInput
        Unreadable file or missing column, ``limit`` < 1, or no rows left.
    """
    from ..nlu.encoder import encode
    from ..nlu.intents import prepare_text
    from . import data
    from .nlu import intent_model, nlu_parse

    if limit is not None and limit < 1:
        raise InvalidInput(f"limit must be >= 1, got {limit}", field="limit")
    if path is None:
        _, frame = data.bitext_split()
        dataset = "holdout (shared Bitext sample)"
    else:
        frame = data.labelled_csv_read(path)
        dataset = str(path)
    warn = _warner(on_warning, dataset)
    if frame.attrs.get("blank_rows_dropped"):
        warn(f"{frame.attrs['blank_rows_dropped']} row(s) with blank text dropped")
    if limit:
        frame = frame.head(limit)
    if frame.empty:
        raise InvalidInput(f"{dataset}: no labelled rows to evaluate", field="file")
    artifact = artifact_active(chatbot_settings()["intent_kind"])
    model, _ = intent_model()
    _warn_unknown_labels(frame["intent"], set(model.classes_), warn)
    texts = frame["text"].tolist()
    predicted = model.predict(
        texts, embeddings=encode([prepare_text(t) for t in texts])
    )
    metrics = classification_metrics(frame["intent"].to_numpy(), predicted)
    sample = texts[: max(1, latency_samples)]
    latency = latency_per_message(sample, parse=nlu_parse)
    return evaluation_record(
        artifact=artifact, dataset=dataset, metrics=metrics, latency=latency
    )


def _warner(on_warning, dataset: str) -> Callable[[str], None]:
    def warn(message: str) -> None:
        logger.warning("chatbot evaluation on %s: %s", dataset, message)
        if on_warning is not None:
            on_warning(message)

    return warn


def _warn_unknown_labels(labels, known: set, warn) -> None:
    counts = labels[~labels.isin(known)].value_counts()
    if counts.empty:
        return
    listed = ", ".join(f"{label or '(blank)'} ({n})" for label, n in counts.items())
    warn(
        f"{int(counts.sum())} row(s) carry {len(counts)} intent label(s) the model "
        f"does not know, scored as errors: {listed}"
    )


def evaluation_table(run: EvaluationRun) -> str:
    """A plain-text report of an evaluation run (per intent, then totals)."""
    lines = [
        f"model {run.model_version} on {run.dataset} ({run.n_examples} texts)",
        f"{'intent':<26} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>7}",
    ]
    for intent, m in sorted(run.per_intent.items()):
        lines.append(
            f"{intent:<26} {m['precision']:>9.3f} {m['recall']:>7.3f} "
            f"{m['f1']:>6.3f} {m['support']:>7d}"
        )
    lines.append(f"accuracy {run.accuracy:.4f}   macro-F1 {run.macro_f1:.4f}")
    if run.latency_p50_ms is not None:
        lines.append(
            f"latency per message: p50 {run.latency_p50_ms:.1f} ms, "
            f"p95 {run.latency_p95_ms:.1f} ms"
        )
    return "\n".join(lines)
