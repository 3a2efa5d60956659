"""Research algorithms: measured by ``benchmarks/recommender.py``, never served.

Moved out of ``recommender/algorithms`` (issue 12, point 7) so that the served
package holds only what production runs. Each module keeps its measurements in its
docstring; tests live in ``tests/lab``.

* ``tifu``: TIFU-KNN (Hu et al. 2020), not an improvement as a blend member;
* ``graph``: RP3beta (Paudel et al. 2017);
* ``rules``: pure-function cold-start rules (the served chain is
  ``recommender.services.serving``);
* ``blend``: RatingBlend of rating predictors (explicit-ratings benchmark);
* ``tuning``: ``tune_ratings`` and window helpers used by the above.
"""
