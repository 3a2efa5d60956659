"""Shared API glue: the exception handler that turns every error into JSON."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import DomainError

logger = logging.getLogger(__name__)


def exception_handler(exc, context):
    """Map domain errors to 400/404/409 JSON; DRF errors keep DRF's codes.

    Every error body has ``error`` (a code) and ``detail`` (a message); validation
    errors add ``fields`` with the messages per field.
    """
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status_code)
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
