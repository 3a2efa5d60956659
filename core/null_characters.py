"""Requests carrying a NUL character (``\\x00``) are refused with a 400 up front.

PostgreSQL text cannot hold NUL: a query parameter or path part with one that
reached a query (``?search=a%00b``, ``/api/v1/orders/a%00b/``) failed with
``DataError`` and a 500 (found by schemathesis in ``tests/core/test_api_schema.py``
on PostgreSQL). No field of the suite accepts NUL (Django forms and DRF serializers
refuse it with "Null characters are not allowed."), so this middleware refuses it in
every query parameter (name or value) and every captured URL part, before any view
runs, with the same message naming the parameter: the API's JSON error shape
(:func:`core.api.exception_handler`) under ``/api/``, a plain 400 page elsewhere.
Request bodies are left to the parsers and serializers.
"""

from __future__ import annotations

from django.http import HttpResponseBadRequest, JsonResponse
from django.urls import Resolver404, resolve

MESSAGE = "Null characters are not allowed."


def _nul_fields(request) -> list[str]:
    """Names of the query parameters and URL parts holding a NUL, in order."""
    names = [
        name
        for name, values in request.GET.lists()
        if "\x00" in name or any("\x00" in v for v in values)
    ]
    if "\x00" in request.path_info:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return names or ["path"]
        parts = [k for k, v in match.kwargs.items() if "\x00" in str(v)]
        names += parts or ["path"]
    return names


class NullCharactersMiddleware:
    """400 for a request whose query string or URL holds a NUL (module doc)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        names = _nul_fields(request)
        if not names:
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            return JsonResponse(
                {
                    "error": "invalid_input",
                    "detail": "Some fields are invalid.",
                    "fields": {n.replace("\x00", "\\x00"): [MESSAGE] for n in names},
                },
                status=400,
            )
        return HttpResponseBadRequest(
            f"{MESSAGE} ({', '.join(n.replace(chr(0), '') for n in names)})",
            content_type="text/plain; charset=utf-8",
        )
