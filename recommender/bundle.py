"""One artifact file per trained recommender: the model plus what serving needs.

The bundle is a single ``.npz`` (``allow_pickle=False``) holding

* ``model_file``: the bytes of the estimator's own ``save()`` output (npz or
  safetensors), restored through the class named in :mod:`recommender.registry`;
* ``popularity_file``: a Popularity model (overall and per country) fitted on the
  same matrix, used by the rule-based fallbacks;
* the id maps ``user_ids`` (customer pks), ``item_ids`` (product pks),
  ``user_groups`` (countries), and the training matrix (``ui_*``) used to score
  known customers;
* frequently-bought-together lists (``fbt_ids``, ``fbt_conf``, ``fbt_support``,
  column ids, co-purchase in one invoice);
* a JSON ``__meta__`` with the algorithm name, model file suffix, fingerprint and
  window.

It is written once by :func:`bundle_write` and read (and cached per process by
artifact id) by :func:`bundle_load`.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from core.artifacts import artifact_path, load_arrays, save_arrays

from .data import InteractionData
from .registry import algorithm_get


def _file_bytes(model, suffix: str = ".npz") -> np.ndarray:
    fd, name = tempfile.mkstemp(suffix=suffix)
    os.close(fd)
    try:
        model.save(name)
        return np.frombuffer(Path(name).read_bytes(), dtype=np.uint8)
    finally:
        os.unlink(name)


def _from_bytes(cls, payload: np.ndarray, suffix: str):
    fd, name = tempfile.mkstemp(suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(np.asarray(payload, dtype=np.uint8).tobytes())
        return cls.load(name)
    finally:
        os.unlink(name)


@dataclass
class Bundle:
    """A loaded recommender bundle (see the module docstring for the arrays)."""

    algorithm: str
    model: object
    popularity: object
    user_ids: np.ndarray
    item_ids: np.ndarray
    user_groups: np.ndarray
    user_items: sp.csr_matrix
    fbt_ids: np.ndarray
    fbt_conf: np.ndarray
    fbt_support: np.ndarray
    meta: dict
    label: str | None = None
    artifact_id: int | None = None
    _user_index: dict = field(default_factory=dict, repr=False)
    _item_index: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._user_index = {int(u): i for i, u in enumerate(self.user_ids)}
        self._item_index = {int(p): i for i, p in enumerate(self.item_ids)}

    def row_of(self, customer_pk: int) -> int | None:
        return self._user_index.get(int(customer_pk))

    def col_of(self, product_pk: int) -> int | None:
        return self._item_index.get(int(product_pk))

    def cols_of(self, product_pks) -> np.ndarray:
        """Columns of the products the model knows (unknown ones are dropped)."""
        cols = [self._item_index.get(int(p)) for p in product_pks]
        return np.asarray([c for c in cols if c is not None], dtype=np.int64)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def fold_in(self) -> bool:
        return algorithm_get(self.algorithm).fold_in


def bundle_write(
    path: Path,
    *,
    algorithm: str,
    model,
    popularity,
    data: InteractionData,
    fbt: tuple[np.ndarray, np.ndarray, np.ndarray],
    meta: dict,
    model_suffix: str = ".npz",
) -> None:
    """Write a bundle to ``path`` (an ``.npz`` without pickles)."""
    m = data.matrix
    arrays = {
        "model_file": _file_bytes(model, model_suffix),
        "popularity_file": _file_bytes(popularity),
        "user_ids": data.user_ids.astype(np.int64),
        "item_ids": data.item_ids.astype(np.int64),
        "user_groups": np.asarray(data.user_groups, dtype=str),
        "ui_indptr": m.indptr,
        "ui_indices": m.indices,
        "ui_data": m.data.astype(np.float32),
        "ui_shape": np.asarray(m.shape, dtype=np.int64),
        "fbt_ids": fbt[0],
        "fbt_conf": fbt[1],
        "fbt_support": fbt[2],
    }
    save_arrays(
        path,
        arrays,
        {**meta, "algorithm": algorithm, "model_suffix": model_suffix},
    )


def bundle_read(path: Path) -> Bundle:
    """Read a bundle file; the estimator class comes from the registry."""
    from .algorithms.popularity import Popularity

    arrays, meta = load_arrays(path)
    spec = algorithm_get(meta["algorithm"], servable=True)
    model = _from_bytes(
        spec.load_class(), arrays["model_file"], meta.get("model_suffix", ".npz")
    )
    popularity = _from_bytes(Popularity, arrays["popularity_file"], ".npz")
    shape = tuple(int(x) for x in arrays["ui_shape"])
    user_items = sp.csr_matrix(
        (arrays["ui_data"], arrays["ui_indices"], arrays["ui_indptr"]), shape=shape
    )
    return Bundle(
        algorithm=meta["algorithm"],
        model=model,
        popularity=popularity,
        user_ids=arrays["user_ids"],
        item_ids=arrays["item_ids"],
        user_groups=arrays["user_groups"],
        user_items=user_items,
        fbt_ids=arrays["fbt_ids"],
        fbt_conf=arrays["fbt_conf"],
        fbt_support=arrays["fbt_support"],
        meta=meta,
    )


_CACHE: dict[int, Bundle] = {}
_LOCK = threading.Lock()


def bundle_load(artifact) -> Bundle:
    """The bundle of ``artifact``, loaded once per process and cached by artifact id.

    Only the most recent few bundles are kept (a new active artifact replaces the
    old one in the cache on its first use).

    Raises
    ------
    core.exceptions.NotFound
        The file is missing or fails its sha256 check.
    """
    cached = _CACHE.get(artifact.pk)
    if cached is not None:
        return cached
    with _LOCK:
        cached = _CACHE.get(artifact.pk)
        if cached is not None:
            return cached
        bundle = bundle_read(artifact_path(artifact))
        bundle.label = artifact.label
        bundle.artifact_id = artifact.pk
        while len(_CACHE) >= 4:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[artifact.pk] = bundle
        return bundle


def bundle_cache_clear() -> None:
    """Forget every loaded bundle (tests; after an erasure)."""
    with _LOCK:
        _CACHE.clear()
