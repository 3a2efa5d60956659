"""Intent classification: MiniLM embeddings and TF-IDF n-grams, logistic regression.

Two ways to fit (``experts``):

* product of experts (default): one multinomial logistic regression on the character
  n-grams ``tfidf_char_wb(x, n=2..5)`` (typos, spelling, style) and one on the unit-norm
  MiniLM embedding ``embed(x)`` (paraphrase), each with balanced class weights; the
  served probability is their renormalised weighted product

      p(y | x) ∝ p_text(y | x) ** (2 (1 - a)) * p_emb(y | x) ** (2 a),

  (a = ``expert_weight``), i.e. a softmax of ``2 (1 - a) logits_text + 2 a
  logits_emb``; a = 0.5 is the plain product of the two experts. Each expert is
  regularised on its own scale. On the validation protocol (trained on the 20k
  sample, scored on an intent-stratified half of the LLM sample) this beat one joint
  regression over the concatenated features by +0.03 accuracy,
  and the plain product was about as well calibrated as the joint model (expected
  calibration error 0.047 vs 0.049; the geometric mean, exponents summing to 1, was
  under-confident: 0.135).
* joint: one logistic regression on ``[tfidf_char_wb, tfidf_word, w * embed]``
  (``w`` = ``embedding_weight``), the model of earlier versions.

Either way the fitted model is one linear map over the concatenated feature blocks,
saved to ``.npz`` (``allow_pickle=False``): vocabularies as unicode arrays, idf
vectors, coefficients and the label list.

References
----------
Casanueva et al., "Efficient Intent Detection with Dual Sentence Encoders", 2020
(frozen sentence encoders + linear classifier); Hinton, "Training Products of Experts
by Minimizing Contrastive Divergence", Neural Computation 2002 (product of experts);
Joachims 1998 / Salton & Buckley 1988 (TF-IDF); Reimers & Gurevych 2019 (SBERT).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

# Labels that mean the same intent in different Bitext files.
LABEL_ALIASES = {"check_invoices": "check_invoice"}

BITEXT_INTENTS = (
    "cancel_order change_order change_shipping_address check_cancellation_fee "
    "check_invoice check_payment_methods check_refund_policy complaint "
    "contact_customer_service contact_human_agent create_account delete_account "
    "delivery_options delivery_period edit_account get_invoice get_refund "
    "newsletter_subscription payment_issue place_order recover_password "
    "registration_problems review set_up_shipping_address switch_account track_order "
    "track_refund"
).split()
SHOP_INTENTS = (
    "greeting goodbye thanks product_search product_question recommendation "
    "opening_hours return_item out_of_scope"
).split()

_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"(?<![\w])#?[cC]?\d{5,}(?![\w])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


class NotFittedError(RuntimeError):
    """The classifier is used before ``fit`` or ``load``."""


def normalise_label(label: str) -> str:
    """Canonical intent name (``check_invoices`` -> ``check_invoice``)."""
    label = label.strip().lower()
    return LABEL_ALIASES.get(label, label)


def prepare_text(text: str) -> str:
    """The text the model sees: order numbers -> ``number``, e-mails -> ``email``.

    Which number a customer types must not change the intent ("where is 536365" vs
    "where is 540000"); callers encode ``prepare_text(text)`` for the embeddings.
    """
    return _NUMBER.sub("number", _EMAIL.sub("email", str(text)))


def normalise_text(text: str) -> str:
    """Lower case, whitespace collapsed: the form duplicates are compared in."""
    return _SPACES.sub(" ", str(text).lower()).strip()


class IntentClassifier:
    """Intent classifier over sentence embeddings and TF-IDF n-grams.

    Parameters
    ----------
    experts : bool, fit a product of two experts (text, embedding); False fits one
        joint regression over all blocks.
    C : float, inverse L2 regularisation of the text expert (or the joint model).
    C_embedding : float, inverse L2 regularisation of the embedding expert.
    expert_weight : float in [0, 1], share ``a`` of the embedding expert in the
        product (0.5: both experts count fully).
    embedding_weight : float, scale of the (unit-norm) embedding block in the joint
        model (experts: only a storage scale, it does not change predictions).
    char_ngrams : tuple (min_n, max_n), character n-grams within word boundaries.
    word_ngrams : tuple (min_n, max_n) or None, word n-grams (None: no word block).
    min_df : int, minimum document frequency of a character n-gram.
    max_iter : int, solver iterations.
    random_state : int or None.

    The defaults (experts, C=30, C_embedding=10, expert_weight=0.5, no word block) were
    chosen on a validation set that is neither reported test: trained on the 20k
    sample plus the shop's examples, scored on an intent-stratified half of the LLM
    sample (676 texts; C in {10, 30, 100} per expert, weight in {0.3 .. 0.7}, with
    and without a word expert: 0.845-0.865, the joint model 0.831).

    Attributes
    ----------
    classes_ : ndarray of str, shape (k,)
    coef_ : ndarray of float32, shape (k, n_features)
    intercept_ : ndarray of float32, shape (k,)

    Raises
    ------
    ValueError
        ``expert_weight`` outside [0, 1] (at ``fit``).
    """

    def __init__(
        self,
        *,
        experts: bool = True,
        C: float = 30.0,
        C_embedding: float = 10.0,
        expert_weight: float = 0.5,
        embedding_weight: float = 3.0,
        char_ngrams: tuple[int, int] = (2, 5),
        word_ngrams: tuple[int, int] | None = None,
        min_df: int = 2,
        max_iter: int = 3000,
        random_state: int | None = 0,
    ) -> None:
        self.experts = experts
        self.C = C
        self.C_embedding = C_embedding
        self.expert_weight = expert_weight
        self.embedding_weight = embedding_weight
        self.char_ngrams = tuple(char_ngrams)
        self.word_ngrams = tuple(word_ngrams) if word_ngrams else None
        self.min_df = min_df
        self.max_iter = max_iter
        self.random_state = random_state

    def get_params(self) -> dict:
        return {
            "experts": self.experts,
            "C": self.C,
            "C_embedding": self.C_embedding,
            "expert_weight": self.expert_weight,
            "embedding_weight": self.embedding_weight,
            "char_ngrams": list(self.char_ngrams),
            "word_ngrams": list(self.word_ngrams) if self.word_ngrams else None,
            "min_df": self.min_df,
            "max_iter": self.max_iter,
            "random_state": self.random_state,
        }

    # -- features ------------------------------------------------------------------
    def _vectorizers(self, char_vocab=None, word_vocab=None):
        from sklearn.feature_extraction.text import TfidfVectorizer

        char = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=self.char_ngrams,
            sublinear_tf=True,
            lowercase=True,
            min_df=self.min_df if char_vocab is None else 1,
            vocabulary=char_vocab,
            dtype=np.float32,
        )
        if self.word_ngrams is None:
            return char, None
        word = TfidfVectorizer(
            ngram_range=self.word_ngrams,
            sublinear_tf=True,
            lowercase=True,
            vocabulary=word_vocab,
            dtype=np.float32,
        )
        return char, word

    def _features(self, texts: Sequence[str], embeddings: np.ndarray):
        from scipy import sparse

        texts = [prepare_text(t) for t in texts]
        blocks = [self.char_vectorizer_.transform(texts)]
        if self.word_vectorizer_ is not None:
            blocks.append(self.word_vectorizer_.transform(texts))
        blocks.append(
            sparse.csr_matrix(
                np.asarray(embeddings, dtype=np.float32) * self.embedding_weight
            )
        )
        return sparse.hstack(blocks, format="csr")

    # -- estimator contract --------------------------------------------------------
    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        embeddings: np.ndarray,
        sample_weight: np.ndarray | None = None,
    ) -> IntentClassifier:
        """Fit on ``texts`` (n,) with ``labels`` (n,) and their ``embeddings`` (n, d).

        ``embeddings`` must be the encoder's vectors of ``prepare_text(text)``.

        Raises
        ------
        ValueError
            Lengths differ, fewer than two intents, or an empty text list.
        """
        texts = [str(t) for t in texts]
        labels = np.array([normalise_label(y) for y in labels])
        embeddings = np.asarray(embeddings, dtype=np.float32)
        if not texts or len(texts) != len(labels) or len(texts) != len(embeddings):
            raise ValueError(
                f"texts ({len(texts)}), labels ({len(labels)}) and embeddings "
                f"({len(embeddings)}) must be non-empty and of equal length"
            )
        if len(set(labels)) < 2:
            raise ValueError("need at least two intents to train")
        if not 0.0 <= self.expert_weight <= 1.0:
            raise ValueError(
                f"expert_weight must be in [0, 1], got {self.expert_weight}"
            )
        char, word = self._vectorizers()
        prepared = [prepare_text(t) for t in texts]
        char.fit(prepared)
        if word is not None:
            word.fit(prepared)
        self.char_vectorizer_, self.word_vectorizer_ = char, word
        X = self._features(texts, embeddings)
        if self.experts:
            coef, intercept, classes = self._fit_experts(
                X, labels, sample_weight, dim=embeddings.shape[1]
            )
        else:
            coef, intercept, classes = self._fit_logreg(
                X, labels, sample_weight, C=self.C
            )
        self.classes_ = classes.astype(str)
        self.coef_ = coef.astype(np.float32)
        self.intercept_ = intercept.astype(np.float32)
        self.embedding_dim_ = embeddings.shape[1]
        return self

    def _fit_logreg(self, X, labels, sample_weight, *, C):
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(
            C=C,
            max_iter=self.max_iter,
            class_weight="balanced",
            random_state=self.random_state,
        )
        model.fit(X, labels, sample_weight=sample_weight)
        return model.coef_, model.intercept_, model.classes_

    def _fit_experts(self, X, labels, sample_weight, *, dim: int):
        """Fit the text and embedding experts; their weighted logits as one map.

        ``X``'s last ``dim`` columns are the scaled embedding block.
        """
        split = X.shape[1] - dim
        a = self.expert_weight
        w_text, b_text, classes = self._fit_logreg(
            X[:, :split], labels, sample_weight, C=self.C
        )
        w_emb, b_emb, classes_emb = self._fit_logreg(
            X[:, split:] / self.embedding_weight,
            labels,
            sample_weight,
            C=self.C_embedding,
        )
        t, e = 2 * (1 - a), 2 * a
        coef = np.hstack([t * w_text, e * w_emb / self.embedding_weight])
        return coef, t * b_text + e * b_emb, classes

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError("IntentClassifier is not fitted; call fit or load")

    def predict_proba(
        self, texts: Sequence[str], *, embeddings: np.ndarray
    ) -> np.ndarray:
        """Probabilities of each intent, shape (n, k), columns in ``classes_`` order."""
        self._check_fitted()
        X = self._features([str(t) for t in texts], embeddings)
        logits = np.asarray(X @ self.coef_.T) + self.intercept_
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, texts: Sequence[str], *, embeddings: np.ndarray) -> np.ndarray:
        """Most probable intent per text, shape (n,) of str."""
        self._check_fitted()
        return self.classes_[self.predict_proba(texts, embeddings=embeddings).argmax(1)]

    # -- persistence ---------------------------------------------------------------
    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        """Arrays and JSON metadata that :meth:`from_arrays` restores (no pickles)."""
        self._check_fitted()
        arrays = {}
        for name, vec in (
            ("char", self.char_vectorizer_),
            ("word", self.word_vectorizer_),
        ):
            if vec is None:
                continue
            vocab = vec.vocabulary_
            terms = sorted(vocab, key=vocab.get)
            arrays[f"{name}_terms"] = np.array(terms, dtype=str)
            arrays[f"{name}_idf"] = vec.idf_.astype(np.float32)
        arrays.update(
            classes=self.classes_.astype(str),
            coef=self.coef_,
            intercept=self.intercept_,
        )
        meta = {"params": self.get_params(), "embedding_dim": int(self.embedding_dim_)}
        return arrays, meta

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: dict) -> IntentClassifier:
        """Restore a model from :meth:`to_arrays` output (also of earlier versions,
        whose params have no ``experts`` key: one joint model with a word block)."""
        params = dict(meta["params"])
        params.setdefault("experts", False)
        params["char_ngrams"] = tuple(params["char_ngrams"])
        if params.get("word_ngrams"):
            params["word_ngrams"] = tuple(params["word_ngrams"])
        self = cls(**params)
        word_vocab = None
        if self.word_ngrams is not None:
            word_vocab = {t: i for i, t in enumerate(arrays["word_terms"].tolist())}
        char, word = self._vectorizers(
            char_vocab={t: i for i, t in enumerate(arrays["char_terms"].tolist())},
            word_vocab=word_vocab,
        )
        char.idf_ = arrays["char_idf"]
        if word is not None:
            word.idf_ = arrays["word_idf"]
        self.char_vectorizer_, self.word_vectorizer_ = char, word
        self.classes_ = arrays["classes"].astype(str)
        self.coef_ = arrays["coef"].astype(np.float32)
        self.intercept_ = arrays["intercept"].astype(np.float32)
        self.embedding_dim_ = int(meta["embedding_dim"])
        return self

    def save(self, path: str | Path) -> None:
        arrays, meta = self.to_arrays()
        _save_npz(Path(path), arrays, meta)

    @classmethod
    def load(cls, path: str | Path) -> IntentClassifier:
        arrays, meta = _load_npz(Path(path))
        return cls.from_arrays(arrays, meta)


def _save_npz(path: Path, arrays: dict, meta: dict) -> None:
    import json

    payload = dict(arrays)
    payload["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    with open(path, "wb") as fh:
        np.savez(fh, **payload)


def _load_npz(path: Path) -> tuple[dict, dict]:
    import json

    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files if k != "__meta__"}
        meta = json.loads(bytes(data["__meta__"]).decode())
    return arrays, meta


Encoder = Callable[[Sequence[str]], np.ndarray]
