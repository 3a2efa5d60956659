from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Operations"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers system checks)
        from .appsettings import app_settings_validate_all

        # A typo in RECOMMENDER_SETTINGS etc. stops every process at start-up.
        app_settings_validate_all()
