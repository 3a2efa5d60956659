"""Gradient boosted trees without pickle: export, save, load and predict in numpy.

scikit-learn's ``HistGradientBoostingClassifier`` only persists through pickle, and
a model file must never run code when it loads. :func:`export_hist_gbdt` copies the
fitted trees' node arrays (feature, threshold, missing-value direction, children,
leaf value) into plain numpy arrays; :class:`TreeEnsemble` predicts from them
exactly as scikit-learn does for numeric features:

    raw(x) = baseline + Σ_trees value(leaf(x)),   P(y = 1 | x) = 1 / (1 + e^-raw)

where ``leaf(x)`` walks from the root, left when ``x[f] <= threshold`` (or when
``x[f]`` is NaN and the node sends missing values left), right otherwise.
:func:`TreeEnsemble.to_arrays` / :func:`TreeEnsemble.from_arrays` are the npz
form, validated on load (a truncated or tampered file raises ``ValueError`` with
what is wrong, never a wrong prediction).

References
----------
Friedman, "Greedy function approximation: a gradient boosting machine", Ann. Stat.
2001; Ke et al., "LightGBM", NeurIPS 2017 (the histogram trees scikit-learn fits).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NODE_FIELDS = ("feature", "threshold", "missing_left", "left", "right", "leaf", "value")


@dataclass(frozen=True)
class TreeEnsemble:
    """A binary classifier's trees, as flat node arrays (all trees concatenated).

    Attributes
    ----------
    feature : int32 (m,), feature index of each split node (-1 at leaves).
    threshold : float64 (m,), go left when x[feature] <= threshold.
    missing_left : bool (m,), NaN goes left.
    left, right : int32 (m,), child node index *within the tree*.
    leaf : bool (m,); value : float64 (m,), the raw score added at a leaf.
    tree_start : int64 (t + 1,), node offsets of each tree in the arrays.
    baseline : float, the raw score before any tree (log-odds of the prior).
    n_features : int, columns of X.
    """

    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    left: np.ndarray
    right: np.ndarray
    leaf: np.ndarray
    value: np.ndarray
    tree_start: np.ndarray
    baseline: float
    n_features: int

    @property
    def n_trees(self) -> int:
        return len(self.tree_start) - 1

    def decision_function(self, X) -> np.ndarray:
        """Raw scores (log-odds), float64 (n,), for X of shape (n, n_features).

        Raises
        ------
        ValueError
            X is not 2-D with ``n_features`` columns.
        """
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(
                f"X must have shape (n, {self.n_features}), got {np.shape(X)}"
            )
        raw = np.full(X.shape[0], float(self.baseline))
        rows = np.arange(X.shape[0])
        for t in range(self.n_trees):
            lo = int(self.tree_start[t])
            node = np.zeros(X.shape[0], dtype=np.int64)
            active = ~self.leaf[lo + node]
            while active.any():
                at = lo + node[active]
                x = X[rows[active], self.feature[at]]
                go_left = np.where(
                    np.isnan(x), self.missing_left[at], x <= self.threshold[at]
                )
                node[active] = np.where(go_left, self.left[at], self.right[at])
                active = ~self.leaf[lo + node]
            raw += self.value[lo + node]
        return raw

    def predict_proba(self, X) -> np.ndarray:
        """P(class 0), P(class 1): float64 (n, 2), like scikit-learn's."""
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - p, p])

    # --- npz form ------------------------------------------------------------
    def to_arrays(self, prefix: str = "trees.") -> dict[str, np.ndarray]:
        out = {prefix + name: getattr(self, name) for name in NODE_FIELDS}
        out[prefix + "tree_start"] = self.tree_start
        out[prefix + "scalars"] = np.array([self.baseline, self.n_features], float)
        return out

    @classmethod
    def from_arrays(cls, arrays, prefix: str = "trees.") -> TreeEnsemble:
        """Rebuild from :meth:`to_arrays`; checks every index stays in range.

        Raises
        ------
        ValueError
            A missing array, arrays of different lengths, a child or feature index
            out of range, a non-finite leaf value: a truncated or tampered file.
        """
        missing = [
            n
            for n in (*NODE_FIELDS, "tree_start", "scalars")
            if prefix + n not in arrays
        ]
        if missing:
            raise ValueError(f"tree arrays missing: {missing}")
        get = {n: np.asarray(arrays[prefix + n]) for n in NODE_FIELDS}
        m = len(get["feature"])
        if any(len(v) != m for v in get.values()):
            raise ValueError("tree node arrays have different lengths")
        start = np.asarray(arrays[prefix + "tree_start"], dtype=np.int64)
        baseline, n_features = np.asarray(arrays[prefix + "scalars"], float)
        if (
            start.size < 2
            or start[0] != 0
            or start[-1] != m
            or np.any(np.diff(start) < 1)
        ):
            raise ValueError("tree offsets do not cover the node arrays")
        leaf = get["leaf"].astype(bool)
        feature = get["feature"].astype(np.int32)
        left, right = get["left"].astype(np.int64), get["right"].astype(np.int64)
        size = np.repeat(np.diff(start), np.diff(start))
        split = ~leaf
        if np.any((feature[split] < 0) | (feature[split] >= int(n_features))):
            raise ValueError("a split node names a feature out of range")
        if np.any((left[split] < 1) | (left[split] >= size[split])) or np.any(
            (right[split] < 1) | (right[split] >= size[split])
        ):
            raise ValueError("a split node points outside its tree")
        if not (np.all(np.isfinite(get["value"][leaf])) and np.isfinite(baseline)):
            raise ValueError("a leaf value or the baseline is not finite")
        return cls(
            feature=feature,
            threshold=get["threshold"].astype(np.float64),
            missing_left=get["missing_left"].astype(bool),
            left=left.astype(np.int32),
            right=right.astype(np.int32),
            leaf=leaf,
            value=get["value"].astype(np.float64),
            tree_start=start,
            baseline=float(baseline),
            n_features=int(n_features),
        )


def export_hist_gbdt(classifier) -> TreeEnsemble:
    """The trees of a fitted binary ``HistGradientBoostingClassifier``.

    Raises
    ------
    ValueError
        Not fitted, not binary, or fitted with categorical features (whose bitset
        splits this predictor does not implement).
    """
    predictors = getattr(classifier, "_predictors", None)
    if predictors is None:
        raise ValueError("the classifier is not fitted")
    if len(classifier.classes_) != 2:
        raise ValueError("only binary classifiers can be exported")
    parts = {n: [] for n in NODE_FIELDS}
    start = [0]
    for per_iteration in predictors:
        (tree,) = per_iteration  # binary: one tree per iteration
        nodes = tree.nodes
        if nodes["is_categorical"].any():
            raise ValueError("categorical splits cannot be exported")
        leaf = nodes["is_leaf"].astype(bool)
        parts["feature"].append(np.where(leaf, -1, nodes["feature_idx"]))
        parts["threshold"].append(nodes["num_threshold"])
        parts["missing_left"].append(nodes["missing_go_to_left"].astype(bool))
        parts["left"].append(nodes["left"].astype(np.int32))
        parts["right"].append(nodes["right"].astype(np.int32))
        parts["leaf"].append(leaf)
        parts["value"].append(nodes["value"])
        start.append(start[-1] + len(nodes))
    arrays = {n: np.concatenate(v) for n, v in parts.items()}
    return TreeEnsemble(
        feature=arrays["feature"].astype(np.int32),
        threshold=arrays["threshold"].astype(np.float64),
        missing_left=arrays["missing_left"],
        left=arrays["left"],
        right=arrays["right"],
        leaf=arrays["leaf"],
        value=arrays["value"].astype(np.float64),
        tree_start=np.asarray(start, dtype=np.int64),
        baseline=float(np.ravel(classifier._baseline_prediction)[0]),
        n_features=int(classifier.n_features_in_),
    )
