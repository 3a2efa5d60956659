"""The OpenAPI schema's shared error answers (drf-spectacular).

Every operation documents the errors the suite's own machinery can answer with, in
the JSON shape of :func:`core.api.exception_handler` (``error``, ``detail`` and, on
invalid input, ``field`` or ``fields``), so that a client (and schemathesis in
``tests/core/test_api_schema.py``) finds each status it can get:

* 400 invalid input, on operations with an input that can be invalid (a body, a
  query parameter, a text path part);
* 401 missing or wrong credentials (``WWW-Authenticate: Basic``), on every
  operation: wrong credentials are refused even where anonymous use is allowed;
* 403 permission denied (someone else's resource) or, on POST, a session request
  without its CSRF token;
* 404 not found, on operations with a path parameter, and "Invalid page." on
  paginated lists;
* 413 request body too large, on operations with a body;
* 429 throttled, with ``Retry-After`` seconds, on throttled operations.

A view's own ``extend_schema(responses=...)`` wins over these defaults; an error it
declares without a body schema (``404: None``, a bare object) gets ``ErrorOut``.
Free-text parameters carry the pattern :data:`NO_NUL` (:mod:`core.null_characters`
refuses a NUL character with a 400).

Every documented error carries an example of the real answer (issue 14.6). The 400
example names a field of the operation and is the answer to the bad input given in
its ``x-bad-input`` (``in``, ``name``, ``value``; ``tests/core/test_api_contract.py``
sends it and compares): a required body field left out; else a query parameter (an
integer over its maximum, a number that is not one, a value outside an enum, else a
NUL character, refused by :mod:`core.null_characters`); else a path part with a NUL.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance
from rest_framework import serializers
from rest_framework.permissions import (
    SAFE_METHODS,
    AllowAny,
    IsAuthenticatedOrReadOnly,
)


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


_HEADERS = {
    401: {
        "WWW-Authenticate": {
            "description": 'the authentication scheme to use: `Basic realm="api"`',
            "required": True,
            "schema": {"type": "string"},
        }
    },
    429: {
        "Retry-After": {
            "description": "seconds to wait before trying again",
            "schema": {"type": "integer"},
        }
    },
}
_PAGINATION = {"page", "page_size"}
NUL_REFUSED = "Null characters are not allowed."  # core.null_characters.MESSAGE


def _invalid(name: str, message: str, *, where: str, value) -> dict:
    """The 400 example: DRF's validation answer naming ``name``."""
    return {
        "summary": f"{name} is invalid",
        "value": {
            "error": "invalid_input",
            "detail": "Some fields are invalid.",
            "fields": {name: [message]},
        },
        "x-bad-input": {"in": where, "name": name, "value": value},
    }


def _query_rank(param: dict) -> tuple[int, str, object] | None:
    """How telling a bad value of query ``param`` is, its message and the value."""
    schema, name = param.get("schema", {}), param["name"]
    if name in _PAGINATION:  # lenient (page_size) or a 404 (page)
        return None
    if schema.get("type") == "integer" and "maximum" in schema:
        top = schema["maximum"]
        low = schema.get("minimum", 1)
        return 0, f"{name} must be between {low} and {top}, got {top + 1}", top + 1
    if schema.get("type") == "number":
        return 1, "Enter a number.", "abc"
    if schema.get("enum"):  # the message of the views' own check (orders)
        return 2, f"one of {', '.join(schema['enum'])}; got 'bogus'", "bogus"
    if schema.get("type", "string") == "string":
        return 3, NUL_REFUSED, "x\x00"
    return None


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
        if self._bad_input_example():
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

    def _bad_input_example(self) -> dict | None:
        """The 400 example of this operation (module doc), or None when no input of
        it can be invalid (only integer path parts, which do not match the URL)."""
        serializer = None
        if self.method.upper() in ("POST", "PUT", "PATCH"):
            serializer = force_instance(self.get_request_serializer())
        if serializer is not None:  # (``request=None``: the body is not read)
            fields = getattr(serializer, "fields", {})
            required = [n for n, f in fields.items() if f.required and not f.read_only]
            if required:
                name = required[0]
                return _invalid(
                    name, "This field is required.", where="body", value=None
                )
            return {
                "summary": "the body is not JSON",
                "value": {
                    "error": "parse_error",
                    "detail": "JSON parse error - Expecting value: line 1 column 1 "
                    "(char 0)",
                },
                "x-bad-input": {"in": "body", "name": None, "value": "{"},
            }
        params = self._get_parameters()
        ranked = [
            (rank, param["name"], message, value)
            for param in params
            if param["in"] == "query"
            for rank, message, value in [_query_rank(param) or (None, None, None)]
            if rank is not None
        ]
        if ranked:
            _, name, message, value = min(ranked, key=lambda r: r[0])
            return _invalid(name, message, where="query", value=value)
        for param in params:
            if param["in"] == "path" and param["schema"].get("type") == "string":
                if param["schema"].get("format") == "uuid":
                    continue  # the URL's uuid converter: a 404
                name = param["name"]
                return _invalid(name, NUL_REFUSED, where="path", value="x\x00")
        return None

    def _anonymous_allowed(self) -> bool:
        """Whether anyone may call this operation (then a 401 means wrong
        credentials were sent, not that none were)."""
        safe = self.method.upper() in SAFE_METHODS
        return all(
            isinstance(p, AllowAny) or safe and isinstance(p, IsAuthenticatedOrReadOnly)
            for p in self.view.get_permissions()
        )

    def _error_example(self, code: int) -> dict | None:
        if code == 400:
            return self._bad_input_example()
        if code == 404 and "{" not in self.path:
            detail = "Invalid page."  # a paginated list past its last page
        else:
            detail = "Not found."
        bodies = {
            401: ("authentication_failed", "Invalid username/password.")
            if self._anonymous_allowed()
            else ("not_authenticated", "Authentication credentials were not provided."),
            403: (
                "permission_denied",
                "You do not have permission to perform this action.",
            ),  # fmt: skip
            404: ("not_found", detail),
            413: (
                "request_too_large",
                "Request body larger than the limit of "
                f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
            ),
            429: (
                "throttled",
                "Request was throttled. Expected available in 2 seconds.",
            ),  # fmt: skip
        }
        if code not in bodies:
            return None
        error, detail = bodies[code]
        return {"summary": error, "value": {"error": error, "detail": detail}}

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        error_ref = self.resolve_serializer(ErrorOut, "response").ref
        for code in self._error_codes():
            responses.setdefault(str(code), {})
        for key, response in responses.items():
            if not key.startswith("4"):
                continue
            code = int(key)
            media = response.get("content", {}).get("application/json")
            if media is None or "$ref" not in media.get("schema", {}):
                media = {"schema": error_ref}
                response["content"] = {"application/json": media}
            if not response.get("description"):
                response["description"] = _DESCRIPTIONS.get(code, "")
            if not media.get("examples"):
                example = self._error_example(code)
                if example is not None:
                    media["examples"] = {example["summary"]: example}
            if code in _HEADERS:
                response["headers"] = {**_HEADERS[code], **response.get("headers", {})}
        return dict(sorted(responses.items()))
