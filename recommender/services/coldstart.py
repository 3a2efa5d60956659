"""Cold start: work done when a product or a customer is created.

* A new product gets a content vector and its nearest products by description
  (:class:`recommender.models.ProductNeighbours`), so it can be shown beside similar
  products, in baskets and to customers who bought its neighbours before the next
  retraining. The encoder is the content model of
  :mod:`recommender.algorithms.content` when installed (MiniLM sentence vectors),
  else TF-IDF over word and character n-grams (scikit-learn; Salton & Buckley 1988).
* A new customer gets their first recommendations (country bestsellers, through the
  normal fallback chain) precomputed, so the first page they see is ready.
"""

from __future__ import annotations

import logging

import numpy as np
from django.db import transaction

from core.exceptions import NotFound
from core.models import ModelArtifact
from shop.models import Customer, Product

from ..conf import rec_settings
from ..models import PrecomputedRecommendation, ProductNeighbours

logger = logging.getLogger(__name__)


def _catalogue(exclude_pk: int) -> tuple[np.ndarray, list[str]]:
    rows = (
        Product.objects.filter(is_active=True, is_merchandise=True)
        .exclude(pk=exclude_pk)
        .exclude(description="")
        .values_list("pk", "description")
    )
    pks = np.asarray([r[0] for r in rows], dtype=np.int64)
    return pks, [r[1] for r in rows]


def _tfidf(texts: list[str]):
    """Unit-normalised TF-IDF rows (sparse), when no content model is active."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 4), min_df=1)
    return vec.fit_transform(texts)


def _content_neighbours(text: str, n: int, exclude_pk: int):
    """(pks, scores, vector, method) from the active content model, or None."""
    from ..bundle import bundle_load

    artifact = ModelArtifact.objects.filter(
        kind="recommender.content", status=ModelArtifact.Status.ACTIVE
    ).first()
    if artifact is None:
        return None
    try:
        bundle = bundle_load(artifact)
        vector = bundle.model.embed([text])[0]
    except Exception:  # a broken content model must not block the cold start
        logger.exception("content model %s unusable for cold start", artifact.label)
        return None
    sims = bundle.model.item_vectors_ @ vector
    order = np.lexsort((bundle.item_ids, -sims))
    order = [i for i in order if bundle.item_ids[i] != exclude_pk][:n]
    pks = bundle.item_ids[order]
    method = f"content:{getattr(bundle.model.encoder_, 'name', '')}"
    return pks, sims[order], np.asarray(vector, np.float32), method, artifact.label


def product_cold_start(*, product_id: int) -> ProductNeighbours:
    """Compute and store a new product's content vector and neighbours.

    Raises
    ------
    NotFound
        No product ``product_id``.
    """
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise NotFound(f"product {product_id} does not exist", field="product_id")
    text = product.description or product.stock_code
    n = int(rec_settings()["cold_start_neighbours"])
    neighbour_ids: list[int] = []
    scores: list[float] = []
    vector, method, version = b"", "content-tfidf", ""
    found = _content_neighbours(text, n, product.pk)
    if found is not None:
        pks, sims, vec, method, version = found
        vector = vec.tobytes()
    else:
        pks, texts = _catalogue(product.pk)
        sims = np.zeros(0)
        if len(pks):
            matrix = _tfidf([text, *texts])
            sims = (matrix[1:] @ matrix[0].T).toarray().ravel()
            order = np.lexsort((pks, -sims))[:n]
            pks, sims = pks[order], sims[order]
    keep = np.asarray(sims) > 0
    neighbour_ids = [int(p) for p in np.asarray(pks)[keep]]
    scores = [round(float(s), 6) for s in np.asarray(sims)[keep]]
    with transaction.atomic():
        row, _ = ProductNeighbours.objects.update_or_create(
            product=product,
            defaults={
                "method": method,
                "neighbour_ids": neighbour_ids,
                "scores": scores,
                "vector": vector,
                "model_version": version,
            },
        )
    return row


def customer_cold_start(*, customer_id: int) -> PrecomputedRecommendation:
    """Precompute a new customer's first recommendations (the fallback chain).

    Raises
    ------
    NotFound
        No customer ``customer_id``.
    """
    from .precompute import recommendations_precompute

    if not Customer.objects.filter(pk=customer_id).exists():
        raise NotFound(f"customer {customer_id} does not exist", field="customer_id")
    recommendations_precompute(customer_ids=[customer_id])
    return PrecomputedRecommendation.objects.get(
        customer_id=customer_id, surface=rec_settings()["default_surface"]
    )


def customer_forget(*, customer_id: int) -> int:
    """Drop everything the recommender derived from a customer (erasure).

    Precomputed recommendations are deleted; the customer's row in loaded models
    is never used again (serving skips erased customers) and the next training
    leaves them out. Returns the number of rows deleted.
    """
    deleted, _ = PrecomputedRecommendation.objects.filter(
        customer_id=customer_id
    ).delete()
    return deleted
