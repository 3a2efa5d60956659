"""Issue 16 defect 5: repeated failed sign-ins lock the account and the address.

Before the fix, 40 wrong admin passwords and then the right one signed in, and failed
API Basic authentication was never slowed down.
"""

from __future__ import annotations

import base64

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

RIGHT, WRONG = "right-horse-battery", "wrong-password"


@pytest.fixture
def staff(django_user_model, settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return django_user_model.objects.create_user(
        "boss", password=RIGHT, is_staff=True, is_superuser=True
    )


def _admin_login(client, username, password, ip):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_admin_account_is_locked_after_repeated_failures_even_with_the_right_password(
    staff,
):
    attacker = Client()
    for _ in range(4):
        assert _admin_login(attacker, "boss", WRONG, "10.1.0.1").status_code == 200
    # the 5th failure (AXES_FAILURE_LIMIT) locks
    assert _admin_login(attacker, "boss", WRONG, "10.1.0.1").status_code == 429
    response = _admin_login(attacker, "boss", RIGHT, "10.1.0.1")
    assert response.status_code == 429 and not _signed_in(attacker)
    page = response.content.decode()
    assert "5 failed sign-ins" in page and "Try again in 15 minutes" in page
    assert response["Retry-After"] == "900"
    # per account: the right password from another address is refused too
    elsewhere = Client()
    assert _admin_login(elsewhere, "boss", RIGHT, "10.1.0.2").status_code == 429
    assert not _signed_in(elsewhere)


def test_an_address_is_locked_across_accounts(staff, django_user_model):
    django_user_model.objects.create_user("ann", password=RIGHT, is_staff=True)
    spray = Client()
    for name in ("u1", "u2", "u3", "u4", "u5"):  # one try per account, same address
        _admin_login(spray, name, WRONG, "10.2.0.1")
    assert _admin_login(spray, "ann", RIGHT, "10.2.0.1").status_code == 429
    other = Client()  # ann from her own address is not affected
    assert _admin_login(other, "ann", RIGHT, "10.2.0.9").status_code == 302
    assert _signed_in(other)


def test_an_admin_unlocks_an_account(staff, django_user_model):
    from axes.models import AccessAttempt

    for _ in range(5):
        _admin_login(Client(), "boss", WRONG, "10.3.0.1")
    assert _admin_login(Client(), "boss", RIGHT, "10.3.0.2").status_code == 429
    admin = django_user_model.objects.create_user(
        "ops", password=RIGHT, is_staff=True, is_superuser=True
    )
    operator = Client()
    operator.force_login(admin)
    attempts = AccessAttempt.objects.filter(username="boss")
    assert attempts.exists()
    changelist = "/admin/axes/accessattempt/"
    assert operator.get(changelist).status_code == 200
    response = operator.post(
        changelist,
        {
            "action": "delete_selected",
            "_selected_action": [a.pk for a in attempts],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="boss").exists()
    again = Client()
    assert _admin_login(again, "boss", RIGHT, "10.3.0.2").status_code == 302
    assert _signed_in(again)


def _basic(username, password):
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def test_api_basic_auth_is_locked_with_429_and_retry_after(staff):
    client = Client()
    url = "/api/v1/products/"
    for _ in range(4):
        response = client.get(url, REMOTE_ADDR="10.4.0.1", **_basic("boss", WRONG))
        assert response.status_code in (401, 403)
    response = client.get(url, REMOTE_ADDR="10.4.0.1", **_basic("boss", WRONG))
    assert response.status_code == 429
    response = client.get(url, REMOTE_ADDR="10.4.0.1", **_basic("boss", RIGHT))
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 15 * 60
    assert response.json()["error"] == "sign_in_locked", response.json()
    fresh = client.get(url, REMOTE_ADDR="10.4.0.7", **_basic("boss", RIGHT))
    assert fresh.status_code == 429  # the account, from anywhere


def test_storefront_customer_login_is_locked_too(staff, django_user_model):
    django_user_model.objects.create_user("cust@example.com", password=RIGHT)
    client = Client()
    for _ in range(5):
        client.post(
            "/account/login/",
            {"username": "cust@example.com", "password": WRONG},
            REMOTE_ADDR="10.5.0.1",
        )
    response = client.post(
        "/account/login/",
        {"username": "cust@example.com", "password": RIGHT},
        REMOTE_ADDR="10.5.0.1",
    )
    assert response.status_code == 429 and not _signed_in(client)


def test_client_address_behind_the_tls_proxy(settings, rf):
    from core.signin import client_ip_address

    request = rf.get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8"
    )
    settings.SECURE_PROXY_SSL_HEADER = None
    assert client_ip_address(request) == "10.0.0.1"  # no proxy: the header is ignored
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client_ip_address(request) == "5.6.7.8"  # the hop our proxy added


@pytest.mark.parametrize("behind_proxy", [False, True])
def test_a_forged_forwarded_for_header_does_not_dodge_the_throttle(
    behind_proxy, monkeypatch, settings
):
    """Throttles count REMOTE_ADDR, or behind our TLS proxy the hop it added; the
    earlier, client-supplied X-Forwarded-For hops are ignored."""
    import runpy
    from pathlib import Path

    from django.core.cache import cache
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setenv("BEHIND_TLS_PROXY", "true" if behind_proxy else "false")
    root = Path(__file__).resolve().parents[2]
    rest = runpy.run_path(str(root / "config" / "settings.py"))["REST_FRAMEWORK"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "NUM_PROXIES": rest.get("NUM_PROXIES"),
    }
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/min"})
    cache.clear()
    client = Client()

    def get(forged, real):
        remote, hops = (("10.0.0.1", f"{forged}, {real}") if behind_proxy
                        else (real, forged))  # fmt: skip
        return client.get(
            "/api/v1/categories/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=hops
        ).status_code

    forged = ["7.7.7.1", "7.7.7.2", "7.7.7.3"]  # a new forged address each time
    assert [get(f, "1.1.1.1") for f in forged] == [200, 200, 429]
    assert get("7.7.7.4", "2.2.2.2") == 200  # another real client
