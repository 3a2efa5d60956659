"""The demo regressor recovers known weights; artifact life cycle of demo_train."""

from __future__ import annotations

import numpy as np
import pytest

from core.algorithms.linear import GradientDescentRegressor, NotFittedError
from core.artifacts import artifact_active, artifact_path
from core.demo import TRUE_COEF, TRUE_INTERCEPT, demo_data, demo_train
from core.exceptions import InvalidInput


def test_recovers_known_coefficients(tmp_path):
    X, y = demo_data(n_samples=500, seed=1)
    model = GradientDescentRegressor(epochs=300).fit(X, y)
    assert np.allclose(model.coef_, TRUE_COEF, atol=0.05)
    assert model.intercept_ == pytest.approx(TRUE_INTERCEPT, abs=0.05)
    assert model.loss_history_[-1] < model.loss_history_[0]
    model.save(tmp_path / "m.npz")
    again = GradientDescentRegressor.load(tmp_path / "m.npz")
    assert np.allclose(again.predict(X), model.predict(X))


def test_bad_input_and_unfitted_use():
    with pytest.raises(ValueError, match="X must be"):
        GradientDescentRegressor().fit(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="finite"):
        GradientDescentRegressor().fit(np.array([[np.nan]]), np.zeros(1))
    with pytest.raises(NotFittedError):
        GradientDescentRegressor().predict(np.zeros((1, 3)))


@pytest.mark.django_db
def test_demo_train_activates_new_version_and_retires_old():
    first = demo_train(n_samples=100, epochs=10)
    second = demo_train(n_samples=100, epochs=10, seed=1)
    first.refresh_from_db()
    assert artifact_active("core.demo") == second
    assert first.status == "retired"
    assert artifact_path(second).name.startswith("2-")
    with pytest.raises(InvalidInput) as err:
        demo_train(epochs=0)
    assert err.value.field == "epochs"
