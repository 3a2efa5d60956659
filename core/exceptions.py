"""Domain errors raised by services and mapped to HTTP answers by ``core.api``.

Each error carries the data needed to say what is wrong: the field or parameter and a
human-readable message.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class of errors a service raises on purpose (HTTP 400 by default)."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, **data) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.data = data

    def as_dict(self) -> dict:
        body = {"error": self.code, "detail": self.message}
        if self.field:
            body["field"] = self.field
        body.update({k: v for k, v in self.data.items() if v is not None})
        return body


class InvalidInput(DomainError):
    code = "invalid_input"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class NotTrained(DomainError):
    """No active model of the requested kind exists yet (HTTP 503)."""

    status_code = 503
    code = "not_trained"
