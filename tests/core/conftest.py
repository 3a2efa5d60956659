"""Fixtures of the operations tests."""

import pytest


@pytest.fixture(autouse=True)
def _secret_key(settings, monkeypatch):
    # Sessions/messages need a key, and test runs may not export SECRET_KEY. Set it on
    # this test's settings holder directly: override_settings would read the empty
    # original back on exit, and reading an empty SECRET_KEY raises.
    from django.conf import settings as dj_settings

    monkeypatch.setattr(dj_settings._wrapped, "SECRET_KEY", "ops-tests-" + "k" * 40)
