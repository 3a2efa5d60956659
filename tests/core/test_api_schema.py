"""schemathesis against the OpenAPI schema (issue 16.14): every operation, with
generated valid and invalid input, anonymous and signed in, answers without a
server error and as its schema documents (status code, headers, body).

Runs in-process on the WSGI application (no server), on a small shop made by the
factories, with schemathesis' examples and fuzzing phases (Hypothesis examples per
operation: ``SCHEMATHESIS_EXAMPLES``, default 10; derandomised, so a failure repeats).
Every default check runs except ``negative_data_rejection``: the API is lenient where
the schema is strict on purpose (ISO 8601 times without the ``T``) and that is no
server error or schema violation. On ``POST /api/v1/events/``
``positive_data_acceptance`` is left out too:
``session_key`` is required only when not signed in, which OpenAPI cannot say (the
field's description does). The sign-in lockout (django-axes) is off here: it answers
a burst of wrong generated credentials with 429 by design (tests/core/
test_signin_lockout.py covers it).
"""

from __future__ import annotations

import base64
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
)

from tests.factories import make_customer, make_order, make_product

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

PASSWORD = "pw-12345678"
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "10"))


def _load_schema():
    from django.core.wsgi import get_wsgi_application

    return schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", get_wsgi_application()
    )


schema = _load_schema()
schema.config.phases.coverage.enabled = False  # minutes per operation on CI


@pytest.fixture(autouse=True)
def keep_test_connection():
    """Django closes the database connection when a WSGI request finishes; the test
    client switches that off and so must we, or the test transaction's connection
    is gone after the first request (PostgreSQL)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def shop(db, settings):
    """A small shop: two products, a signed-in customer's order, a guest order."""
    settings.AXES_ENABLED = False
    mug = make_product(description="RED RETROSPOT MUG")
    heart = make_product(description="WHITE HANGING HEART T-LIGHT HOLDER")
    alice = make_customer("17850", with_user=True)
    make_order(alice, [(mug, 2, "2.10"), (heart, 1, "2.95")], invoice_no="536365")
    make_order(None, [(heart, 3, "2.95")], invoice_no="536366")


SIGNED_IN = {
    "Authorization": "Basic "
    + base64.b64encode(f"cust17850:{PASSWORD}".encode()).decode()
}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms_to_the_schema(case):
    excluded = [negative_data_rejection]
    if case.operation.label == "POST /api/v1/events/":
        excluded.append(positive_data_acceptance)
    case.call_and_validate(excluded_checks=excluded)
    case.call_and_validate(headers=SIGNED_IN, excluded_checks=excluded)
