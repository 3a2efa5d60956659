"""The suite's admin site: Django's, with a home dashboard, the jobs pages and a
place for apps to add their own admin views (``admin.site.register_view``).

Installed through :class:`SuiteAdminConfig` (``core.admin_site.SuiteAdminConfig`` in
``INSTALLED_APPS`` instead of ``django.contrib.admin``), so ``admin.site`` everywhere
is this site.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.urls import path


class SuiteAdminSite(AdminSite):
    site_header = "Shop AI suite"
    site_title = "Shop AI suite"
    index_title = "Today"
    index_template = "admin/core/dashboard.html"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        self._views: list[tuple[str, Callable, str]] = []

    def register_view(self, route: str, view: Callable, *, name: str) -> None:
        """Serve ``view`` at ``/admin/<route>`` (staff only), named ``admin:<name>``.

        Call it from an app's ``admin.py`` (before the URLconf loads).
        """
        self._views.append((route, view, name))

    def get_urls(self):
        from . import admin_views

        urls = [
            path("jobs/", self.admin_view(admin_views.jobs_view), name="jobs"),
            path(
                "jobs/<slug:name>/",
                self.admin_view(admin_views.job_view),
                name="job",
            ),
        ]
        urls += [
            path(route, self.admin_view(view), name=name)
            for route, view, name in self._views
        ]
        return urls + super().get_urls()

    def index(self, request, extra_context=None):
        from .admin_views import dashboard_context

        context = {**dashboard_context(request), **(extra_context or {})}
        return super().index(request, extra_context=context)


class SuiteAdminConfig(AdminConfig):
    """``django.contrib.admin`` with the suite's site (dashboard, jobs, views)."""

    default_site = "core.admin_site.SuiteAdminSite"
