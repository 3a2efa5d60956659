from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Operations"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers system checks)


class SuiteAdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` with the suite's site (dashboard, jobs, views)."""

    default = False
    default_site = "core.admin_site.SuiteAdminSite"
