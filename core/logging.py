"""Log filters: redact e-mail addresses and invoice numbers from log records."""

from __future__ import annotations

import logging
import re

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
INVOICE_RE = re.compile(r"\b[CA]?\d{6}\b")


def redact(text: str) -> str:
    """Replace e-mail addresses and 6-digit order numbers with placeholders."""
    return INVOICE_RE.sub("[order]", EMAIL_RE.sub("[email]", text))


class RedactFilter(logging.Filter):
    """A logging filter that redacts personal data from the formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logged as it is
            return True
        record.msg, record.args = redact(message), None
        return True
