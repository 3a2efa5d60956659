"""The suite's admin site: Django's, with a home dashboard, the jobs pages and a
place for apps to add their own admin views (``admin.site.register_view``).

Installed through :class:`SuiteAdminConfig` (``core.admin_site.SuiteAdminConfig`` in
``INSTALLED_APPS`` instead of ``django.contrib.admin``), so ``admin.site`` everywhere
is this site.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.admin import AdminSite, ModelAdmin
from django.contrib.admin.apps import AdminConfig
from django.urls import path


def _readable(admin_class: type) -> type:
    """``admin_class`` (and its inlines) with :class:`ReadableFieldsMixin` mixed in."""
    from .adminkit import ReadableFieldsMixin

    if issubclass(admin_class, ReadableFieldsMixin):
        return admin_class
    attrs = {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__}
    if getattr(admin_class, "inlines", None):
        attrs["inlines"] = [_readable(inline) for inline in admin_class.inlines]
    return type(admin_class.__name__, (ReadableFieldsMixin, admin_class), attrs)


class SuiteAdminSite(AdminSite):
    """Every ModelAdmin registered here shows numbers and JSON for people
    (:class:`core.adminkit.ReadableFieldsMixin`); the nav sidebar starts closed
    (``core/static/core/admin_nav.js``) so queue columns keep the page's width."""

    site_header = "Shop AI suite"
    site_title = "Shop AI suite"
    index_title = "Today"
    index_template = "admin/core/dashboard.html"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        self._views: list[tuple[str, Callable, str]] = []

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = _readable(admin_class or ModelAdmin)
        super().register(model_or_iterable, admin_class, **options)

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
