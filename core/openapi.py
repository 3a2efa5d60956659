"""The OpenAPI schema's shared error answers (drf-spectacular).

Every operation documents the errors the suite's own machinery can answer with, in
the JSON shape of :func:`core.api.exception_handler` (``error``, ``detail`` and, on
invalid input, ``field`` or ``fields``), so that a client (and schemathesis in
``tests/core/test_api_schema.py``) finds each status it can get:

* 400 invalid input, on operations with query parameters or a request body;
* 401 missing or wrong credentials (``WWW-Authenticate: Basic``), on every
  operation: wrong credentials are refused even where anonymous use is allowed;
* 403 permission denied (someone else's resource) or, on POST, a session request
  without its CSRF token;
* 404 not found, on operations with a path parameter, and "Invalid page." on
  paginated lists;
* 413 request body too large, on operations with a body;
* 429 throttled, with ``Retry-After`` seconds, on throttled operations.

A view's own ``extend_schema(responses=...)`` wins over these defaults. Free-text
parameters carry the pattern :data:`NO_NUL` (:mod:`core.null_characters` refuses a
NUL character with a 400).
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS, AllowAny


class ErrorOut(serializers.Serializer):
    """The body of every API error (see ``core.api.exception_handler``)."""

    error = serializers.CharField(help_text="a code, e.g. not_found, throttled")
    detail = serializers.CharField(help_text="a message for people")
    field = serializers.CharField(
        required=False, help_text="the field or parameter at fault, when one is"
    )
    fields = serializers.DictField(
        required=False, help_text="messages per invalid field (400 only)"
    )


_DESCRIPTIONS = {
    400: "Invalid input: `fields` (or `field`) names what is wrong.",
    401: "Missing or wrong credentials; the `WWW-Authenticate` header names the "
    "scheme (Basic; a session cookie or `Authorization: Token ...` also work).",
    403: "Permission denied: another customer's resource, or a session request "
    "without its CSRF token.",
    404: "Not found (a paginated list answers 404 with detail 'Invalid page.' past "
    "its last page).",
    413: "Request body larger than the server's limit.",
    429: "Too many requests (throttled); `Retry-After` gives the seconds to wait.",
}


#: a text parameter holds no NUL (refused by core.null_characters)
NO_NUL = "^[^\\x00]*$"


class SuiteAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the shared error answers (module doc)."""

    def _get_parameters(self):
        """The operation's parameters; free text ones say they hold no NUL."""
        parameters = super()._get_parameters()
        for param in parameters:
            schema = param.get("schema", {})
            free_text = not ({"enum", "format", "pattern"} & set(schema))
            if schema.get("type") == "string" and free_text:
                param["schema"] = {**schema, "pattern": NO_NUL}
        return parameters

    def _error_codes(self) -> list[int]:
        view, method = self.view, self.method.upper()
        has_body = method in ("POST", "PUT", "PATCH")
        codes = [401]
        if self._get_parameters() or has_body:
            codes.append(400)
        permissions = view.get_permissions()
        if method not in SAFE_METHODS or any(
            not isinstance(p, AllowAny) for p in permissions
        ):
            codes.append(403)
        if "{" in self.path or self._is_list_view() and self._get_paginator():
            codes.append(404)
        if has_body:
            codes.append(413)
        if view.get_throttles():
            codes.append(429)
        return sorted(codes)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if str(code) in responses:
                continue
            responses[str(code)] = {
                "content": {
                    "application/json": {
                        "schema": self.resolve_serializer(ErrorOut, "response").ref
                    }
                },
                "description": _DESCRIPTIONS[code],
            }
        return dict(sorted(responses.items()))
