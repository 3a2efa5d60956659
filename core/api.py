"""Shared API glue: the exception handler that turns every error into JSON."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import DomainError

logger = logging.getLogger(__name__)


def exception_handler(exc, context):
    """Map domain errors to 400/404/409 JSON; DRF errors keep DRF's codes.

    Every error body has ``error`` (a code) and ``detail`` (a message); validation
    errors add ``fields`` with the messages per field. A body larger than
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a 413, other refused requests Django flags as
    suspicious (too many form fields or files) a 400.
    """
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(
            {
                "error": "request_too_large",
                "detail": f"Request body larger than the limit of {limit} bytes.",
            },
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, SuspiciousOperation):
        return Response(
            {"error": "bad_request", "detail": str(exc) or "Bad request."},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, DjangoValidationError):
        return Response(
            {"error": "invalid_input", "detail": "; ".join(exc.messages)},
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("unhandled error in %s", context.get("view"))
        return Response(
            {"error": "server_error", "detail": "Internal error; it has been logged."},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, Http404):
        response.data = {"error": "not_found", "detail": "Not found."}
    elif isinstance(exc, APIException):
        data = response.data
        if isinstance(data, dict) and set(data) == {"detail"}:
            response.data = {"error": exc.default_code, "detail": str(data["detail"])}
        else:
            response.data = {
                "error": "invalid_input",
                "detail": "Some fields are invalid.",
                "fields": data,
            }
    return response


def not_found(request, exception=None):
    """Django's 404 view (``handler404``): JSON like the API's own 404s for paths
    under ``/api/`` (an unmatched URL such as ``/api/v1/products/abc/similar``),
    Django's page elsewhere."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"error": "not_found", "detail": "Not found."}, status=404)
    return page_not_found(request, exception)


class PageSizePagination(PageNumberPagination):
    """The API's pagination: pages of ``PAGE_SIZE`` (50) by default, ``?page_size=``
    up to 200, on every list endpoint."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        """``?page_size=`` as asked (at most ``max_page_size``), the default without it.

        Raises
        ------
        rest_framework.exceptions.ValidationError
            Not a positive integer (400 naming ``page_size``); DRF would silently
            serve the default page instead.
        """
        from rest_framework.exceptions import ValidationError

        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value < 1 or str(value) != raw.strip():
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        f"page_size must be a whole number from 1 to "
                        f"{self.max_page_size}, got {raw[:40]!r}"
                    ]
                }
            )
        return min(value, self.max_page_size)

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.page_size_query_param:
                param["schema"] = {"type": "integer", "minimum": 1}
                param["description"] = (
                    f"results per page, 1 or more (default {self.page_size}, at most "
                    f"{self.max_page_size}); 0, negative or not a number is a 400 "
                    "naming page_size"
                )
        return params

    def get_paginated_response_schema(self, schema):
        """DRF's page schema, with the example of a one-page answer (count 1, no next
        or previous page) around each list endpoint's example item, instead of
        DRF's ``api.example.org/accounts/`` links."""
        page = super().get_paginated_response_schema(schema)
        examples = {"count": 1, "next": None, "previous": None}
        for name, value in examples.items():
            page["properties"][name]["example"] = value
        return page
