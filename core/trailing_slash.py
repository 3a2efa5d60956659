"""One URL form per API endpoint: the other form redirects to it (308).

The API's paths end with a slash (``/api/v1/products/``) or not
(``/api/v1/products/{id}/similar``) as the OpenAPI schema lists them. A request for
the other form, under ``/api/``, is answered ``308 Permanent Redirect`` to the listed
form, whichever way the slash differs and for every method: a 308 keeps the method
and the body (Django's ``APPEND_SLASH`` answers 301, which clients follow with a GET,
and cannot take a slash away). Paths that match no endpoint either way stay 404.
"""

from __future__ import annotations

from django.http.response import HttpResponseRedirectBase
from django.urls import Resolver404, resolve
from django.utils.encoding import escape_uri_path


class PermanentRedirect(HttpResponseRedirectBase):
    status_code = 308


def _resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


class ApiTrailingSlashMiddleware:
    """308 from the unlisted slash form of an API path to the listed one."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith("/api/") and path != "/api/" and not _resolves(path):
            other = path[:-1] if path.endswith("/") else f"{path}/"
            if _resolves(other):
                full = request.path
                target = full[:-1] if full.endswith("/") else f"{full}/"
                query = request.META.get("QUERY_STRING", "")
                return PermanentRedirect(
                    escape_uri_path(target) + (f"?{query}" if query else "")
                )
        return self.get_response(request)
