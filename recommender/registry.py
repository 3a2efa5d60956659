"""The algorithms the training service knows, by name.

Each entry names the estimator class by dotted path (imported on first use, like
Django's pluggable backends), the model kind it serves, how it is fitted and whether
it can score a customer it has not seen in training from their purchases ("fold
in": item-based models do, factor models with per-user vectors do not). Some are
evaluation-only (``servable=False``): ``manage.py evaluate_recommenders`` runs them,
training and serving refuse them.

A model file only ever loads through a class listed here: the name stored in an
artifact is looked up in this table, never imported from the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module

from core.exceptions import InvalidInput


@dataclass(frozen=True)
class AlgorithmSpec:
    """How to build, fit and serve one algorithm.

    Attributes
    ----------
    name : str, the public name (``--algorithm``).
    path : str, dotted path of the estimator class.
    kind : str, the ``ModelArtifact.kind`` it is trained for.
    fit : str, "matrix" (``fit(user_items)``), "groups" (``fit(user_items,
        groups=countries)``), "content" (``fit(user_items, item_texts=...)``),
        "sequences" (``fit(basket sequences, n_items=...)``) or "events"
        (``fit(events, windows, shape)`` on dated purchase events (u, i, invoice,
        date) and ``recommend(events, reference, users, n=k)``, one model per
        evaluation variant; see :class:`recommender.algorithms.ranker.CandidateRanker`).
    fold_in : bool, can score rows not seen in training (item-based scoring).
    servable : bool, False for an evaluation-only algorithm (no safe model file,
        or it needs dated events): ``recommender_train`` refuses it
        (:func:`algorithm_get` with ``servable=True``), the evaluation runs it.
    defaults : dict, constructor parameters unless overridden.
    variant_defaults : dict, per evaluation variant ("all" / "new") parameters over
        ``defaults`` (used by the "events" fit, which builds one model per variant).
    """

    name: str
    path: str
    kind: str = "recommender.purchases"
    fit: str = "matrix"
    fold_in: bool = False
    servable: bool = True
    defaults: dict = field(default_factory=dict)
    variant_defaults: dict = field(default_factory=dict)

    def load_class(self):
        """Import the estimator class.

        Raises
        ------
        InvalidInput
            The module or class is not available in this installation
            (field ``algorithm``).
        """
        module_name, _, class_name = self.path.rpartition(".")
        try:
            return getattr(import_module(module_name), class_name)
        except (ImportError, AttributeError) as exc:
            raise InvalidInput(
                f"algorithm {self.name!r} is not available ({self.path}: {exc})",
                field="algorithm",
            )

    def build(self, params: dict | None = None, *, variant: str | None = None):
        """A new, unfitted estimator: ``defaults``, then ``variant_defaults[variant]``
        (when given), then ``params``."""
        cls = self.load_class()
        extra = self.variant_defaults.get(variant, {}) if variant else {}
        return cls(**{**self.defaults, **extra, **(params or {})})


ALGORITHMS: dict[str, AlgorithmSpec] = {
    spec.name: spec
    for spec in [
        AlgorithmSpec(
            "popularity", "recommender.algorithms.popularity.Popularity", fit="groups"
        ),
        AlgorithmSpec(
            "item_knn",
            "recommender.algorithms.knn.ItemKNN",
            fold_in=True,
            # binary cosine, 50 neighbours: NDCG@10 0.290 all / 0.101 new on the
            # issue-3 split (count-weighted k=100: 0.267 / 0.076)
            defaults={"k": 50, "binary": True},
        ),
        AlgorithmSpec(
            "content",
            "recommender.algorithms.content.ContentRecommender",
            kind="recommender.content",
            fit="content",
            fold_in=True,
        ),
        AlgorithmSpec(
            "gru4rec",
            "recommender.algorithms.sequence.SequenceRecommender",
            fit="sequences",
        ),
        AlgorithmSpec("als", "recommender.algorithms.mf_als.ImplicitALS"),
        AlgorithmSpec("ease", "recommender.algorithms.repeat.EASE", fold_in=True),
        AlgorithmSpec(
            "buy_again", "recommender.algorithms.repeat.BuyAgain", fold_in=True
        ),
        AlgorithmSpec(
            "repeat_blend", "recommender.algorithms.repeat.RepeatBlend", fold_in=True
        ),
        AlgorithmSpec(
            "temporal_blend",
            "recommender.algorithms.temporal_blend.TemporalBlend",
            fit="events",
            fold_in=True,
            # trained per surface by recommender.services.pipeline (tuned on
            # rolling origins), not by recommender_train
            defaults={},
            variant_defaults={"new": {"new_only": True}},
        ),
        AlgorithmSpec(
            "ranker",
            "recommender.algorithms.ranker.CandidateRanker",
            fit="events",
            # sklearn trees: no pickle-free model file, so never trained to serve
            servable=False,
            defaults={"n_candidates": 50},
            # tree size per variant as benchmarks/recommender.py chose it by
            # temporal transfer (fit on 2011-03..06, score 2011-06..09)
            variant_defaults={
                "all": {"max_leaf_nodes": 16, "max_iter": 100},
                "new": {"max_leaf_nodes": 4, "max_iter": 400},
            },
        ),
    ]
}


def algorithm_get(name: str, *, servable: bool = False) -> AlgorithmSpec:
    """The spec of algorithm ``name``; with ``servable``, one that can be trained
    for serving.

    Raises
    ------
    InvalidInput
        Unknown name (field ``algorithm``), listing the known ones; with
        ``servable``, an evaluation-only algorithm (field ``algorithm``), listing
        the servable ones.
    """
    choices = ", ".join(
        sorted(n for n, s in ALGORITHMS.items() if s.servable or not servable)
    )
    spec = ALGORITHMS.get(name)
    if spec is None:
        raise InvalidInput(
            f"unknown algorithm {name!r}; choose one of {choices}", field="algorithm"
        )
    if servable and not spec.servable:
        raise InvalidInput(
            f"{name} is evaluation-only: it cannot be trained for serving (run "
            f"`manage.py evaluate_recommenders --algorithm {name}`); "
            f"choose one of {choices}",
            field="algorithm",
        )
    return spec


def algorithms_available() -> list[str]:
    """Names whose estimator class imports in this installation."""
    out = []
    for name, spec in ALGORITHMS.items():
        try:
            spec.load_class()
        except InvalidInput:
            continue
        out.append(name)
    return out
