"""Content-based recommender on product-description embeddings (cold start).

Every item gets a unit vector from its description (:mod:`recommender.algorithms.text`:
the bundled MiniLM sentence encoder beside character n-gram TF-IDF + LSA, or TF-IDF
alone when transformers is missing),
optionally concatenated with a one-hot of its category. Then::

    profile(u) = normalise( Σ_{i in I(u)} w_ui · v_i ),  w_ui = log(1 + r_ui)  ("mean")
    score(u, j) = profile(u) · v_j                        (cosine)

or, with ``profile="max"``, ``score(u, j) = max_{i in I(u)} v_i · v_j`` (the nearest
bought item answers, which keeps distinct interests apart). ``similar_items`` ranks by
cosine. A product that was not in training is embedded from its text
(:meth:`ContentRecommender.embed`) and either queried directly
(:meth:`similar_to_texts`) or appended to the catalogue (:meth:`add_items`), after
which it can be recommended at once: this is the cold start for new products. A
customer with a few purchases is served through ``score``/``recommend`` on their row
(the cold start for new customers); the answer can cite the bought item that is
nearest to each recommendation (:meth:`explain`), i.e. "because you bought ...".

Fit signature: ``fit(user_items, *, item_texts, item_categories=None)``.

References
----------
Lops, de Gemmis & Semeraro, "Content-based recommender systems: state of the art and
trends", Recommender Systems Handbook, 2011 (profile = weighted mean of item vectors).
Reimers & Gurevych, EMNLP 2019 (Sentence-BERT embeddings).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from recommender.algorithms.base import NotFittedError, Recommender, as_csr, top_n
from recommender.algorithms.text import (
    MiniLMEncoder,
    encoder_from_state,
    text_encoder,
)

__all__ = ["ContentRecommender"]


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


class ContentRecommender(Recommender):
    """Recommend items whose descriptions resemble what the user bought.

    Parameters
    ----------
    encoder : {"auto", "minilm", "tfidf", "minilm+tfidf"}, the text encoder
        (:mod:`recommender.algorithms.text`). "auto" = MiniLM and TF-IDF
        concatenated when MiniLM is installed (the most accurate on the Online
        Retail benchmark, ``benchmarks/recommender_deep.py``), else TF-IDF alone.
    profile : {"mean", "max"}, how a user's bought items are combined.
    category_weight : float >= 0, weight of the category one-hot block (0 = text only).
    batch_size : int, users scored per block (memory bound of ``profile="max"``).

    Attributes
    ----------
    n_items_ : int
    item_vectors_ : float32 (n_items_, dim), unit rows.
    categories_ : str array, the category vocabulary (empty without categories).
    encoder_ : the fitted text encoder.

    References
    ----------
    Lops et al. 2011; Reimers & Gurevych 2019.
    """

    name = "content"

    def __init__(
        self,
        *,
        encoder: str = "auto",
        profile: str = "mean",
        category_weight: float = 0.0,
        batch_size: int = 512,
    ) -> None:
        self.encoder = encoder
        self.profile = profile
        self.category_weight = category_weight
        self.batch_size = batch_size

    # --- fitting ------------------------------------------------------------------
    def fit(
        self,
        user_items: sp.csr_matrix | None = None,
        *,
        item_texts: Sequence[str],
        item_categories: Sequence[str] | None = None,
    ) -> ContentRecommender:
        """Embed every item's description.

        Parameters
        ----------
        user_items : csr_matrix (n_users, n_items), optional
            Only its width is checked (the model has no user parameters).
        item_texts : sequence of str of length n_items, descriptions by inner id.
        item_categories : sequence of str of length n_items, optional.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            Lengths disagree, no items, bad ``profile`` or ``category_weight``.
        """
        if self.profile not in ("mean", "max"):
            raise ValueError(f"profile must be 'mean' or 'max', got {self.profile!r}")
        if float(self.category_weight) < 0:
            raise ValueError(
                f"category_weight must be >= 0, got {self.category_weight}"
            )
        texts = list(item_texts)
        if not texts:
            raise ValueError("item_texts is empty: nothing to embed")
        if user_items is not None and as_csr(user_items).shape[1] != len(texts):
            raise ValueError(
                f"user_items has {user_items.shape[1]} items but item_texts has "
                f"{len(texts)}"
            )
        if item_categories is not None and len(item_categories) != len(texts):
            raise ValueError(
                f"item_categories has {len(item_categories)} entries, expected "
                f"{len(texts)}"
            )
        kind = self.encoder
        if kind == "auto":
            kind = "minilm+tfidf" if MiniLMEncoder.available() else "tfidf"
        self.encoder_ = text_encoder(kind).fit(texts)
        cats = [str(c or "") for c in item_categories] if item_categories else []
        self.categories_ = np.array(sorted(set(cats) - {""}), dtype=str)
        self.item_vectors_ = self._vectors(self.encoder_.encode(texts), cats or None)
        self.n_items_ = len(texts)
        return self

    def _vectors(self, text_vecs: np.ndarray, cats: Sequence[str] | None) -> np.ndarray:
        """Text vectors, with the weighted category one-hot appended when used."""
        if self.categories_.size == 0 or float(self.category_weight) == 0:
            return _unit(text_vecs)
        onehot = np.zeros((text_vecs.shape[0], self.categories_.size), np.float32)
        if cats is not None:
            index = {c: j for j, c in enumerate(self.categories_.tolist())}
            for r, c in enumerate(cats):
                if str(c or "") in index:
                    onehot[r, index[str(c)]] = 1.0
        return _unit(np.hstack([text_vecs, float(self.category_weight) * onehot]))

    # --- cold start for new products --------------------------------------------
    def embed(
        self, texts: Sequence[str], categories: Sequence[str] | None = None
    ) -> np.ndarray:
        """Vectors of (possibly unseen) products, float32 (len(texts), dim)."""
        self._check_fitted()
        return self._vectors(self.encoder_.encode(list(texts)), categories)

    def similar_to_texts(
        self,
        texts: Sequence[str],
        *,
        n: int = 10,
        categories: Sequence[str] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Catalogue items nearest to new descriptions; ids/scores (len(texts), n)."""
        if int(n) < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        sims = self.embed(texts, categories) @ self.item_vectors_.T
        return top_n(sims.astype(np.float64), int(n))

    def add_items(
        self, texts: Sequence[str], categories: Sequence[str] | None = None
    ) -> np.ndarray:
        """Append new products to the catalogue; returns their new inner ids."""
        vecs = self.embed(texts, categories)
        start = self.n_items_
        self.item_vectors_ = np.vstack([self.item_vectors_, vecs])
        self.n_items_ = self.item_vectors_.shape[0]
        return np.arange(start, self.n_items_, dtype=np.int64)

    # --- scoring ------------------------------------------------------------------
    def score(self, user_ids: np.ndarray, user_items: sp.csr_matrix) -> np.ndarray:
        """Content scores, float32 (len(user_ids), n_items_); zeros for empty rows."""
        self._check_fitted()
        rows = as_csr(user_items)[np.asarray(user_ids, dtype=np.int64)]
        if rows.shape[1] != self.n_items_:
            raise ValueError(
                f"user_items has {rows.shape[1]} items, model has {self.n_items_}"
            )
        out = np.zeros((rows.shape[0], self.n_items_), dtype=np.float32)
        v = self.item_vectors_
        step = int(self.batch_size)
        for s in range(0, rows.shape[0], step):
            block = rows[s : s + step]
            if self.profile == "mean":
                w = block.copy()
                w.data = np.log1p(np.abs(w.data))
                out[s : s + step] = _unit(np.asarray(w @ v)) @ v.T
            else:
                for r in range(block.shape[0]):
                    idx = block[r].indices
                    if idx.size:
                        out[s + r] = (v[idx] @ v.T).max(axis=0)
        return out

    def explain(self, user_items_row: sp.csr_matrix, item_ids) -> np.ndarray:
        """For each recommended item, the bought item most similar to it.

        Parameters
        ----------
        user_items_row : csr_matrix (1, n_items_), the user's purchases.
        item_ids : int array (k,), recommended items.

        Returns
        -------
        int64 array (k,): inner id of the nearest bought item (-1 if none bought).
        """
        self._check_fitted()
        bought = as_csr(user_items_row).indices
        items = np.asarray(item_ids, dtype=np.int64)
        if bought.size == 0:
            return np.full(items.size, -1, dtype=np.int64)
        sims = self.item_vectors_[items] @ self.item_vectors_[bought].T
        return bought[np.argmax(sims, axis=1)].astype(np.int64)

    def similar_items(self, item_ids, *, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Nearest items by cosine of description vectors (the item itself excluded).

        Returns ids int64 and scores float32 of shape (len(item_ids), n), or (n,)
        for a scalar id.

        Raises
        ------
        ValueError
            Ids out of range, ``n < 1``.
        """
        self._check_fitted()
        if int(n) < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        single = np.isscalar(item_ids)
        items = np.atleast_1d(np.asarray(item_ids, dtype=np.int64))
        if items.size and (items.min() < 0 or items.max() >= self.n_items_):
            raise ValueError(f"item_ids must lie in 0..{self.n_items_ - 1}")
        sims = (self.item_vectors_[items] @ self.item_vectors_.T).astype(np.float64)
        sims[np.arange(items.size), items] = -np.inf
        ids, vals = top_n(sims, int(n))
        return (ids[0], vals[0]) if single else (ids, vals)

    # --- persistence --------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "item_vectors_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit first")

    def _state(self) -> dict[str, np.ndarray]:
        state = super()._state()
        state["item_vectors_"] = self.item_vectors_
        state["categories_"] = self.categories_
        for key, value in self.encoder_.get_state().items():
            state[f"enc.{key}"] = value
        return state

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        super()._restore(arrays)
        self.item_vectors_ = arrays["item_vectors_"].astype(np.float32)
        self.categories_ = arrays["categories_"].astype(str)
        self.encoder_ = encoder_from_state(
            {k[4:]: v for k, v in arrays.items() if k.startswith("enc.")}
        )
