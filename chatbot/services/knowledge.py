"""Knowledge the bot retrieves: FAQ answers and products, by meaning (embeddings).

* FAQ: entries (question + tags) are embedded on first use and cached per process
  until an entry changes. An intent listed in ``faq_intents`` gets the most similar
  of its own entries; any other intent gets none (never a neighbour's entry); a
  message read as out of scope, or looked up without an intent, gets the most similar
  entry that belongs to no listed intent when its cosine similarity reaches
  ``faq_min_similarity``.
* Products: an embedding index of the active merchandise descriptions, saved as an
  artifact (``chatbot.products``, npz: product pks + float32 vectors), rebuilt only when
  the catalogue's descriptions change.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
from django.db.models import Count, Max

from core.artifacts import (
    artifact_activate,
    artifact_active,
    artifact_create,
    artifact_find_existing,
    artifact_path,
    load_arrays,
    save_arrays,
)
from core.exceptions import NotTrained
from shop.models import Product

from ..conf import chatbot_settings
from ..models import FAQEntry
from ..nlu.encoder import encode, encode_cached
from .data import fingerprint

_lock = threading.Lock()
_cache: dict = {}


_stamps: dict = {}
_clock = time.monotonic  # seconds; replaced in tests


def _cached(key: str, version, build):
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
    value = build()
    with _lock:
        _cache[key] = (version, value)
    return value


def _current(key: str, stamp: Callable[[], object]):
    """``stamp()``, a query telling whether a cached index is current (the count and
    last change of its rows), run at most every ``index_check_seconds`` per process:
    a message does not scan the catalogue; an edit shows within that many seconds
    (what is sold and its price are read live wherever the bot names a product)."""
    seconds = chatbot_settings()["index_check_seconds"]
    now = _clock()
    with _lock:
        hit = _stamps.get(key)
        if hit is not None and now - hit[0] < seconds:
            return hit[1]
    value = stamp()
    with _lock:
        _stamps[key] = (now, value)
    return value


def knowledge_caches_clear() -> None:
    """Forget the indexes and their stamps (tests; a new database)."""
    with _lock:
        _cache.clear()
        _stamps.clear()


def catalogue_stamp() -> tuple:
    """(count, last change) of the sellable catalogue, checked as :func:`_current`."""

    def stamp():
        stats = Product.objects.sellable().aggregate(
            n=Count("id"), last=Max("updated_at")
        )
        return stats["n"], stats["last"]

    return _current("catalogue", stamp)


def encode_one(text: str) -> np.ndarray:
    """The sentence vector of one text, shape (384,), from the encoder's cache of
    recent texts (:func:`chatbot.nlu.encoder.encode_cached`): the FAQ, product and
    category look-ups of one message reuse the vectors its reading made."""
    return encode_cached([text])[0]


# --- FAQ -----------------------------------------------------------------------------
def _faq_index():
    def stamp():
        stats = FAQEntry.objects.filter(is_active=True).aggregate(
            n=Count("id"), last=Max("updated_at")
        )
        return stats["n"], stats["last"]

    def build():
        entries = list(FAQEntry.objects.filter(is_active=True).order_by("pk"))
        texts = [f"{e.question} {e.tags}" for e in entries]
        return entries, encode(texts)

    return _cached("faq", _current("faq", stamp), build)


def faq_answer(
    *, text: str, intent: str | None = None
) -> tuple[FAQEntry | None, float]:
    """The FAQ entry that answers ``text`` and its cosine similarity (-1..1).

    When ``faq_intents`` lists FAQ keys for ``intent``, the most similar of those
    active entries wins whatever its similarity (the intent is already decided:
    "How can I pay?" gets the payment-methods entry, not the closer-worded
    payment-problem one). Another intent gets ``(None, 0.0)``. Without an intent,
    or for ``out_of_scope``, the candidates are the entries listed for no intent and
    the best must reach ``faq_min_similarity``.

    Returns ``(None, best_score)`` when there is no candidate or none is close enough.
    """
    conf = chatbot_settings()
    entries, vectors = _faq_index()
    owned = conf["faq_intents"].get(intent) if intent else None
    if owned:
        allowed = {e.key for e in entries} & set(owned)
    elif intent and intent != "out_of_scope":
        return None, 0.0  # an intent never borrows an entry of another topic
    elif intent:
        taken = {key for keys in conf["faq_intents"].values() for key in keys}
        allowed = {e.key for e in entries} - taken
    else:
        allowed = {e.key for e in entries}
    rows = [i for i, e in enumerate(entries) if e.key in allowed]
    if not rows:
        return None, 0.0
    scores = vectors[rows] @ encode_one(text)
    best = int(scores.argmax())
    score = float(scores[best])
    if not owned and score < conf["faq_min_similarity"]:
        return None, score
    return entries[rows[best]], score


# --- products -----------------------------------------------------------------
def _catalogue_rows() -> list[tuple[int, str]]:
    """(pk, description) of the sellable catalogue (``Product.objects.sellable()``:
    priced, described merchandise of the shop; no films, postage or service codes)."""
    return list(
        Product.objects.sellable().order_by("pk").values_list("pk", "description")
    )


def product_index_build(*, force: bool = False, show_progress: bool = False):
    """Embed every sellable product's description; reuse the index if unchanged.

    Returns
    -------
    ModelArtifact or None (an empty catalogue has no index).
    """
    conf = chatbot_settings()
    rows = _catalogue_rows()
    if not rows:
        return None
    fp = fingerprint(rows)
    params = {"encoder": "all-MiniLM-L6-v2", "field": "description"}
    existing = (
        None
        if force
        else artifact_find_existing(
            kind=conf["product_index_kind"],
            algorithm="minilm",
            params=params,
            data_fingerprint=fp,
        )
    )
    if existing is None:
        vectors = encode([r[1].strip().lower() for r in rows], progress=show_progress)
        pks = np.array([r[0] for r in rows], dtype=np.int64)
        existing = artifact_create(
            kind=conf["product_index_kind"],
            algorithm="minilm",
            writer=lambda path: save_arrays(
                path, {"product_ids": pks, "vectors": vectors}, {"n": len(pks)}
            ),
            params=params,
            metrics={"products": len(pks)},
            data_fingerprint=fp,
        )
    if existing.status != existing.Status.ACTIVE:
        artifact_activate(existing)
    return existing


def _product_index():
    artifact = artifact_active(chatbot_settings()["product_index_kind"])

    def build():
        arrays, _ = load_arrays(artifact_path(artifact))
        return arrays["product_ids"], arrays["vectors"]

    return _cached("products", artifact.pk, build)


def product_search(*, query: str, k: int | None = None) -> list[tuple[Product, float]]:
    """Products whose descriptions are closest in meaning to ``query``, best first.

    Falls back to a case-insensitive word match when no index is built yet.

    Returns
    -------
    list of (Product, cosine similarity or 0.0 for the word-match fallback).
    """
    conf = chatbot_settings()
    k = k or conf["search_results"]
    try:
        pks, vectors = _product_index()
    except NotTrained:
        words = [w for w in query.split() if len(w) > 3][:3]
        qs = Product.objects.sellable()
        for word in words:
            qs = qs.filter(description__icontains=word)
        return [(p, 0.0) for p in qs.order_by("pk")[:k]] if words else []
    scores = vectors @ encode_one(query)
    top = np.argsort(-scores)[: k * 3]
    top = [i for i in top if scores[i] >= conf["search_min_similarity"]]
    # Sellable now (the index may predate a price or status change).
    products = Product.objects.sellable().in_bulk([int(pks[i]) for i in top])
    out = [
        (products[int(pks[i])], float(scores[i]))
        for i in top
        if int(pks[i]) in products
    ]
    return out[:k]


def catalogue_names() -> tuple[list[int], list[str]]:
    """(product pks, descriptions) of the active catalogue, for fuzzy name matching."""

    def build():
        rows = _catalogue_rows()
        return [r[0] for r in rows], [r[1] for r in rows]

    return _cached("names", catalogue_stamp(), build)


def knowledge_indexes_warm() -> None:
    """Build the per-process indexes of fixed texts now (FAQ entries, product index
    and names, categories, catalogue words) instead of at the first message that
    needs them; each is kept until its source changes. Missing ones are skipped."""
    from . import products

    _faq_index()
    catalogue_names()
    products.category_index_warm()
    try:
        _product_index()
    except NotTrained:
        pass
