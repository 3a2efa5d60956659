"""Services of the operations demo: a small training job and a CPU-bound chunk job.

``demo_train`` trains :class:`core.algorithms.linear.GradientDescentRegressor` on
synthetic data with known weights, writes it as an artifact of kind ``core.demo`` and
activates it: the same life cycle as the apps' models (candidate file written to a
temporary name and renamed, then a one-row switch), so the integration tests and the
scheduling demo can kill, retry and schedule it. ``demo_chunk`` is the CPU-bound unit
of work of the fan-out benchmark.
"""

from __future__ import annotations

import hashlib
import os
import time

import numpy as np

from .algorithms.linear import GradientDescentRegressor
from .artifacts import artifact_activate, artifact_create
from .exceptions import InvalidInput
from .models import ModelArtifact
from .taskruns import current_run, progress, task_run

DEMO_KIND = "core.demo"
TRUE_COEF = np.array([2.0, -1.0, 0.5])
TRUE_INTERCEPT = 3.0


def demo_data(*, n_samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``X`` (n_samples, 3) ~ N(0, 1); ``y = X @ [2, -1, 0.5] + 3 + N(0, 0.1)``."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, TRUE_COEF.size))
    y = X @ TRUE_COEF + TRUE_INTERCEPT + rng.normal(scale=0.1, size=n_samples)
    return X, y


def demo_train(
    *,
    n_samples: int = 2000,
    epochs: int = 100,
    seconds_per_epoch: float = 0.0,
    seed: int = 0,
    activate: bool = True,
) -> ModelArtifact:
    """Train the demo regressor and register (and activate) its artifact.

    ``seconds_per_epoch`` slows training down on purpose (to kill a worker mid-run).

    Raises
    ------
    InvalidInput
        ``n_samples`` < 10, ``epochs`` < 1 or ``seconds_per_epoch`` < 0.
    """
    if n_samples < 10:
        raise InvalidInput("n_samples must be at least 10", field="n_samples")
    if epochs < 1:
        raise InvalidInput("epochs must be at least 1", field="epochs")
    if seconds_per_epoch < 0:
        raise InvalidInput("seconds_per_epoch must be >= 0", field="seconds_per_epoch")
    params = {"n_samples": n_samples, "epochs": epochs, "seed": seed}
    with task_run("core.demo_train", params) as run:
        X, y = demo_data(n_samples=n_samples, seed=seed)
        step = max(1, epochs // 20)

        def on_epoch(epoch: int, loss: float) -> None:
            if seconds_per_epoch:
                time.sleep(seconds_per_epoch)
            if epoch % step == 0 or epoch == epochs - 1:
                progress(run, (epoch + 1) / epochs, f"epoch {epoch + 1}/{epochs}")

        model = GradientDescentRegressor(epochs=epochs).fit(X, y, on_epoch=on_epoch)
        metrics = {
            "mse": float(np.mean((model.predict(X) - y) ** 2)),
            "coef_error": float(np.abs(model.coef_ - TRUE_COEF).max()),
        }
        fingerprint = hashlib.sha256(f"{n_samples}:{seed}".encode()).hexdigest()
        artifact = artifact_create(
            kind=DEMO_KIND,
            algorithm="gradient_descent_ridge",
            writer=model.save,
            params=params,
            metrics=metrics,
            data_fingerprint=fingerprint,
            task_run=current_run() or run,
        )
        if activate:
            artifact_activate(artifact)
    return artifact


def demo_chunk(*, ids: list[int], work: int = 200) -> dict:
    """CPU-bound unit of the fan-out benchmark: ``work`` dense solves per id.

    Returns ``{"n": len(ids), "checksum": float, "pid": int}``; the checksum is
    deterministic per id, the pid tells which worker process ran the chunk.
    """
    total = 0.0
    for i in ids:
        rng = np.random.default_rng(int(i))
        a = rng.normal(size=(40, 40)) + 40 * np.eye(40)
        b = rng.normal(size=40)
        for _ in range(work):
            b = np.linalg.solve(a, b) * 40.0
        total += float(b.sum())
    return {"n": len(ids), "checksum": total, "pid": os.getpid()}
