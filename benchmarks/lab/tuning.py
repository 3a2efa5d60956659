"""Choose hyperparameters (e.g. latent factors, regularisation) by validation.

Answers the seed FAQ "how many latent factors?": fit each candidate on a random
(seeded) part of the training ratings, score RMSE on the held-out rest, keep the
best, refit it on everything. :func:`select_on_windows` and
:func:`mean_over_windows` score a setting on several validation windows
(rolling-origin validation) and keep the best on average. No Django here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np

from recommender.algorithms.metrics import rmse


def tune_ratings(
    make_model: Callable[..., object],
    grid: dict[str, list],
    users,
    items,
    ratings,
    *,
    valid_fraction: float = 0.1,
    random_state: int | None = 0,
    refit: bool = True,
):
    """Grid search of a rating predictor on a random validation split.

    Parameters
    ----------
    make_model : callable(**params) -> RatingPredictor (unfitted)
    grid : dict name -> list of values, e.g. {"n_factors": [10, 20, 50]}
    users, items, ratings : arrays (m,), the training triples (inner ids).
    valid_fraction : float in (0, 1), share held out for validation.
    random_state : seeds the split.
    refit : fit the best candidate on all triples.

    Returns
    -------
    (best_params dict, results list of (params, validation RMSE), model or None)

    Raises
    ------
    ValueError
        Empty grid or a fraction outside (0, 1).
    """
    if not grid or not all(len(v) for v in grid.values()):
        raise ValueError("grid must name at least one value per parameter")
    if not 0.0 < float(valid_fraction) < 1.0:
        raise ValueError(f"valid_fraction must be in (0, 1), got {valid_fraction}")
    users = np.asarray(users, dtype=np.int64)
    items = np.asarray(items, dtype=np.int64)
    ratings = np.asarray(ratings, dtype=np.float64)
    n_users, n_items = int(users.max()) + 1, int(items.max()) + 1
    rng = np.random.default_rng(random_state)
    valid = rng.random(len(ratings)) < float(valid_fraction)
    results = []
    names = list(grid)
    for values in itertools.product(*(grid[n] for n in names)):
        params = dict(zip(names, values, strict=True))
        model = make_model(**params).fit_ratings(
            users[~valid],
            items[~valid],
            ratings[~valid],
            n_users=n_users,
            n_items=n_items,
        )
        est = model.predict(users[valid], items[valid]).estimate
        results.append((params, rmse(ratings[valid], est)))
    best = min(results, key=lambda r: r[1])[0]
    model = None
    if refit:
        model = make_model(**best).fit_ratings(
            users, items, ratings, n_users=n_users, n_items=n_items
        )
    return best, results, model


def mean_over_windows(
    objectives: Sequence[Callable[[object], float]],
) -> Callable[[object], float]:
    """One objective: the mean of per-window objectives (rolling-origin validation).

    Parameters
    ----------
    objectives : callables setting -> score (e.g. NDCG@10), one per validation
        window (each fit before its own origin, scored on the days after it).

    Returns
    -------
    callable setting -> float, the unweighted mean over the windows.

    Raises
    ------
    ValueError
        No objective given.

    References
    ----------
    Tashman, "Out-of-sample tests of forecasting accuracy: an analysis and
    review", IJF 2000 (rolling-origin evaluation).
    """
    objectives = list(objectives)
    if not objectives:
        raise ValueError("objectives must hold at least one validation window")
    return lambda setting: float(np.mean([f(setting) for f in objectives]))


def select_on_windows(
    candidates: Sequence,
    objectives: Sequence[Callable[[object], float]],
):
    """The candidate with the highest mean score over validation windows.

    Parameters
    ----------
    candidates : settings tried (any objects the objectives accept); ties go to
        the earlier one.
    objectives : callables setting -> score, one per validation window.

    Returns
    -------
    (best candidate, its mean score, per-window scores array (n_windows,),
    scores array (n_candidates, n_windows))

    Raises
    ------
    ValueError
        No candidate or no objective.
    """
    candidates, objectives = list(candidates), list(objectives)
    if not candidates or not objectives:
        raise ValueError("need at least one candidate and one validation window")
    scores = np.array([[f(c) for f in objectives] for c in candidates], np.float64)
    best = int(np.argmax(scores.mean(axis=1)))
    return candidates[best], float(scores[best].mean()), scores[best], scores
