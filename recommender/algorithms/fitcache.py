"""Memo of the served pipeline's expensive fits, shared across its grid, origins
and surfaces.

The served pipeline (:func:`~.selection.served_pipeline`) fits the same pieces many
times over one events frame: EASE at every origin (for the blend and for the
ranker's context), the next-period ridge at every origin (for the λ grid and for
the ranker's features), the ranker's training windows' candidates (overlapping
between origins), and all of it again for the second surface. Every such fit is a
pure function of the events strictly before its reference date and of its
parameters, so a :class:`FitCache` keyed by (what, reference, parameters) returns
the same object the fit would build.

A cache belongs to ONE events frame: :meth:`FitCache.bind` fingerprints the frame
and empties the cache when another is given. The callers pass subsets of it
(``events[date < origin]``); every cached fit reads only events before its own
reference, which are the same in the frame and in such a subset.

Memory is bounded: entries are evicted least recently used first once the arrays
they hold exceed ``max_bytes`` (an n_items² float32 matrix is 46 MB for 3,388
products).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

import numpy as np
import pandas as pd
import scipy.sparse as sp

DEFAULT_MAX_BYTES = 2 * 1024**3


def events_fingerprint(events: pd.DataFrame) -> tuple:
    """(rows, hash) of the (u, i, invoice, date) columns; order-sensitive."""
    cols = [c for c in ("u", "i", "invoice", "date") if c in events.columns]
    hashed = pd.util.hash_pandas_object(events[cols], index=False).to_numpy()
    return (len(events), int(hashed.sum(dtype=np.uint64)))


def _arrays(value, depth: int = 0):
    """The numpy arrays reachable from ``value`` (a few levels of attributes)."""
    if isinstance(value, np.ndarray):
        yield value
    elif sp.issparse(value):
        for name in ("data", "indices", "indptr"):
            if hasattr(value, name):
                yield getattr(value, name)
    elif depth < 3:
        if isinstance(value, (tuple, list)):
            children = value
        elif isinstance(value, dict):
            children = value.values()
        elif hasattr(value, "__dict__"):
            children = vars(value).values()
        else:
            children = ()
        for child in children:
            yield from _arrays(child, depth + 1)


class FitCache:
    """Least-recently-used memo of fits over one events frame.

    Parameters
    ----------
    max_bytes : int, bytes of arrays kept (arrays shared between entries counted
        once); 0 disables caching (every :meth:`get` fits).

    Attributes
    ----------
    hits, misses : int, counts of :meth:`get` answers from the memo / by fitting.
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES):
        if int(max_bytes) < 0:
            raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
        self.max_bytes = int(max_bytes)
        self._entries: OrderedDict = OrderedDict()
        self._owned: dict = {}  # key -> {id(array): nbytes} first held by it
        self._counted: dict = {}  # id(array) -> key owning it
        self._bytes = 0
        self._fingerprint = None
        self.hits = self.misses = 0

    def bind(self, events: pd.DataFrame) -> FitCache:
        """Tie the cache to ``events`` (the whole frame); a different frame
        empties it first."""
        fingerprint = events_fingerprint(events)
        if fingerprint != self._fingerprint:
            self.clear()
            self._fingerprint = fingerprint
        return self

    def clear(self) -> None:
        self._entries.clear()
        self._owned.clear()
        self._counted.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def nbytes(self) -> int:
        return self._bytes

    def get(self, key: Hashable, make: Callable[[], object]):
        """The memoised ``make()`` for ``key`` (fitted on a miss)."""
        if key in self._entries:
            self._entries.move_to_end(key)
            self.hits += 1
            return self._entries[key]
        self.misses += 1
        value = make()
        if self.max_bytes == 0:
            return value
        owned = {}
        for array in _arrays(value):
            if id(array) not in self._counted and id(array) not in owned:
                owned[id(array)] = int(array.nbytes)
        size = sum(owned.values())
        if size > self.max_bytes:
            return value
        self._entries[key] = value
        self._owned[key] = owned
        for ident in owned:
            self._counted[ident] = key
        self._bytes += size
        while self._bytes > self.max_bytes and len(self._entries) > 1:
            self._evict(next(iter(self._entries)))
        return value

    def _evict(self, key) -> None:
        del self._entries[key]
        for ident, nbytes in self._owned.pop(key).items():
            self._counted.pop(ident, None)
            self._bytes -= nbytes


def dense_key(n_items: int, memory_budget_mb: float | None, cell_bytes: int) -> int:
    """The items a dense item-item member keeps under ``memory_budget_mb``
    (:mod:`.memory`): part of its cache key, so fits under budgets that keep the
    same items are shared."""
    from . import memory

    budget = memory.budget_bytes(memory_budget_mb)
    return memory.dense_items_within(budget, int(n_items), cell_bytes)


def dense_keys(n_items: int, memory_budget_mb: float | None) -> tuple[int, int]:
    """(EASE, ridge) items kept under ``memory_budget_mb``: the key of what
    depends on both (the ranker's context and features)."""
    from . import memory

    return (
        dense_key(n_items, memory_budget_mb, memory.DENSE_CELL_BYTES),
        dense_key(n_items, memory_budget_mb, memory.RIDGE_CELL_BYTES),
    )


def cached(cache: FitCache | None, key: Hashable, make: Callable[[], object]):
    """``cache.get(key, make)``, or ``make()`` without a cache."""
    return make() if cache is None else cache.get(key, make)


__all__ = [
    "DEFAULT_MAX_BYTES",
    "FitCache",
    "cached",
    "dense_key",
    "dense_keys",
    "events_fingerprint",
]
