"""The active intent model, loaded once per process per artifact version."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from core.artifacts import artifact_active, artifact_path, load_arrays

from ..conf import chatbot_settings
from ..nlu.encoder import encode_cached
from ..nlu.intents import IntentClassifier, prepare_text

_lock = threading.Lock()
_loaded: dict = {"pk": None, "model": None, "label": None}


@dataclass
class Parse:
    """What the NLU makes of one message."""

    intent: str
    confidence: float
    top: list[tuple[str, float]] = field(default_factory=list)
    model_version: str | None = None
    latency_ms: float = 0.0


def intent_model() -> tuple[IntentClassifier, str]:
    """The active intent classifier and its label (``chatbot.intents:vN``).

    Raises
    ------
    NotTrained
        No intent model has been trained yet.
    """
    artifact = artifact_active(chatbot_settings()["intent_kind"])
    with _lock:
        if _loaded["pk"] != artifact.pk:
            arrays, meta = load_arrays(artifact_path(artifact))
            _loaded.update(
                pk=artifact.pk,
                model=IntentClassifier.from_arrays(arrays, meta),
                label=artifact.label,
            )
        return _loaded["model"], _loaded["label"]


def intent_model_labels() -> list[str]:
    """The intents the active model knows ([] when none is trained)."""
    from core.exceptions import NotTrained

    try:
        model, _ = intent_model()
    except NotTrained:
        return []
    return [str(c) for c in model.classes_]


def intent_model_clear() -> None:
    with _lock:
        _loaded.update(pk=None, model=None, label=None)


def nlu_parse(text: str) -> Parse:
    """Intent, confidence and the three best intents of ``text``.

    Raises
    ------
    NotTrained
        No intent model is active.
    """
    start = time.perf_counter()
    model, label = intent_model()
    # One encoder call per message: the form the model reads and the text as typed
    # (the FAQ and product look-ups use it) are encoded together and kept.
    prepared = prepare_text(text)
    vectors = encode_cached([prepared, text])
    proba = model.predict_proba([text], embeddings=vectors[:1])[0]
    order = proba.argsort()[::-1][:3]
    top = [(str(model.classes_[i]), float(proba[i])) for i in order]
    return Parse(
        intent=top[0][0],
        confidence=top[0][1],
        top=top,
        model_version=label,
        latency_ms=(time.perf_counter() - start) * 1000,
    )
