"""Evaluation of the intent model: accuracy, macro-F1, per-intent P/R/F1, latency."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from core.artifacts import artifact_active
from core.exceptions import InvalidInput

from ..conf import chatbot_settings
from ..models import EvaluationRun


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
) -> EvaluationRun:
    """Score the active intent model on a labelled CSV, or on the held-out split.

    Parameters
    ----------
    path : CSV in the Bitext layout (``utterance`` or ``instruction``, ``intent``);
        None = the held-out split of the shared sample (never trained on).
    latency_samples : int, messages timed one by one (encoder + classifier).
    limit : int or None, score only the first ``limit`` rows.

    Raises
    ------
    NotTrained
        No active intent model.
    InvalidInput
        Unreadable file or missing column.
    """
    from ..nlu.encoder import encode
    from ..nlu.intents import prepare_text
    from . import data
    from .nlu import intent_model, nlu_parse

    artifact = artifact_active(chatbot_settings()["intent_kind"])
    model, _ = intent_model()
    if path is None:
        _, frame = data.bitext_split()
        dataset = "holdout (shared Bitext sample)"
    else:
        frame = data.labelled_csv_read(path)
        dataset = str(path)
    if limit:
        frame = frame.head(limit)
    if frame.empty:
        raise InvalidInput("no labelled rows to evaluate", field="file")
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
