"""Brute-force protection of sign-ins (django-axes), shared by the admin, the
storefront and the API.

django-axes (``axes.backends.AxesStandaloneBackend`` first in
``AUTHENTICATION_BACKENDS``) counts failed sign-ins per account and, separately, per
client address (``AXES_LOCKOUT_PARAMETERS``). After ``AXES_FAILURE_LIMIT`` failures
that account or address is locked for ``AXES_COOLOFF_TIME``, even with the right
password; a success resets the count. Every sign-in that calls
``django.contrib.auth.authenticate`` with the request is covered: the admin login,
the storefront's customer login and the API's HTTP Basic authentication. An admin
unlocks by deleting the account's rows under *Axes: Access attempts* (or
``manage.py axes_reset_username <name>`` / ``axes_reset_ip <address>``).

This module adds what the API needs: :class:`BasicAuthentication` answers a locked-out
client 429 with ``Retry-After`` instead of the generic 401, and
:func:`client_ip_address` picks the client's address behind the TLS proxy.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.authentication import BasicScheme
from rest_framework import authentication, exceptions


def client_ip_address(request) -> str:
    """The client's address: ``REMOTE_ADDR``, or behind our TLS proxy
    (``BEHIND_TLS_PROXY``) the last address of ``X-Forwarded-For`` (the one the proxy
    added; earlier ones are client-supplied and may be forged)."""
    meta = request.META
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return meta.get("REMOTE_ADDR", "")


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out sign-in gets (``AXES_LOCKOUT_CALLABLE``): 429, how many
    failures, how long to wait (minutes) and who can unlock."""
    from django.shortcuts import render

    cool_off = getattr(settings, "AXES_COOLOFF_TIME", None)
    minutes = round(cool_off.total_seconds() / 60) if cool_off else 0
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    response = render(request, "core/signin_locked.html", context, status=429)
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response


class SignInLocked(exceptions.Throttled):
    """429: too many failed sign-ins for this account or address."""

    default_detail = "Too many failed sign-ins; this account or address is locked."
    default_code = "sign_in_locked"


class BasicAuthentication(authentication.BasicAuthentication):
    """DRF's HTTP Basic authentication; a locked-out client gets 429 + Retry-After."""

    def authenticate_credentials(self, userid, password, request=None):
        if "\x00" in userid or "\x00" in password:
            # No account has one, and PostgreSQL refuses NUL in text (a 500 before).
            raise exceptions.AuthenticationFailed("Invalid username/password.")
        try:
            return super().authenticate_credentials(userid, password, request)
        except exceptions.AuthenticationFailed:
            if getattr(request, "axes_locked_out", False):
                cool_off = getattr(settings, "AXES_COOLOFF_TIME", None)
                wait = cool_off.total_seconds() if cool_off else None
                raise SignInLocked(wait=wait)
            raise


class LockoutBasicScheme(BasicScheme):
    """Documents :class:`BasicAuthentication` as HTTP Basic in the OpenAPI schema
    (drf-spectacular registers an extension when its class is defined)."""

    target_class = "core.signin.BasicAuthentication"
