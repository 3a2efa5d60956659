"""Issue 16 defects 10 and 15: settings that cannot work are refused, not ignored."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.appsettings import (
    AppSettings,
    app_settings_problems,
    app_settings_registered,
)
from core.checks import production_services_check

ROOT = Path(__file__).resolve().parents[2]


# --- defect 10: throttling on a per-process cache -----------------------------------


def _ids(messages):
    return {(m.id, m.level) for m in messages}


def test_throttling_on_a_per_process_cache_is_a_deploy_error(settings):
    from django.core.checks import ERROR

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    assert ("core.E002", ERROR) in _ids(production_services_check(None))
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    }
    assert ("core.E002", ERROR) in _ids(production_services_check(None))


def test_throttling_on_a_shared_cache_or_no_throttling_passes(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/1",
        }
    }
    assert "core.E002" not in {m.id for m in production_services_check(None)}
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_CLASSES": [],
    }
    assert "core.E002" not in {m.id for m in production_services_check(None)}


# --- defect 15: unknown keys of the apps' settings dicts ------------------------------


def test_every_app_settings_dict_is_registered():
    names = {namespace.setting_name for namespace in app_settings_registered()}
    assert {"RECOMMENDER", "PRICING", "INVENTORY", "CHATBOT", "SHOP"} <= names


@pytest.mark.parametrize(
    "setting, typo, meant, reader",
    [
        ("RECOMMENDER", "max_kk", "max_k", "recommender.conf:rec_settings"),
        ("PRICING", "MIN_MARGN", "MIN_MARGIN", "pricing.conf:pricing_settings"),
        ("CHATBOT", "search_result", "search_results", "chatbot.conf:chatbot_settings"),
    ],
)
def test_a_typo_in_an_app_settings_dict_is_named(
    settings, setting, typo, meant, reader
):
    import importlib

    module, func = reader.split(":")
    read = getattr(importlib.import_module(module), func)
    setattr(settings, setting, {typo: 1})
    with pytest.raises(ImproperlyConfigured) as caught:
        read()
    assert repr(typo) in str(caught.value) and repr(meant) in str(caught.value)
    assert f"settings.{setting}" in str(caught.value)
    assert any(typo in p for p in app_settings_problems())
    setattr(settings, setting, {meant: 7})
    assert read()[meant] == 7
    assert not app_settings_problems()


def test_single_key_readers_refuse_typos_too(settings):
    from inventory.conf import inventory_setting
    from shop.conf import shop_setting

    settings.INVENTORY = {"HORIZON_DAY": 7}
    with pytest.raises(ImproperlyConfigured, match="'HORIZON_DAY'.*'HORIZON_DAYS'"):
        inventory_setting("HORIZON_DAYS")
    settings.INVENTORY = {"HORIZON_DAYS": 7}
    assert inventory_setting("HORIZON_DAYS") == 7
    settings.SHOP = {"import_batch_lines": 500}  # wrong case is a typo too
    with pytest.raises(ImproperlyConfigured, match="'IMPORT_BATCH_LINES'"):
        shop_setting("IMPORT_BATCH_LINES")


def test_a_settings_value_that_is_not_a_dict_is_refused(settings, monkeypatch):
    from core import appsettings

    monkeypatch.setattr(appsettings, "_REGISTRY", dict(appsettings._REGISTRY))
    namespace = AppSettings("TEST_NAMESPACE", {"a": 1}, env_name="TEST_ENV")
    settings.TEST_NAMESPACE = ["a"]
    with pytest.raises(ImproperlyConfigured, match="TEST_ENV.*must be a dict"):
        namespace.merged()
    settings.TEST_NAMESPACE = {"a": 2}
    assert namespace.merged() == {"a": 2}


def _manage_check(**env_extra) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DATABASE_URL="sqlite:////tmp/ops-settings-check.sqlite3", **env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.mark.slow
def test_a_typo_in_the_environment_stops_start_up_and_names_the_key():
    bad = _manage_check(
        RECOMMENDER_SETTINGS=json.dumps({"max_k": 50, "exclude_purchsed": False}),
        PRICING_SETTINGS=json.dumps({"METOD": "huber"}),
    )
    assert bad.returncode != 0
    for text in ("'exclude_purchsed'", "'exclude_purchased'", "RECOMMENDER_SETTINGS"):
        assert text in bad.stderr
    assert "'METOD'" in bad.stderr and "'METHOD'" in bad.stderr
    assert "'max_k'" not in bad.stderr.split("Known keys")[0]  # valid keys pass
    good = _manage_check(RECOMMENDER_SETTINGS=json.dumps({"max_k": 50}))
    assert good.returncode == 0, good.stderr
