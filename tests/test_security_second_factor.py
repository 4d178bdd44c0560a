"""OWASP ASVS 5.0 Level 2, second factors: a factor that exists is always asked for, enrolment
and the Security Officer's weakening actions need a fresh password, recovery codes are stored as
salted hashes and accepted once under concurrency, one audited password reset, and a staff
e-mail change that needs the password. Each test is named after the requirement it proves."""

import importlib
import secrets
import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import identify_hasher
from django.core import mail
from django.db import connection
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import tenant_context
from guardian.models import UserObjectPermission

from compliance.models import AuditRecord, SecuritySettings
from compliance.otp_recovery.models import RecoveryCode, RecoveryCodeDevice
from compliance.services import (
    recovery_codes_regenerate,
    second_factor_verify,
    security_settings_update,
    user_2fa_reset,
)
from tests.support.factories import PASSWORD, account_make, user_make
from tests.support.tenants import login, tenant_client

BASE = "/broker/security"


def _code(device: TOTPDevice) -> str:
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits)
    generator.time = time.time()
    return f"{generator.token():0{device.digits}d}"


def _password_step(client, username, next_url=""):
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post("/login/", data)


def _actions(tenant, target):
    with tenant_context(tenant):
        return list(
            AuditRecord.objects.filter(target=target)
            .order_by("id")
            .values_list("action", flat=True)
        )


# --- a factor that exists is always asked for -----------------------------------------------


def test_v6_3_3_client_with_a_second_factor_must_use_it_when_the_tenant_does_not_require_one(
    tenant_a,
):
    # given: client 2FA switched off, and a client who enrolled an authenticator anyway
    with tenant_context(tenant_a):
        security_settings_update(actor=None, client_2fa_required=False)
    user_make(tenant=tenant_a, username="optional-2fa", roles=["Client"], totp=True)
    client = tenant_client(tenant_a)
    # when: the password step alone
    step = _password_step(client, "optional-2fa")
    home = client.get("/")
    withdrawal = client.get("/transfers/withdraw/")
    # then: the portal and the withdrawal (whose re-authentication a login stamps) wait for it
    assert step["Location"] == "/auth/verify/?next=%2F"
    assert home["Location"] == "/auth/verify/?next=%2F"
    assert withdrawal["Location"] == "/auth/verify/?next=%2Ftransfers%2Fwithdraw%2F"
    # when: the code
    with tenant_context(tenant_a):
        code = _code(TOTPDevice.objects.get(user__username="optional-2fa"))
    verified = client.post("/auth/verify/", {"code": code, "next": "/"})
    # then
    assert verified["Location"] == "/"
    assert client.get("/").status_code == 200


def test_v6_3_3_client_without_a_factor_is_not_asked_when_the_tenant_does_not_require_one(
    tenant_a,
):
    # given
    with tenant_context(tenant_a):
        security_settings_update(actor=None, client_2fa_required=False)
    user_make(tenant=tenant_a, username="no-2fa", roles=["Client"])
    client = tenant_client(tenant_a)
    # when
    step = _password_step(client, "no-2fa")
    # then
    assert step["Location"] == "/"
    assert client.get("/").status_code == 200


# --- enrolment after a reset ------------------------------------------------------------------


def test_v7_5_1_first_enrolment_after_a_2fa_reset_needs_the_password(tenant_a):
    # given: a verified session whose password was entered long ago, then a 2FA reset
    user = user_make(tenant=tenant_a, username="was-reset", roles=["Client"], totp=True)
    officer = user_make(tenant=tenant_a, username="so-reset", roles=["Security Officer"])
    client = login(tenant_client(tenant_a), user, tenant_a)
    with tenant_context(tenant_a):
        user_2fa_reset(actor=officer, user=user, ip="10.0.0.1")
    # when: the old session is sent to enrolment
    home = client.get("/")
    enrol = client.get("/auth/enrol/?next=/")
    # then: it must enter the password before an authenticator is made for it
    assert home["Location"] == "/auth/enrol/?next=%2F"
    assert enrol["Location"] == "/auth/reauth/?next=%2Fauth%2Fenrol%2F%3Fnext%3D%2F"
    with tenant_context(tenant_a):
        assert TOTPDevice.objects.filter(user=user).count() == 0
    # when: the password
    back = client.post("/auth/reauth/", {"password": PASSWORD, "next": "/auth/enrol/?next=/"})
    page = client.get(back["Location"])
    # then
    assert back["Location"] == "/auth/enrol/?next=/"
    assert page.status_code == 200
    with tenant_context(tenant_a):
        assert TOTPDevice.objects.filter(user=user, confirmed=False).count() == 1


def test_v7_2_4_re_authentication_gets_a_new_session_key(tenant_a):
    # given
    user = user_make(tenant=tenant_a, username="rekey", roles=["Client"])
    client = login(tenant_client(tenant_a), user, tenant_a)
    before = client.cookies["sessionid"].value
    # when
    response = client.post("/auth/reauth/", {"password": PASSWORD, "next": "/"})
    # then
    assert response["Location"] == "/"
    assert client.cookies["sessionid"].value != before


# --- recovery codes ---------------------------------------------------------------------------


def test_v6_5_2_recovery_codes_are_stored_as_salted_hashes(tenant_a):
    # given: two logins given the same codes
    first = user_make(tenant=tenant_a, username="hashed-1", roles=["Client"], totp=True)
    second = user_make(tenant=tenant_a, username="hashed-2", roles=["Client"], totp=True)
    codes = ["0a1b2c3d4e", "5f6a7b8c9d"]
    # when
    with tenant_context(tenant_a):
        for user in (first, second):
            recovery_codes_regenerate(user=user, codes=codes, audit=False)
        stored = {
            user.username: list(
                RecoveryCode.objects.filter(device__user=user)
                .order_by("pk")
                .values_list("code_hash", flat=True)
            )
            for user in (first, second)
        }
        clear = StaticToken.objects.filter(device__user__in=[first, second]).count()
    # then: no clear code anywhere, each hash salted (same code, different hashes)
    assert clear == 0
    hashes = stored["hashed-1"] + stored["hashed-2"]
    assert len(hashes) == 4 and len(set(hashes)) == 4
    assert not any(code in stored_hash for code in codes for stored_hash in hashes)
    assert {identify_hasher(h).algorithm for h in hashes} == {"md5"}  # test settings' hasher
    # and a code works once, at the second-factor step
    results = []
    for _ in range(2):
        client = tenant_client(tenant_a)
        _password_step(client, "hashed-1")
        results.append(client.post("/auth/verify/", {"code": "0A1B 2C3D4E"}).status_code)
    assert results == [302, 200]
    with tenant_context(tenant_a):
        assert RecoveryCode.objects.filter(device__user=first).count() == 1
    assert _actions(tenant_a, "user:hashed-1") == [
        "login",
        "2fa.verify",
        "login",
        "2fa.failed",
    ]


def test_v6_5_2_recovery_codes_stored_in_clear_are_migrated_to_hashes(tenant_a):
    # given: codes stored the old way (django-otp static tokens in clear)
    user = user_make(tenant=tenant_a, username="legacy-codes", roles=["Client"], totp=True)
    with tenant_context(tenant_a):
        legacy = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
        StaticToken.objects.bulk_create(
            StaticToken(device=legacy, token=t) for t in ("aaaa111111", "bbbb222222")
        )
        test_login = StaticDevice.objects.create(user=user, name="test login", confirmed=True)
        migration = importlib.import_module(
            "compliance.otp_recovery.migrations.0002_recovery_codes_from_static_tokens"
        )
        from django.apps import apps

        # when
        migration.recovery_codes_hash(apps, None)
        # then: the clear rows are gone, other static devices stay, the codes still work once
        assert not StaticDevice.objects.filter(pk=legacy.pk).exists()
        assert StaticToken.objects.filter(device__user=user).count() == 0
        assert StaticDevice.objects.filter(pk=test_login.pk).exists()
        device = RecoveryCodeDevice.objects.get(user=user)
        assert (device.name, device.confirmed, device.codes.count()) == ("recovery codes", True, 2)
        assert "aaaa111111" not in "".join(device.codes.values_list("code_hash", flat=True))
        assert second_factor_verify(user=user, token="aaaa111111") == device
        assert second_factor_verify(user=user, token="bbbb222222") == device
        assert second_factor_verify(user=user, token="aaaa111111") is None


def _in_threads(count, work):
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        try:
            barrier.wait()
            results[index] = work(index)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.parametrize("kind", ["recovery code", "totp code"])
def test_v6_5_1_concurrent_requests_accept_one_code_once(django_db_setup, committed_db, kind):
    # given: a committed login with a TOTP device and recovery codes, and 8 sessions of it
    from tenants.models import Tenant

    tenant = Tenant.objects.get(schema_name="tenant_a")
    username = f"race-{secrets.token_hex(3)}"
    with tenant_context(tenant):
        user = get_user_model().objects.create_user(username=username, password=PASSWORD)
        device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
        codes = recovery_codes_regenerate(user=user, audit=False)
        code = codes[0] if kind == "recovery code" else _code(device)
        clients = [tenant_client(tenant) for _ in range(8)]
        for client in clients:
            client.force_login(user)
    connection.set_schema_to_public()
    try:
        # when: all 8 send the same code at once
        statuses = _in_threads(
            8, lambda i: clients[i].post("/auth/verify/", {"code": code}).status_code
        )
        # then: one is let in, seven are refused
        assert sorted(statuses) == [200] * 7 + [302]
        with tenant_context(tenant):
            assert RecoveryCode.objects.filter(device__user=user).count() == (
                9 if kind == "recovery code" else 10
            )
    finally:
        with tenant_context(tenant):
            get_user_model().objects.filter(pk=user.pk).delete()
        connection.set_schema_to_public()


# --- the Security Officer's weakening actions -------------------------------------------------


def _officer(tenant):
    officer = user_make(tenant=tenant, username="so-weaken", roles=["Security Officer"])
    return login(tenant_client(tenant), officer, tenant)


def test_v7_5_3_security_officer_2fa_reset_needs_a_fresh_password(tenant_a):
    # given: an officer whose password entry is not recent
    client = _officer(tenant_a)
    person = user_make(tenant=tenant_a, username="keep-2fa", roles=["Client"], totp=True)
    page = f"{BASE}/users/{person.pk}/"
    # when
    refused = client.post(f"{page}reset-2fa/")
    # then: to the password page and back to the user's page; nothing changed
    assert refused["Location"] == f"/auth/reauth/?next={page.replace('/', '%2F')}"
    with tenant_context(tenant_a):
        assert TOTPDevice.objects.filter(user=person).count() == 1
    assert _actions(tenant_a, "user:keep-2fa") == []
    # when: the password, then the action again
    back = client.post("/auth/reauth/", {"password": PASSWORD, "next": page})
    done = client.post(f"{page}reset-2fa/")
    # then
    assert back["Location"] == page
    assert done["Location"] == page
    with tenant_context(tenant_a):
        assert TOTPDevice.objects.filter(user=person).count() == 0
    assert _actions(tenant_a, "user:keep-2fa") == ["2fa.reset"]


def test_v7_5_3_security_officer_fund_grant_needs_a_fresh_password(tenant_a):
    # given
    client = _officer(tenant_a)
    account = account_make(tenant=tenant_a)
    person = user_make(tenant=tenant_a, username="fund-me", roles=["Client"])
    page = f"{BASE}/users/{person.pk}/"
    # when: a view grant goes through, a fund grant waits for the password
    viewing = client.post(f"{page}grant/", {"accounts": account.number, "rights": ["view"]})
    funding = client.post(f"{page}grant/", {"accounts": account.number, "rights": ["fund"]})
    # then
    assert viewing["Location"] == page
    assert funding["Location"] == f"/auth/reauth/?next={page.replace('/', '%2F')}"
    with tenant_context(tenant_a):
        codenames = sorted(
            UserObjectPermission.objects.filter(user=person).values_list(
                "permission__codename", flat=True
            )
        )
    assert codenames == ["view_account"]
    # when
    client.post("/auth/reauth/", {"password": PASSWORD, "next": page})
    client.post(f"{page}grant/", {"accounts": account.number, "rights": ["fund"]})
    # then
    with tenant_context(tenant_a):
        codenames = sorted(
            UserObjectPermission.objects.filter(user=person).values_list(
                "permission__codename", flat=True
            )
        )
    assert codenames == ["fund_account", "view_account"]
    assert _actions(tenant_a, "user:fund-me") == ["access.grant", "access.grant"]


def test_v7_5_3_security_officer_turning_client_2fa_off_needs_a_fresh_password(tenant_a):
    # given
    client = _officer(tenant_a)
    weaker = {
        "client_idle_timeout_minutes": 30,
        "absolute_session_hours": 12,
        "client_2fa_required": "",  # unchecked
    }
    stricter = {**weaker, "client_2fa_required": "on", "client_idle_timeout_minutes": 20}
    # when: a stricter change goes through, a weaker one waits for the password
    tightened = client.post(f"{BASE}/settings/", stricter)
    refused = client.post(f"{BASE}/settings/", weaker)
    # then
    assert tightened["Location"] == f"{BASE}/settings/"
    assert refused["Location"] == "/auth/reauth/?next=%2Fbroker%2Fsecurity%2Fsettings%2F"
    with tenant_context(tenant_a):
        current = SecuritySettings.objects.get()
        assert (current.client_2fa_required, current.client_idle_timeout_minutes) == (True, 20)
    # when
    client.post("/auth/reauth/", {"password": PASSWORD})
    done = client.post(f"{BASE}/settings/", weaker)
    # then
    assert done["Location"] == f"{BASE}/settings/"
    with tenant_context(tenant_a):
        current = SecuritySettings.objects.get()
        assert (current.client_2fa_required, current.client_idle_timeout_minutes) == (False, 30)
    assert _actions(tenant_a, "tenant") == ["settings.security", "settings.security"]


# --- one password reset; the staff e-mail address ---------------------------------------------


def test_v6_3_4_wagtail_password_reset_is_not_a_second_way_in(tenant_a):
    # given: a staff login with an e-mail address
    user_make(tenant=tenant_a, username="staff-reset@example.com", roles=["Viewer"])
    client = tenant_client(tenant_a)
    # when: Wagtail's own reset pages
    form = client.get("/broker/password_reset/")
    sent = client.post("/broker/password_reset/", {"email": "staff-reset@example.com"})
    # then: gone; the audited one of the portal answers
    assert (form.status_code, sent.status_code) == (404, 404)
    assert mail.outbox == []
    assert client.get("/auth/reset/").status_code == 200


def _account_form_data(response, **changes) -> dict:
    """Every field of the account page's panels as shown, then `changes`."""
    data = {}
    for panels in response.context["panels_by_tab"].values():
        for panel in panels:
            form = panel.get_form()
            for name, field in form.fields.items():
                value = form[name].value()
                if value not in (None, "") and getattr(field.widget, "input_type", "") not in (
                    "file",
                    "password",
                ):
                    data[f"{form.prefix}-{name}"] = value
    data.update(changes)
    return data


def test_v7_5_1_staff_email_change_needs_the_password(tenant_a):
    # given: a verified staff login on its account page
    user = user_make(tenant=tenant_a, username="mail-staff", roles=["Viewer"])
    with tenant_context(tenant_a):
        get_user_model().objects.filter(pk=user.pk).update(first_name="Mia", last_name="Staff")
    client = login(tenant_client(tenant_a), user, tenant_a)
    page = client.get("/broker/account/")
    new = "mia.new@example.com"
    # when: a new address without, then with a wrong password
    without = client.post("/broker/account/", _account_form_data(page, **{"email-email": new}))
    wrong = client.post(
        "/broker/account/",
        _account_form_data(page, **{"email-email": new, "email-password": "not-my-password"}),
    )
    # then: refused, nothing changed
    assert b'name="name_email-email"' not in page.content  # Wagtail's own field is off
    assert (without.status_code, wrong.status_code) == (200, 200)
    assert b"Enter your current password to change the address." in wrong.content
    with tenant_context(tenant_a):
        assert get_user_model().objects.get(pk=user.pk).email == "mail-staff@example.com"
    assert _actions(tenant_a, "user:mail-staff") == []
    # when: with the password
    done = client.post(
        "/broker/account/",
        _account_form_data(page, **{"email-email": new, "email-password": PASSWORD}),
    )
    # then
    assert done["Location"] == "/broker/account/"
    with tenant_context(tenant_a):
        assert get_user_model().objects.get(pk=user.pk).email == new
        record = AuditRecord.objects.get(target="user:mail-staff")
    assert (record.action, record.details) == (
        "user.email_change",
        {"before": "mail-staff@example.com", "after": new},
    )
