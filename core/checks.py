"""System checks: refuse to run without a secret key when DEBUG is off."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def secret_key_check(app_configs, **kwargs):
    if not settings.DEBUG and not settings.SECRET_KEY:
        return [
            Error(
                "SECRET_KEY is not set and DEBUG is off.",
                hint="Set SECRET_KEY in the environment or in .env (make run "
                "writes one).",
                id="core.E001",
            )
        ]
    return []
