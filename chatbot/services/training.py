"""Training the intent model and building the product index (``chatbot.train``)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from core.artifacts import (
    artifact_activate,
    artifact_active,
    artifact_create,
    artifact_find_existing,
    save_arrays,
)
from core.exceptions import InvalidInput, NotTrained
from core.models import ModelArtifact
from core.taskruns import progress, task_run

from ..conf import chatbot_settings
from ..nlu.encoder import encode
from ..nlu.intents import IntentClassifier, prepare_text
from . import data
from .evaluation import classification_metrics, evaluation_record
from .knowledge import product_index_build
from .nlu import intent_model_clear

logger = logging.getLogger(__name__)
ALGORITHM = "minilm+char-tfidf-experts"
# Bump when the features or the training recipe change, so an identical data set is
# not served by a model built the old way.
RECIPE = 4


def training_frame(
    *, per_intent_limit: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, holdout) frames: the Bitext train split + active shop examples."""
    train, holdout = data.bitext_split()
    if per_intent_limit:
        train = data.stratified_head(train, per_intent_limit)
        holdout = data.stratified_head(holdout, max(2, per_intent_limit // 4))
    train = pd.concat([train, data.shop_examples()], ignore_index=True)
    return train, holdout


def chatbot_train(
    *,
    force: bool = False,
    per_intent_limit: int | None = None,
    build_product_index: bool = True,
    show_progress: bool = False,
) -> ModelArtifact:
    """Train (or reuse) the intent model; seed the FAQ; build the product index.

    Idempotent: with the same training texts, labels and parameters as an earlier
    artifact, that artifact is re-activated instead of training again (unless
    ``force``). A failure leaves the previously active model serving.

    Parameters
    ----------
    force : bool, train even when an identical model exists.
    per_intent_limit : int or None, train on at most this many rows per intent
        (tests and quick runs).
    build_product_index : bool, also (re)build the product search index.
    show_progress : bool, tqdm bars on the console.

    Returns
    -------
    ModelArtifact, the active intent model.

    Raises
    ------
    InvalidInput
        ``per_intent_limit`` is not positive, or the training data is missing.
    """
    if per_intent_limit is not None and per_intent_limit < 1:
        raise InvalidInput("per_intent_limit must be >= 1", field="per_intent_limit")
    conf = chatbot_settings()
    args = {"force": force, "per_intent_limit": per_intent_limit}
    with task_run("chatbot.train", args) as run:
        data.intent_examples_seed()
        data.faq_seed()
        train, holdout = training_frame(per_intent_limit=per_intent_limit)
        params = {
            **IntentClassifier(**conf["classifier"]).get_params(),
            "llm_sample_weight": conf["llm_sample_weight"],
            "per_intent_limit": per_intent_limit,
            "recipe": RECIPE,
        }
        fp = data.fingerprint(
            sorted(zip(train["text"], train["intent"], train["source"], strict=True)),
            params,
        )
        existing = (
            None
            if force
            else artifact_find_existing(
                kind=conf["intent_kind"],
                algorithm=ALGORITHM,
                params=params,
                data_fingerprint=fp,
            )
        )
        if existing is not None:
            run.status = run.Status.SKIPPED
            artifact = _activate(existing)
        else:
            artifact = _train(run, conf, train, holdout, params, fp, show_progress)
        if build_product_index:
            progress(run, 0.9, "product index")
            product_index_build(show_progress=show_progress)
        run.metrics = {"artifact": artifact.label, **artifact.metrics}
        return artifact


def _activate(artifact: ModelArtifact) -> ModelArtifact:
    if artifact.status != ModelArtifact.Status.ACTIVE:
        artifact_activate(artifact)
        intent_model_clear()
    return artifact


def _train(run, conf, train, holdout, params, fp, show_progress) -> ModelArtifact:
    texts = train["text"].tolist()
    progress(run, 0.05, f"encoding {len(texts)} training texts")
    emb = encode([prepare_text(t) for t in texts], progress=show_progress)
    weight = np.where(train["source"].eq("llm"), conf["llm_sample_weight"], 1.0)
    progress(run, 0.5, "fitting the classifier")
    model = IntentClassifier(**conf["classifier"]).fit(
        texts, train["intent"].tolist(), embeddings=emb, sample_weight=weight
    )
    progress(run, 0.7, f"scoring the {len(holdout)} held-out texts")
    predicted = model.predict(
        holdout["text"].tolist(),
        embeddings=encode(
            [prepare_text(t) for t in holdout["text"]], progress=show_progress
        ),
    )
    metrics = classification_metrics(holdout["intent"].to_numpy(), predicted)
    by_source = {
        f"accuracy_{src}": float(
            (predicted[m] == holdout["intent"].to_numpy()[m]).mean()
        )
        for src in holdout["source"].unique()
        for m in [holdout["source"].eq(src).to_numpy()]
    }
    arrays, meta = model.to_arrays()
    artifact = artifact_create(
        kind=conf["intent_kind"],
        algorithm=ALGORITHM,
        writer=lambda path: save_arrays(path, arrays, meta),
        params=params,
        metrics={
            "holdout_accuracy": metrics["accuracy"],
            "holdout_macro_f1": metrics["macro_f1"],
            **by_source,
            "n_train": len(texts),
            "n_holdout": len(holdout),
            "intents": len(model.classes_),
        },
        data_fingerprint=fp,
        task_run=run,
        notes="Product of two logistic regressions, on MiniLM embeddings and on "
        "char n-gram TF-IDF; holdout = stratified split of the shared Bitext "
        "sample, never trained on.",
    )
    _activate(artifact)
    evaluation_record(
        artifact=artifact, dataset="holdout (shared Bitext sample)", metrics=metrics
    )
    logger.info("chatbot intent model %s trained: %s", artifact.label, artifact.metrics)
    return artifact


def chatbot_model_status() -> dict:
    """Label and metrics of the active intent model, or ``{"trained": False}``."""
    try:
        artifact = artifact_active(chatbot_settings()["intent_kind"])
    except NotTrained:
        return {"trained": False}
    return {"trained": True, "model_version": artifact.label, **artifact.metrics}


def chatbot_retrain_schedule(*, always: bool = False) -> bool:
    """Queue ``chatbot.train`` after the current transaction commits.

    With a real broker the task runs in a worker. In eager mode (no broker) training
    would block the caller for minutes, so it is only queued when ``always`` (an
    explicit admin action); otherwise run ``manage.py train_chatbot``.

    Returns True when the task was queued.
    """
    from django.conf import settings

    from core.enqueue import enqueue_on_commit

    from ..tasks import chatbot_train_task

    if settings.CELERY_TASK_ALWAYS_EAGER and not always:
        return False
    enqueue_on_commit(chatbot_train_task)  # never fails the request (Redis down)
    return True
