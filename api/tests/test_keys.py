"""API keys: hashed, scoped, expiring, IP-restricted, and ended with the login's access."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import tenant_context

from compliance.api_keys.services import api_key_create
from compliance.models import ApiKey, AuditRecord
from compliance.services import user_2fa_reset, user_deactivate, user_roles_set

from .conftest import key_client, key_for

pytestmark = pytest.mark.django_db


def test_a_key_is_stored_as_a_digest_and_reads_what_its_user_may(tenant_a, holder):
    # given
    user, account = holder
    secret = key_for(tenant_a, user)
    # when
    response = key_client(tenant_a, secret).get("/api/v1/accounts/")
    # then
    assert response.status_code == 200
    assert [a["number"] for a in response.json()["results"]] == [account.number]
    with tenant_context(tenant_a):
        key = ApiKey.objects.get(user=user)
        assert secret.startswith("bpk_") and secret not in (key.digest, key.token_key)
        assert key.last_used_at is not None and key.last_used_ip == "127.0.0.1"
        assert AuditRecord.objects.filter(action="api_key.new_ip", actor_id=user.pk).count() == 1


def test_a_user_without_a_second_factor_gets_no_key(tenant_a, holder):
    user, _ = holder
    with tenant_context(tenant_a), pytest.raises(ValidationError, match="no confirmed second"):
        api_key_create(actor=None, user=user, name="x", scopes=["read"], days=5)
    with tenant_context(tenant_a):
        assert ApiKey.objects.filter(user=user).count() == 0


def test_an_expired_key_is_401_and_kept(tenant_a, holder):
    user, _ = holder
    secret = key_for(tenant_a, user, days=1)
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        response = key_client(tenant_a, secret).get("/api/v1/accounts/")
    assert response.status_code == 401
    with tenant_context(tenant_a):
        assert ApiKey.objects.filter(user=user).count() == 1


def test_a_revoked_key_a_deactivated_or_locked_user_is_401(tenant_a, holder):
    # given three keys of one client
    user, _ = holder
    first, second = key_for(tenant_a, user), key_for(tenant_a, user)
    assert key_client(tenant_a, first).get("/api/v1/accounts/").status_code == 200
    # when the login is locked out after failed logins
    with tenant_context(tenant_a):
        attempt = AccessAttempt.objects.create(
            username=user.username,
            ip_address="198.51.100.7",
            user_agent="x",
            failures_since_start=settings.AXES_FAILURE_LIMIT,
            get_data="",
            post_data="",
            http_accept="",
            path_info="/login/",
        )
    # then its keys stop working until the lockout ends
    assert key_client(tenant_a, first).get("/api/v1/accounts/").status_code == 401
    with tenant_context(tenant_a):
        attempt.delete()
    assert key_client(tenant_a, first).get("/api/v1/accounts/").status_code == 200
    # when the login is deactivated, its keys are revoked (audited) and refused
    with tenant_context(tenant_a):
        user_deactivate(actor=None, user=user)
        assert set(ApiKey.objects.filter(user=user).values_list("revoked_reason", flat=True)) == {
            "user deactivated"
        }
        assert AuditRecord.objects.filter(action="api_key.revoke").count() >= 2
    assert key_client(tenant_a, second).get("/api/v1/accounts/").status_code == 401


def test_role_change_and_second_factor_reset_revoke_keys(tenant_a, holder):
    user, _ = holder
    secret = key_for(tenant_a, user)
    with tenant_context(tenant_a):
        user_roles_set(actor=None, user=user, roles=["Viewer"])
    assert key_client(tenant_a, secret).get("/api/v1/accounts/").status_code == 401
    again = key_for(tenant_a, user)
    with tenant_context(tenant_a):
        user_2fa_reset(actor=None, user=user)
        assert ApiKey.objects.filter(user=user, revoked_at__isnull=True).count() == 0
    assert key_client(tenant_a, again).get("/api/v1/accounts/").status_code == 401


def test_a_key_outside_its_networks_is_403(tenant_a, holder):
    user, _ = holder
    secret = key_for(tenant_a, user, networks=["203.0.113.0/24"])
    assert key_client(tenant_a, secret).get("/api/v1/accounts/").status_code == 403
    inside = key_client(tenant_a, secret, REMOTE_ADDR="203.0.113.9").get("/api/v1/accounts/")
    assert inside.status_code == 200


def test_a_read_key_cannot_post(tenant_a, holder):
    user, account = holder
    secret = key_for(tenant_a, user, scopes=("read",))
    body = {"account": account.pk, "amount": "10", "currency": "USD", "destination": "X"}
    response = key_client(tenant_a, secret).post(
        "/api/v1/withdrawals/", body, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "This API key does not have the scope for this call."


def test_a_key_of_one_tenant_is_unknown_on_another(tenant_a, tenant_b, holder):
    user, _ = holder
    secret = key_for(tenant_a, user)
    assert key_client(tenant_b, secret).get("/api/v1/accounts/").status_code == 401


def test_the_stock_token_is_gone():
    assert "rest_framework.authtoken" not in settings.INSTALLED_APPS
    classes = settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]
    assert "rest_framework.authentication.TokenAuthentication" not in classes


def test_the_security_officers_page_lists_and_revokes_keys(tenant_a, holder):
    # given a key of the client and a Security Officer on the API keys page
    from tests.support.factories import user_make
    from tests.support.tenants import login, tenant_client

    user, _ = holder
    secret = key_for(tenant_a, user)
    officer = user_make(tenant=tenant_a, username="so-page", roles=["Security Officer"], totp=True)
    viewer = user_make(tenant=tenant_a, username="viewer-page", roles=["Viewer"], totp=True)
    page = login(tenant_client(tenant_a), officer, tenant_a)
    with tenant_context(tenant_a):
        key = ApiKey.objects.get(user=user)
    # when a Viewer tries, then the officer revokes it
    assert login(tenant_client(tenant_a), viewer, tenant_a).get(
        "/broker/security/api-keys/"
    ).status_code in (302, 403)
    listing = page.get("/broker/security/api-keys/").content.decode()
    revoked = page.post("/broker/security/api-keys/revoke/", {"key": key.digest})
    # a creation without a fresh password goes to the password page first
    unconfirmed = page.post(
        "/broker/security/api-keys/",
        {"username": user.username, "name": "x", "scopes": ["read"], "days": "5"},
    )
    # then
    assert key.token_key in listing and "active" in listing
    assert revoked.status_code == 302
    assert key_client(tenant_a, secret).get("/api/v1/accounts/").status_code == 401
    assert unconfirmed.status_code == 302 and "/reauth/" in unconfirmed["Location"]
    with tenant_context(tenant_a):
        assert ApiKey.objects.filter(user=user).count() == 1
        assert AuditRecord.objects.filter(action="api_key.revoke", actor_id=officer.pk).count() == 1


def test_the_101st_call_of_a_key_in_a_minute_over_a_limit_of_100_is_429(tenant_a, holder, settings):
    # given a limit of 100 calls a minute per key (the user's own limit higher)
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "10/minute", "user": "1000/minute", "key": "100/minute"},
    }
    user, _ = holder
    client = key_client(tenant_a, key_for(tenant_a, user))
    other_key = key_client(tenant_a, key_for(tenant_a, user))
    # when
    with time_machine.travel(timezone.now(), tick=False):
        answers = [client.get("/api/v1/events/").status_code for _ in range(101)]
        other = other_key.get("/api/v1/events/")
    # then
    assert answers[:100] == [200] * 100 and answers[100] == 429
    assert other.status_code == 200
