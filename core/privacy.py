"""Erasure of a customer's personal data on request (GDPR art. 17).

:func:`customer_erase` anonymises, in one transaction:

* the customer: ``external_id`` -> ``erased-<pk>``, e-mail cleared, ``erased_at`` set,
  the login user unlinked and scrubbed (username ``erased-user-<pk>``, names and
  e-mail cleared, unusable password, inactive);
* their orders: the shipping address is cleared (orders stay, linked to the now
  anonymous customer, for the accounts);
* their behaviour: events are detached (customer and session key cleared) and explicit
  ratings deleted;

then sends :data:`core.signals.customer_erased` so the apps drop what they derived
(the chatbot redacts transcripts, the recommender drops precomputed recommendations).

Training data must exclude erased customers: filter ``customer__erased_at__isnull=True``
(:func:`exclude_erased` does it), which also keeps guest rows. The recommender selects
training rows that way, so the next training run no longer sees the customer.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .exceptions import NotFound
from .signals import customer_erased
from .taskruns import task_run

logger = logging.getLogger(__name__)


def exclude_erased(queryset: QuerySet, *, field: str = "customer") -> QuerySet:
    """Rows of ``queryset`` whose ``field`` customer is not erased (guests are kept)."""
    return queryset.filter(**{f"{field}__erased_at__isnull": True})


def _scrub_user(user) -> None:
    user.username = f"erased-user-{user.pk}"
    user.email = ""
    user.first_name = ""
    user.last_name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()


def customer_erase(*, customer_id: int, by=None):
    """Anonymise customer ``customer_id`` and everything tied to them; return it.

    Idempotent: erasing an erased customer changes nothing and sends no signal.

    Raises
    ------
    NotFound
        No customer has this id.
    """
    from shop.models import Customer, Event, Order, Rating

    by_id = getattr(by, "pk", None)
    with task_run(
        "core.customer_erase", {"customer_id": customer_id, "by": by_id}
    ) as run:
        with transaction.atomic():
            customer = (
                Customer.objects.select_for_update().filter(pk=customer_id).first()
            )
            if customer is None:
                raise NotFound(
                    f"no customer with id {customer_id}", field="customer_id"
                )
            if customer.erased_at is not None:
                run.metrics = {"already_erased": True}
                return customer
            user = customer.user
            customer.external_id = f"erased-{customer.pk}"
            customer.email = ""
            customer.user = None
            customer.erased_at = timezone.now()
            customer.save()
            if user is not None:
                _scrub_user(user)
            orders = Order.objects.filter(customer=customer).update(shipping_address="")
            events = Event.objects.filter(customer=customer).update(
                customer=None, session_key=""
            )
            ratings = Rating.objects.filter(customer=customer).delete()[0]
            customer_erased.send(sender=Customer, customer_id=customer.pk)
            run.metrics = {"orders": orders, "events": events, "ratings": ratings}
    logger.info("customer #%s erased by user #%s", customer_id, by_id)
    return customer
