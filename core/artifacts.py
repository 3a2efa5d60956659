"""Saving, loading and activating trained models.

Files are immutable and load without unpickling:

* ``.npz`` written by :func:`numpy.savez` and read with ``allow_pickle=False``;
* ``.safetensors`` for torch ``state_dict`` tensors.

A file is written to a temporary name in the target folder and renamed into place, so a
crash never leaves a half-written artifact under its final name. Activation switches the
single active row of a kind in one transaction; the previous model serves until then.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .exceptions import NotFound, NotTrained
from .models import ModelArtifact

_LIBRARIES = ("numpy", "scipy", "torch", "django", "statsmodels", "transformers")


def artifacts_root() -> Path:
    root = Path(settings.ARTIFACTS_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    return root


def library_versions() -> dict[str, str]:
    out = {}
    for name in _LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_atomically(final_dir: Path, suffix: str, writer: Callable[[Path], None]):
    """Call ``writer(tmp_path)``, fsync and return ``(tmp_path, sha256)``.

    The caller renames the temporary file to its final name with :func:`os.replace`.
    """
    final_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=final_dir, prefix=".tmp-", suffix=suffix)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        writer(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        return tmp, sha256_of(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_arrays(path: Path, arrays: Mapping[str, np.ndarray], meta: dict) -> None:
    """Write ``arrays`` and a JSON ``meta`` dict into an ``.npz`` file (no pickles)."""
    payload = {k: np.asarray(v) for k, v in arrays.items()}
    for key, value in payload.items():
        if value.dtype == object:
            raise ValueError(f"array {key!r} has dtype object; cannot save it safely")
    payload["__meta__"] = np.frombuffer(
        json.dumps(meta, default=str).encode(), dtype=np.uint8
    )
    with open(path, "wb") as fh:
        np.savez(fh, **payload)


def load_arrays(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    """Read an ``.npz`` written by :func:`save_arrays`; never unpickles."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files if k != "__meta__"}
        raw = data["__meta__"] if "__meta__" in data.files else None
        meta = json.loads(bytes(raw).decode()) if raw is not None else {}
    return arrays, meta


def _next_version(kind: str) -> int:
    top = ModelArtifact.objects.filter(kind=kind).aggregate(v=Max("version"))["v"]
    return (top or 0) + 1


def artifact_create(
    *,
    kind: str,
    algorithm: str,
    writer: Callable[[Path], None],
    suffix: str = ".npz",
    params: dict | None = None,
    metrics: dict | None = None,
    data_fingerprint: str = "",
    data_window: dict | None = None,
    task_run=None,
    notes: str = "",
) -> ModelArtifact:
    """Write a model file with ``writer(path)`` and register it as a candidate.

    The file lands at ``<ARTIFACTS_ROOT>/<kind>/<version>-<sha12><suffix>``.

    Idempotent per task message: when ``task_run`` is an attempt of a Celery task whose
    earlier attempt (same task id: a redelivered or re-queued message) already stored
    a model of this kind and algorithm, that artifact is returned and no second version
    is made (the Celery task id is the idempotency key).
    """
    earlier = artifact_of_earlier_attempt(
        task_run=task_run, kind=kind, algorithm=algorithm
    )
    if earlier is not None:
        return earlier
    root = artifacts_root()
    folder = root / kind.replace(".", "/")
    tmp, digest = write_atomically(folder, suffix, writer)
    try:
        with transaction.atomic():
            version = _next_version(kind)
            final = folder / f"{version}-{digest[:12]}{suffix}"
            os.replace(tmp, final)
            return ModelArtifact.objects.create(
                kind=kind,
                algorithm=algorithm,
                version=version,
                params=params or {},
                metrics=metrics or {},
                data_fingerprint=data_fingerprint,
                data_window=data_window or {},
                library_versions=library_versions(),
                file=str(final.relative_to(root)),
                sha256=digest,
                size_bytes=final.stat().st_size,
                task_run=task_run,
                notes=notes,
            )
    finally:
        tmp.unlink(missing_ok=True)


def artifact_path(artifact: ModelArtifact, *, verify: bool = True) -> Path:
    """Absolute path of an artifact's file; checks its sha256 when ``verify``.

    Raises
    ------
    NotFound
        The file is missing or its checksum differs from the registry's.
    """
    path = artifacts_root() / artifact.file
    if not path.exists():
        raise NotFound(f"model file of {artifact.label} is missing: {artifact.file}")
    if verify and sha256_of(path) != artifact.sha256:
        raise NotFound(f"model file of {artifact.label} fails its sha256 check")
    return path


@transaction.atomic
def artifact_activate(artifact: ModelArtifact) -> ModelArtifact:
    """Make ``artifact`` the one active model of its kind, retiring the previous one.

    ``core.signals.artifact_activated`` is sent once the transaction commits.
    """
    from .signals import artifact_activated

    locked = list(
        ModelArtifact.objects.select_for_update()
        .filter(kind=artifact.kind)
        .order_by("pk")
    )
    for row in locked:
        if row.status == ModelArtifact.Status.ACTIVE and row.pk != artifact.pk:
            row.status = ModelArtifact.Status.RETIRED
            row.save(update_fields=["status", "updated_at"])
    artifact.status = ModelArtifact.Status.ACTIVE
    artifact.activated_at = timezone.now()
    artifact.save(update_fields=["status", "activated_at", "updated_at"])
    transaction.on_commit(
        lambda: artifact_activated.send(sender=ModelArtifact, artifact=artifact)
    )
    return artifact


def artifact_active(kind: str) -> ModelArtifact:
    """The active artifact of ``kind``.

    Raises
    ------
    NotTrained
        No model of this kind has been trained and activated yet.
    """
    artifact = ModelArtifact.objects.filter(
        kind=kind, status=ModelArtifact.Status.ACTIVE
    ).first()
    if artifact is None:
        raise NotTrained(f"no active model of kind {kind!r}; train one first")
    return artifact


def artifact_of_earlier_attempt(
    *, task_run, kind: str, algorithm: str
) -> ModelArtifact | None:
    """The artifact an earlier attempt of ``task_run``'s task id stored, if any."""
    task_id = getattr(task_run, "task_id", "") or ""
    if not task_id:
        return None
    return (
        ModelArtifact.objects.filter(
            kind=kind, algorithm=algorithm, task_run__task_id=task_id
        )
        .exclude(task_run=task_run)
        .order_by("-pk")
        .first()
    )


def artifact_find_existing(
    *, kind: str, algorithm: str, params: dict, data_fingerprint: str
) -> ModelArtifact | None:
    """An earlier usable artifact with the same data and parameters (idempotence)."""
    for row in ModelArtifact.objects.filter(
        kind=kind, algorithm=algorithm, data_fingerprint=data_fingerprint
    ).exclude(status__in=[ModelArtifact.Status.FAILED, ModelArtifact.Status.REJECTED]):
        if row.params == params:
            return row
    return None


def json_safe(obj: Any) -> Any:
    """Round-trip through JSON so numpy scalars become plain numbers."""
    return json.loads(json.dumps(obj, default=lambda o: getattr(o, "item", str)(o)))
