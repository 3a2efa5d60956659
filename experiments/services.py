"""What an experiment's life writes: create, start, stop, ship the winner.

Every refusal is a :class:`core.exceptions.DomainError` naming the field (an
experiment with one variant, shares not summing to 1, a surface already under
test). Stopping or shipping keeps every impression and event; shipping changes the
surfaces' serving configuration and leaves an :class:`ExperimentAudit` row.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from core.exceptions import InvalidInput, InvalidTransition
from shop.clock import shop_now

from .conf import SURFACES, exp_settings
from .models import Experiment, ExperimentAudit, SurfaceConfig, Variant

CONFIG_KEYS = {"holdout", "strategy", "k"}
STRATEGIES = {"model", "bestsellers"}
GUARDRAILS = set(Experiment.Guardrail.values)
LIVE = (Experiment.Status.DRAFT, Experiment.Status.RUNNING)


def check_surfaces(surfaces) -> list[str]:
    """The surfaces as a de-duplicated list of known names.

    Raises
    ------
    InvalidInput
        None given, or an unknown surface (field ``surfaces``).
    """
    values = [str(s).strip() for s in (surfaces or []) if str(s).strip()]
    if not values:
        raise InvalidInput("choose at least one surface", field="surfaces")
    unknown = [s for s in values if s not in SURFACES]
    if unknown:
        raise InvalidInput(
            f"unknown surface {unknown[0]!r}; one of {', '.join(SURFACES)}",
            field="surfaces",
        )
    return list(dict.fromkeys(values))


def check_serving_config(config, *, variant: str = "") -> dict:
    """A variant's serving configuration, validated.

    Raises
    ------
    InvalidInput
        Not a dict, an unknown key, a strategy not ``model``/``bestsellers``, ``k``
        not an integer in 1..100 (field ``serving_config``, naming the variant).
    """
    where = f" of variant {variant}" if variant else ""
    if config in (None, ""):
        return {}
    if not isinstance(config, dict):
        raise InvalidInput(
            f"serving_config{where} must be a JSON object", field="serving_config"
        )
    unknown = sorted(set(config) - CONFIG_KEYS)
    if unknown:
        raise InvalidInput(
            f"serving_config{where}: unknown key {unknown[0]!r} (allowed: "
            f"{', '.join(sorted(CONFIG_KEYS))})",
            field="serving_config",
        )
    if "strategy" in config and config["strategy"] not in STRATEGIES:
        raise InvalidInput(
            f"serving_config{where}: strategy must be model or bestsellers",
            field="serving_config",
        )
    k = config.get("k")
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 1):
        raise InvalidInput(
            f"serving_config{where}: k must be a positive integer",
            field="serving_config",
        )
    if "holdout" in config and not isinstance(config["holdout"], bool):
        raise InvalidInput(
            f"serving_config{where}: holdout must be true or false",
            field="serving_config",
        )
    return dict(config)


def check_variants(variants: list[dict]) -> list[dict]:
    """Validate the variants: 2 or more, unique names, shares in (0, 1] summing to
    1, exactly one control, valid serving configurations.

    ``variants``: dicts with ``name``, ``share``, ``is_control``, ``serving_config``.

    Raises
    ------
    InvalidInput
        Naming the field: ``variants`` (fewer than 2, no or several controls,
        duplicate names), ``share`` (not a number in (0, 1], sum not 1),
        ``serving_config``.
    """
    if len(variants) < 2:
        raise InvalidInput(
            f"an experiment needs at least 2 variants, got {len(variants)}",
            field="variants",
        )
    names = [str(v.get("name") or "").strip() for v in variants]
    if any(not n for n in names) or len(set(names)) != len(names):
        raise InvalidInput("each variant needs a unique name", field="variants")
    total = Decimal(0)
    cleaned = []
    for v, name in zip(variants, names, strict=True):
        try:
            share = Decimal(str(v.get("share")))
        except (InvalidOperation, ValueError):
            raise InvalidInput(
                f"share of variant {name} must be a number", field="share"
            ) from None
        if not Decimal(0) < share <= Decimal(1):
            raise InvalidInput(
                f"share of variant {name} must lie in (0, 1], got {share}",
                field="share",
            )
        total += share
        cleaned.append(
            {
                "name": name,
                "share": share,
                "is_control": bool(v.get("is_control")),
                "serving_config": check_serving_config(
                    v.get("serving_config"), variant=name
                ),
                "description": str(v.get("description") or "")[:255],
            }
        )
    if abs(total - 1) > Decimal("0.0001"):
        raise InvalidInput(f"shares must sum to 1, they sum to {total}", field="share")
    if sum(v["is_control"] for v in cleaned) != 1:
        raise InvalidInput("mark exactly one variant as the control", field="variants")
    return cleaned


_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


def _windows_meet(a_start, a_stop, b_start, b_stop) -> bool:
    lo = max(a_start or _EARLIEST, b_start or _EARLIEST)
    hi = min(a_stop or _LATEST, b_stop or _LATEST)
    return lo < hi


def check_overlap(
    surfaces: Iterable[str],
    *,
    planned_start=None,
    planned_stop=None,
    exclude_pk: int | None = None,
) -> None:
    """Refuse a surface already under test by a draft or running experiment whose
    planned window meets this one (an empty bound is open).

    Raises
    ------
    InvalidInput
        Field ``surfaces``, naming the surface and the other experiment.
    """
    wanted = set(surfaces)
    others = Experiment.objects.filter(status__in=LIVE).exclude(pk=exclude_pk)
    for other in others:
        shared = sorted(wanted & set(other.surfaces or []))
        if shared and _windows_meet(
            planned_start, planned_stop, other.planned_start, other.planned_stop
        ):
            raise InvalidInput(
                f"surface {shared[0]} is already under test by experiment "
                f"{other.name!r} ({other.status}); stop it or choose another surface",
                field="surfaces",
            )


def check_planned_window(planned_start=None, planned_stop=None) -> None:
    """Refuse a planned stop before the planned start, or one that has already
    passed on the shop clock (:func:`shop.clock.shop_now`, the clock that stamps
    starts, stops and impressions: on historical demo data its "now" is the data's
    last day, not the wall clock's).

    Raises
    ------
    InvalidInput
        Field ``planned_stop``.
    """
    if planned_start and planned_stop and planned_stop <= planned_start:
        raise InvalidInput("the planned stop is before the start", field="planned_stop")
    now = shop_now()
    if planned_stop and planned_stop <= now:
        stop, now = timezone.localtime(planned_stop), timezone.localtime(now)
        raise InvalidInput(
            f"the planned stop {stop:%Y-%m-%d %H:%M} has already passed on the shop "
            f"clock (now {now:%Y-%m-%d %H:%M})",
            field="planned_stop",
        )


def check_guardrails(guardrails) -> list[str]:
    values = list(dict.fromkeys(guardrails or []))
    unknown = [g for g in values if g not in GUARDRAILS]
    if unknown:
        raise InvalidInput(
            f"unknown guardrail {unknown[0]!r}; one of {', '.join(sorted(GUARDRAILS))}",
            field="guardrails",
        )
    return values


@transaction.atomic
def experiment_create(
    *,
    name: str,
    hypothesis: str,
    surfaces: list[str],
    variants: list[dict],
    guardrails: list[str] | None = None,
    attribution_days: int | None = None,
    pre_period_days: int | None = None,
    planned_start=None,
    planned_stop=None,
    by=None,
) -> Experiment:
    """Create a draft experiment with its variants.

    Raises
    ------
    InvalidInput
        A missing name or hypothesis, a name in use, and every refusal of
        :func:`check_surfaces`, :func:`check_variants`,
        :func:`check_planned_window`, :func:`check_overlap`, naming the field.
    """
    name = (name or "").strip()
    if not name:
        raise InvalidInput("an experiment needs a name", field="name")
    if Experiment.objects.filter(name=name).exists():
        raise InvalidInput(f"an experiment named {name!r} exists", field="name")
    if not (hypothesis or "").strip():
        raise InvalidInput("state the hypothesis", field="hypothesis")
    surfaces = check_surfaces(surfaces)
    cleaned = check_variants(variants)
    check_planned_window(planned_start, planned_stop)
    check_overlap(surfaces, planned_start=planned_start, planned_stop=planned_stop)
    conf = exp_settings()
    experiment = Experiment.objects.create(
        name=name,
        hypothesis=hypothesis.strip(),
        surfaces=surfaces,
        guardrails=check_guardrails(
            guardrails if guardrails is not None else sorted(GUARDRAILS)
        ),
        attribution_days=attribution_days or conf["attribution_days"],
        pre_period_days=pre_period_days or conf["pre_period_days"],
        planned_start=planned_start,
        planned_stop=planned_stop,
        created_by=by,
    )
    Variant.objects.bulk_create(Variant(experiment=experiment, **v) for v in cleaned)
    _audit(experiment, "created", by, {"variants": [v["name"] for v in cleaned]})
    return experiment


def _audit(experiment: Experiment, action: str, by, details: dict) -> None:
    ExperimentAudit.objects.create(
        experiment=experiment,
        action=action,
        by=by if getattr(by, "is_authenticated", False) else None,
        details=details,
    )


def _serving_cache_clear() -> None:
    from .serving import serving_cache_clear

    serving_cache_clear()


@transaction.atomic
def experiment_start(*, experiment: Experiment, by=None) -> Experiment:
    """Start a draft: its variants are re-validated and no other live experiment
    may test one of its surfaces.

    Raises
    ------
    InvalidTransition
        Not a draft.
    InvalidInput
        Invalid variants, a planned stop already passed on the shop clock or an
        overlapping experiment (naming the field).
    """
    experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if experiment.status != Experiment.Status.DRAFT:
        raise InvalidTransition(
            f"only a draft can start; this experiment is {experiment.status}",
            field="status",
        )
    check_variants(list(experiment.variants.values()))
    check_planned_window(None, experiment.planned_stop)
    check_overlap(experiment.surfaces, exclude_pk=experiment.pk)
    experiment.status = Experiment.Status.RUNNING
    experiment.started_at = shop_now()
    experiment.save(update_fields=["status", "started_at", "updated_at"])
    _audit(experiment, "started", by, {"surfaces": experiment.surfaces})
    transaction.on_commit(_serving_cache_clear)
    return experiment


@transaction.atomic
def experiment_stop(*, experiment: Experiment, by=None, reason: str = "") -> Experiment:
    """Stop a running experiment; every impression and event is kept.

    Raises
    ------
    InvalidTransition
        Not running.
    """
    experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if experiment.status != Experiment.Status.RUNNING:
        raise InvalidTransition(
            f"only a running experiment can stop; this one is {experiment.status}",
            field="status",
        )
    experiment.status = Experiment.Status.STOPPED
    experiment.stopped_at = shop_now()
    experiment.save(update_fields=["status", "stopped_at", "updated_at"])
    _audit(experiment, "stopped", by, {"reason": reason} if reason else {})
    transaction.on_commit(_serving_cache_clear)
    return experiment


def experiments_stop_due(*, now: datetime | None = None) -> list[str]:
    """Stop every running experiment whose planned stop has passed (the scheduled
    task ``experiments.stop_due`` and ``manage.py stop_due_experiments``).

    "Passed" is on the shop clock (``now`` defaults to :func:`shop.clock.shop_now`),
    the clock that stamped the experiment's start and impressions: on historical
    demo data the wall clock is years past every planned stop and would stop an
    experiment the moment it starts.

    Returns
    -------
    list of str, the names of the experiments stopped (idempotent: a second call
    finds none).
    """
    now = now or shop_now()
    due = Experiment.objects.filter(
        status=Experiment.Status.RUNNING, planned_stop__lte=now
    )
    stopped = []
    for experiment in due:
        experiment_stop(experiment=experiment, reason="planned stop reached")
        stopped.append(experiment.name)
    return stopped


@transaction.atomic
def experiment_ship(*, experiment: Experiment, variant: Variant, by=None) -> Experiment:
    """Ship ``variant``: its serving configuration becomes each surface's
    configuration for everyone; a running experiment is stopped first.

    Raises
    ------
    InvalidTransition
        A draft or an experiment already shipped.
    InvalidInput
        ``variant`` is not one of the experiment's (field ``variant``).
    """
    experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if experiment.status in (Experiment.Status.DRAFT, Experiment.Status.SHIPPED):
        raise InvalidTransition(
            f"a {experiment.status} experiment cannot be shipped", field="status"
        )
    if variant.experiment_id != experiment.pk:
        raise InvalidInput(
            f"variant {variant.name} is not part of {experiment.name}", field="variant"
        )
    if experiment.status == Experiment.Status.RUNNING:
        experiment.stopped_at = shop_now()
    changes = {}
    for surface in experiment.surfaces:
        config, _ = SurfaceConfig.objects.select_for_update().get_or_create(
            surface=surface
        )
        changes[surface] = {
            "before": config.serving_config,
            "after": variant.serving_config,
        }
        config.serving_config = dict(variant.serving_config)
        config.shipped_from = variant
        config.save()
    experiment.status = Experiment.Status.SHIPPED
    experiment.shipped_variant = variant
    experiment.save(
        update_fields=["status", "stopped_at", "shipped_variant", "updated_at"]
    )
    _audit(experiment, "shipped", by, {"variant": variant.name, "surfaces": changes})
    transaction.on_commit(_serving_cache_clear)
    return experiment
