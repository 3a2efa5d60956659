"""One helper for every app's namespaced settings dict (``settings.RECOMMENDER`` ...).

Each app keeps its defaults in ``<app>/conf.py`` and reads them lazily, like DRF's
``api_settings``; this module adds what DRF's pattern misses: a key that is not one of
the app's defaults (a typo such as ``"max_kk"``) is an error that names the key, the
setting and the closest known key, instead of being silently ignored.

Two places check:

* at start-up: ``CoreConfig.ready`` calls :func:`app_settings_validate_all`, so every
  process (``manage.py``, gunicorn, Celery worker and beat) refuses to start with a
  typo and says which key, in which setting, is unknown;
* at every read (:meth:`AppSettings.merged`), so a test's ``settings`` override with a
  typo fails at once.

Usage in ``<app>/conf.py``::

    APP_SETTINGS = AppSettings("RECOMMENDER", DEFAULTS, env_name="RECOMMENDER_SETTINGS")

    def rec_settings():
        return APP_SETTINGS.merged()
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

_REGISTRY: dict[str, AppSettings] = {}


class AppSettings:
    """The defaults of one settings namespace and the check of its overrides.

    Parameters
    ----------
    setting_name : str
        Name of the Django setting holding the overrides (``"RECOMMENDER"``).
    defaults : Mapping[str, Any]
        Every allowed key with its default value.
    env_name : str, optional
        The environment variable the setting is read from (named in errors).
    """

    def __init__(
        self,
        setting_name: str,
        defaults: Mapping[str, Any],
        *,
        env_name: str | None = None,
    ) -> None:
        self.setting_name = setting_name
        self.defaults = defaults
        self.env_name = env_name
        _REGISTRY[setting_name] = self

    def overrides(self) -> Mapping[str, Any]:
        """``settings.<setting_name>`` (an empty dict when unset).

        Raises
        ------
        ImproperlyConfigured
            The setting is not a dict.
        """
        from django.conf import settings

        value = getattr(settings, self.setting_name, None) or {}
        if not isinstance(value, Mapping):
            raise ImproperlyConfigured(
                f"settings.{self.setting_name}{self._source()} must be a dict of "
                f"settings, not {type(value).__name__}"
            )
        return value

    def unknown_keys(self) -> list[str]:
        """Keys of the overrides that are not defaults, sorted."""
        return sorted(str(k) for k in self.overrides() if k not in self.defaults)

    def problem(self) -> str | None:
        """A message naming every unknown key (with the closest known key), or None."""
        unknown = self.unknown_keys()
        if not unknown:
            return None
        parts = []
        for key in unknown:
            close = _closest(key, self.defaults)
            parts.append(f"{key!r}" + (f" (did you mean {close!r}?)" if close else ""))
        return (
            f"Unknown key(s) in settings.{self.setting_name}{self._source()}: "
            + ", ".join(parts)
            + f". Known keys: {', '.join(sorted(self.defaults))}."
        )

    def validate(self) -> None:
        """Raise :class:`ImproperlyConfigured` naming unknown keys, if any."""
        message = self.problem()
        if message:
            raise ImproperlyConfigured(message)

    def merged(self) -> dict[str, Any]:
        """The defaults updated with the overrides (validated first).

        Raises
        ------
        ImproperlyConfigured
            An override key is not a known setting.
        """
        self.validate()
        out = dict(self.defaults)
        out.update(self.overrides())
        return out

    def get(self, name: str) -> Any:
        """The value of ``name``: the override if set, else the default.

        Raises
        ------
        ImproperlyConfigured
            An override key is not a known setting.
        KeyError
            ``name`` is not one of the defaults (a bug in the caller).
        """
        overrides = self.overrides()
        self.validate()
        return overrides[name] if name in overrides else self.defaults[name]

    def _source(self) -> str:
        return f" (environment variable {self.env_name})" if self.env_name else ""


def _closest(key: str, known: Mapping[str, Any]) -> str | None:
    by_lower = {k.lower(): k for k in known}
    match = difflib.get_close_matches(key.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[match[0]] if match else None


def app_settings_registered() -> list[AppSettings]:
    """Every namespace, after importing the ``conf`` module of each installed app."""
    from django.apps import apps
    from django.conf import settings

    root = Path(settings.BASE_DIR).resolve()
    for config in apps.get_app_configs():  # the project's own apps only
        if not Path(config.path).resolve().is_relative_to(root):
            continue
        name = f"{config.name}.conf"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    return list(_REGISTRY.values())


def app_settings_problems() -> list[str]:
    """One message per namespace with unknown keys (or that is not a dict)."""
    out = []
    for namespace in app_settings_registered():
        try:
            message = namespace.problem()
        except ImproperlyConfigured as exc:
            message = str(exc)
        if message:
            out.append(message)
    return out


def app_settings_validate_all() -> None:
    """Raise :class:`ImproperlyConfigured` listing every namespace's unknown keys."""
    problems = app_settings_problems()
    if problems:
        raise ImproperlyConfigured(" ".join(problems))
