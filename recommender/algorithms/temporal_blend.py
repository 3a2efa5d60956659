"""The served purchase model: a temporal blend of six members over dated events.

score(u, i) = Σ_m w_m · s_m(u, i) / max_j |s_m(u, j)|   over the members

* ``repeat``: the customer's own purchases × the product's repeat rate (buy-again);
* ``item_knn``: item-item cosine CF; ``ease``: EASE (Steck 2019);
* ``popularity``: 14-day decayed purchases (trending);
* ``next_period``: :class:`~.temporal.NextPeriodRidge`, what is bought in the
  ``ridge_window_days`` after a history like the customer's;
* ``ranker``: :class:`~.ranker.CandidateRanker`, P(bought in the next window) from
  gradient boosted trees over candidate (customer, product) pairs;

the first five as :class:`~.repeat.RepeatBlend` scores them. With ``new_only``
("discover") products the customer bought are never recommended and the anchor
member is EASE, not repeat. The weights, the ridge's λ and the trees' size are
hyperparameters: :mod:`recommender.algorithms.selection` chooses them on rolling
origins before the data's end (``tune_temporal_blend``).

Inputs are purchase *events* (one row per customer, product and invoice, with
its date), not a matrix: the members need dates (recency, next-period targets,
training windows). ``fit`` reads events strictly before ``reference`` and
``recommend`` scores histories (rows of :attr:`history_` or a matrix of the same
weighting) at that reference. The ranker member scores only the training
customers (a ``user_items`` of the training shape, whose rows are them); a
customer folded in from outside is scored by the five matrix members.

Measured (benchmarks/recommender.py rows ``served (all)`` / ``served (new)``: the
served pipeline with default settings, train < 2011-09-01, test Sep-Dec, NDCG@10,
one run each; the ranker's windows 90 days, 30 days apart, so that they are
shared by the rolling origins): "all" 0.4006 ± 0.0070 (validation mean over three
origins 0.4166; buy-again x repeat rate 0.3926), "new" 0.1298 ± 0.0040 (validation
0.1542; EASE 0.1235). The earlier one-window closure blend of the benchmark reached
0.138 "new" with a ranker weight of 1.2; rolling-origin validation picks 0.2. Why
(``tune``'s ``alone_per_origin``): alone, the ranker scores 0.102 / 0.140 / 0.165 on
the origins of 2011-04-04 / 05-04 / 06-03 and EASE 0.150 / 0.144 / 0.147; the
earliest origin has four months of history, too little for the trees, so on the
mean EASE leads (0.147 vs 0.135) while on the test the ranker does (0.135 vs
0.124). The one-window blend was validated on Jun-Aug only, where the ranker leads.
Training every origin's ranker on the windows all origins have
(``same_ranker_windows``: 2) gave validation 0.1544, test 0.1303 ± 0.0040; starting
the ascent from the best member alone (``anchor`` "best") changes nothing (EASE is
best alone on the origins).

References
----------
Bell, Koren & Volinsky, "The BellKor solution to the Netflix Prize", 2007
(blending); Steck, "Embarrassingly shallow autoencoders for sparse data", WWW
2019; Covington, Adams & Sargin, "Deep neural networks for YouTube
recommendations", RecSys 2016 (candidates, then a ranker); Bhagat et al., "Buy it
again", KDD 2018.
"""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pandas as pd

from .base import NotFittedError, Recommender
from .fitcache import cached
from .knn import ItemKNN
from .ranker import CandidateRanker, check_events, ease_at, rolling_windows
from .repeat import COMPONENTS, RepeatBlend, _row_max_scale, decayed_counts
from .temporal import fit_next_period

MEMBERS = (*COMPONENTS, "ranker")
INPUTS = ("counts", "decayed")


def history_at(events: pd.DataFrame, reference, shape, half_life_days: float | None):
    """Σ 0.5 ** (age / half-life) per customer-product over events before
    ``reference`` (None: invoice counts); csr float32 ``shape``."""
    reference = pd.Timestamp(reference)
    past = events[events["date"] < reference]
    age = (reference - past["date"]).dt.total_seconds().to_numpy() / 86400.0
    return decayed_counts(
        past["u"], past["i"], age, shape=shape, half_life_days=half_life_days
    )


def default_reference(events: pd.DataFrame) -> pd.Timestamp:
    """The day after the last event (midnight): the model serves from then on."""
    return pd.Timestamp(events["date"].max()).normalize() + pd.Timedelta(days=1)


def matrix_members(
    counts, reference, knn_k, ease_regularization, dense_memory_mb, cache
) -> dict:
    """{"ease": EASE, "knn": ItemKNN} fitted on ``counts`` (the invoice counts
    before ``reference``, memory guard ``dense_memory_mb``) and memoised in
    ``cache``, for ``RepeatBlend.fit``; {} without a cache (the blend fits its
    own)."""
    if cache is None:
        return {}
    key = ("knn", pd.Timestamp(reference), int(knn_k), counts.shape)
    return {
        "ease": ease_at(counts, reference, ease_regularization, dense_memory_mb, cache),
        "knn": cached(
            cache,
            key,
            lambda: ItemKNN(
                k=int(knn_k), binary=True, memory_budget_mb=dense_memory_mb
            ).fit(counts),
        ),
    }


def memory_notes(blend, ranker=None) -> list[str]:
    """What the memory guard changed in a fitted blend's members (may be empty)."""
    notes = [
        getattr(blend.ease_, "memory_note_", ""),
        getattr(blend.next_, "memory_note_", ""),
        getattr(ranker, "memory_note_", ""),
    ]
    context = getattr(ranker, "context_", None)
    if context is not None and context.ease_items is not None:
        notes.append(f"ranker's EASE on {len(context.ease_items):,} items")
    return [n for n in notes if n]


class TemporalBlend(Recommender):
    """The six-member temporal blend (see the module docstring).

    Parameters
    ----------
    new_only : bool, the "discover" variant: never-bought products only.
    weights : dict member -> float, optional; default repeat 1 (EASE 1 with
        ``new_only``), next_period 0.3, ranker 1.
    input : "counts" | "decayed", the history the matrix members score
        ("decayed": 180-day half-life).
    ridge_regularization : float, λ of the next-period ridge.
    ridge_window_days : float, days, its target window.
    ease_regularization : float, λ of EASE; knn_k : int, neighbours of item k-NN.
    ranker_max_leaf_nodes, ranker_max_iter : int, the trees' size.
    ranker_windows : int, training windows of the ranker
        (:func:`~.ranker.rolling_windows`); ranker_window_days, ranker_step_days :
        float, days, their length and the step between their ends.
    random_state : int.
    dense_memory_mb : float, MiB, optional, the budget of each dense item-item
        member (EASE, the ridge, the ranker's); over it they cover the most
        popular items only (:mod:`.memory`). Default half the available memory.
    ranker_memory_mb : float, MiB, optional, the ranker's training set and
        feature chunks (over it: a share of the customers). Default likewise.

    Attributes
    ----------
    blend_ : RepeatBlend (five matrix members); ranker_ : CandidateRanker or None
    (weight 0, or too little history: ``ranker_note_`` says why);
    history_ : csr (n_users, n_items), the input at ``reference_``;
    reference_ : pandas.Timestamp.

    Raises
    ------
    ValueError (from ``fit``)
        Bad events, no event before ``reference``, unknown members or input.
    """

    name = "temporal_blend"

    def __init__(
        self,
        *,
        new_only: bool = False,
        weights: dict | None = None,
        input: str = "counts",
        ridge_regularization: float = 1000.0,
        ridge_window_days: float = 90.0,
        ease_regularization: float = 300.0,
        knn_k: int = 100,
        ranker_max_leaf_nodes: int = 8,
        ranker_max_iter: int = 100,
        ranker_windows: int = 4,
        ranker_window_days: float = 90.0,
        ranker_step_days: float = 30.0,
        random_state: int = 0,
        dense_memory_mb: float | None = None,
        ranker_memory_mb: float | None = None,
    ):
        self.dense_memory_mb = dense_memory_mb
        self.ranker_memory_mb = ranker_memory_mb
        self.new_only = new_only
        self.weights = weights
        self.input = input
        self.ridge_regularization = ridge_regularization
        self.ridge_window_days = ridge_window_days
        self.ease_regularization = ease_regularization
        self.knn_k = knn_k
        self.ranker_max_leaf_nodes = ranker_max_leaf_nodes
        self.ranker_max_iter = ranker_max_iter
        self.ranker_windows = ranker_windows
        self.ranker_window_days = ranker_window_days
        self.ranker_step_days = ranker_step_days
        self.random_state = random_state

    def member_weights(self) -> dict[str, float]:
        """The weights in use: ``weights`` over the defaults; checks the names."""
        anchor = "ease" if self.new_only else "repeat"
        given = {anchor: 1.0, "next_period": 0.3, "ranker": 1.0}
        if self.weights is not None:
            given = {k: float(v) for k, v in dict(self.weights).items()}
        unknown = sorted(set(given) - set(MEMBERS))
        if unknown:
            raise ValueError(f"unknown members {unknown}; choose from {MEMBERS}")
        return {m: float(given.get(m, 0.0)) for m in MEMBERS}

    def fit(
        self, events: pd.DataFrame, *, shape, reference=None, cache=None
    ) -> TemporalBlend:
        """Fit every member on the events before ``reference``.

        Parameters
        ----------
        events : DataFrame (u, i, invoice, date), see
            :func:`~.ranker.check_events`.
        shape : (n_users, n_items)
        reference : date-like, optional; default the day after the last event.
        cache : :class:`~.fitcache.FitCache` bound to ``events``, optional: fits
            already made at ``reference`` by the tuning are reused.

        Raises
        ------
        ValueError
            Bad events, no event before ``reference``, unknown members or input.
        """
        if self.input not in INPUTS:
            raise ValueError(f"input must be one of {INPUTS}, got {self.input!r}")
        weights = self.member_weights()
        events = check_events(events, tuple(shape))
        reference = (
            default_reference(events) if reference is None else pd.Timestamp(reference)
        )
        past = events[events["date"] < reference]
        if past.empty:
            raise ValueError(f"no purchase event before {reference.date()}")
        counts = history_at(past, reference, shape, None)
        ridge, self.ridge_note_ = fit_next_period(
            past,
            reference,
            shape,
            self.ridge_regularization,
            self.ridge_window_days,
            self.new_only,
            self.dense_memory_mb,
            cache=cache,
        )
        self.blend_ = RepeatBlend(
            weights={m: w for m, w in weights.items() if m != "ranker"},
            knn_k=int(self.knn_k),
            ease_regularization=float(self.ease_regularization),
            memory_budget_mb=self.dense_memory_mb,
        ).fit(
            counts,
            recent=history_at(past, reference, shape, 14.0),
            next_period=ridge,
            **matrix_members(
                counts,
                reference,
                self.knn_k,
                self.ease_regularization,
                self.dense_memory_mb,
                cache,
            ),
        )
        self.ranker_, self.ranker_note_ = None, "weight 0"
        if weights["ranker"] > 0:
            self.ranker_, self.ranker_note_ = self._fit_ranker(
                past, reference, shape, cache
            )
        self.history_ = (
            counts
            if self.input == "counts"
            else history_at(past, reference, shape, 180.0)
        )
        self.weights_ = np.array([weights[m] for m in MEMBERS])
        self.memory_notes_ = memory_notes(self.blend_, self.ranker_)
        self.reference_ = reference
        self.n_items_ = int(shape[1])
        return self

    def _fit_ranker(self, past, reference, shape, cache=None):
        windows = rolling_windows(
            reference,
            past["date"].min(),
            window_days=float(self.ranker_window_days),
            step_days=float(self.ranker_step_days),
            n=int(self.ranker_windows),
        )
        if not windows:
            return None, (
                f"ranker off: less than {self.ranker_window_days:g} days of history"
            )
        ranker = CandidateRanker(
            new_only=bool(self.new_only),
            max_leaf_nodes=int(self.ranker_max_leaf_nodes),
            max_iter=int(self.ranker_max_iter),
            random_state=int(self.random_state),
            memory_budget_mb=self.ranker_memory_mb,
            dense_memory_mb=self.dense_memory_mb,
        )
        try:
            ranker.fit(past, windows, shape, reference=reference, cache=cache)
        except ValueError as exc:
            return None, f"ranker off: {exc}"
        del ranker.model_  # served from the exported trees
        return ranker, f"ranker on {len(windows)} windows"

    def member_scores(self, user_ids, user_items) -> dict[str, np.ndarray]:
        """Normalised scores per member, {member: (b, n_items)}."""
        self._check_fitted()
        users = np.asarray(user_ids, dtype=np.int64)
        parts = self.blend_.component_scores(users, user_items)
        out = dict(zip(COMPONENTS, parts, strict=True))
        ranked = np.zeros(parts.shape[1:])
        if self.ranker_ is not None and user_items.shape == self.history_.shape:
            ranked = _row_max_scale(self.ranker_.score_users(users))
        out["ranker"] = ranked
        return out

    def score(self, user_ids, user_items) -> np.ndarray:
        parts = self.member_scores(user_ids, user_items)
        return sum(w * parts[m] for m, w in zip(MEMBERS, self.weights_, strict=True))

    # --- persistence ------------------------------------------------------------
    def _state(self):
        state = {
            **super()._state(),
            **{f"blend.{k}": v for k, v in self.blend_._state().items()},
            "weights_": self.weights_,
            "reference_": np.asarray(self.reference_.value, np.int64),
            "history.data": self.history_.data,
            "history.indices": self.history_.indices,
            "history.indptr": self.history_.indptr,
            "history.shape": np.asarray(self.history_.shape, np.int64),
        }
        if self.ranker_ is not None:
            state.update(self.ranker_.to_arrays("ranker."))
            state["ranker.params"] = np.frombuffer(
                json.dumps(self.ranker_.get_params()).encode(), np.uint8
            )
        return state

    def _restore(self, arrays) -> None:
        import scipy.sparse as sp

        super()._restore(arrays)
        self.weights_ = np.asarray(arrays["weights_"], np.float64)
        if self.weights_.shape != (len(MEMBERS),):
            raise ValueError(f"weights_ has shape {self.weights_.shape}")
        blend = RepeatBlend(
            knn_k=int(self.knn_k), ease_regularization=float(self.ease_regularization)
        )
        blend.knn_k = int(self.knn_k)
        blend._restore({k[6:]: v for k, v in arrays.items() if k.startswith("blend.")})
        self.blend_ = blend
        self.reference_ = pd.Timestamp(int(arrays["reference_"]))
        self.history_ = sp.csr_matrix(
            (
                arrays["history.data"],
                arrays["history.indices"],
                arrays["history.indptr"],
            ),
            shape=tuple(int(x) for x in arrays["history.shape"]),
        )
        self.ranker_ = None
        if "ranker.params" in arrays:
            params = json.loads(bytes(arrays["ranker.params"]).decode())
            self.ranker_ = CandidateRanker(**params).restore_arrays(arrays, "ranker.")

    @classmethod
    def load(cls, path) -> TemporalBlend:
        """Load a model written by :meth:`save` (``allow_pickle=False``).

        Raises
        ------
        ValueError
            A truncated, tampered or foreign file, naming what is wrong.
        """
        try:
            return super().load(path)
        except (OSError, KeyError, TypeError, zipfile.BadZipFile) as exc:
            raise ValueError(f"cannot load a TemporalBlend from {path}: {exc}") from exc
        except ValueError as exc:
            raise ValueError(f"cannot load a TemporalBlend from {path}: {exc}") from exc


__all__ = ["MEMBERS", "NotFittedError", "TemporalBlend", "default_reference"]
