"""OWASP ASVS 5.0 Level 2, passkeys (django-otp-webauthn): one as the second factor after the
password, passwordless sign-in only where the tenant allows it, the relying party bound to the
tenant's host, a fresh password to add one, and enrolment, use, refusal and removal audited.
A software authenticator (tests/support/passkeys.py) answers the ceremonies; the browser test
(tests/browser/test_passkeys.py) does the same with Chromium's virtual authenticator."""

import json
import time

from django.db import connection
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from django_tenants.utils import tenant_context

from compliance.models import AuditRecord
from compliance.services import security_settings_update
from tests.support.factories import PASSWORD, user_make
from tests.support.passkeys import SoftAuthenticator, passkey_authenticate, passkey_register
from tests.support.tenants import login, tenant_client

HOST = "tenant-a.test"


def _authenticator(host: str = HOST) -> SoftAuthenticator:
    return SoftAuthenticator(rp_id=host, origin=f"http://{host}")


def _full_login(tenant, username):
    """Password, then the TOTP code: a verified session whose password is fresh."""
    client = tenant_client(tenant)
    client.post("/login/", {"username": username, "password": PASSWORD})
    with tenant_context(tenant):
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    connection.set_schema_to_public()
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits)
    generator.time = time.time()
    assert client.post("/auth/verify/", {"code": f"{generator.token():06d}"}).status_code == 302
    return client


def _audit(tenant, target):
    with tenant_context(tenant):
        return list(
            AuditRecord.objects.filter(target=target)
            .order_by("id")
            .values_list("action", "details")
        )


def test_v6_3_3_passkey_is_the_second_factor_after_the_password(tenant_a):
    # given: a client who added a passkey on the security page
    user_make(tenant=tenant_a, username="pk-client", roles=["Client"], totp=True)
    authenticator = _authenticator()
    client = _full_login(tenant_a, "pk-client")
    security = client.get("/security/")
    options = client.post("/auth/passkeys/registration/begin/").json()
    client.post("/auth/passkeys/registration/begin/")  # the options above are not reused
    registered = passkey_register(client, authenticator)
    # then: bound to the tenant's host, stored for this user
    assert b'id="passkey-registration-placeholder"' in security.content
    assert b"django_otp_webauthn/otp_webauthn_register.js" in security.content
    assert (options["rp"]["id"], options["rp"]["name"]) == (HOST, "Tenant A Securities")
    assert registered.status_code == 200
    with tenant_context(tenant_a):
        passkey = WebAuthnCredential.objects.get(user__username="pk-client")
    assert registered.json() == {"id": passkey.pk}
    # when: a new login, the password step, then the passkey
    fresh = tenant_client(tenant_a)
    step = fresh.post("/login/", {"username": "pk-client", "password": PASSWORD})
    verify_page = fresh.get(step["Location"])
    blocked = fresh.get("/")
    used = passkey_authenticate(fresh, authenticator, next_url="/positions/")
    # then
    assert b'id="passkey-verification-button"' in verify_page.content.replace(b"\n", b"")
    assert blocked["Location"] == "/auth/verify/?next=%2F"
    assert used.status_code == 200
    assert used.json() == {"id": passkey.pk, "redirect_url": "/positions/"}
    assert fresh.get("/").status_code == 200
    assert [action for action, _ in _audit(tenant_a, "user:pk-client")] == [
        "login",
        "2fa.verify",
        "2fa.passkey_enrol",
        "login",
        "2fa.verify",
    ]
    trail = _audit(tenant_a, "user:pk-client")
    enrol, use = trail[2][1], trail[4][1]
    zero_aaguid = "00000000-0000-0000-0000-000000000000"
    assert enrol == {"passkey": passkey.pk, "aaguid": zero_aaguid, "discoverable": True}
    assert use == {"method": "passkey", "passkey": passkey.pk}


def test_v7_5_1_adding_a_passkey_needs_a_fresh_password(tenant_a):
    # given: a verified session whose password entry is not recent
    user = user_make(tenant=tenant_a, username="pk-stale", roles=["Client"], totp=True)
    client = login(tenant_client(tenant_a), user, tenant_a)
    # when
    page = client.get("/security/")
    begin = client.post("/auth/passkeys/registration/begin/")
    # then
    assert page["Location"] == "/auth/reauth/?next=%2Fsecurity%2F"
    assert begin.status_code == 403
    assert begin.json()["code"] == "reauth_required"
    # when: the password again
    client.post("/auth/reauth/", {"password": PASSWORD})
    # then
    assert client.get("/security/").status_code == 200
    assert passkey_register(client, _authenticator()).status_code == 200


def test_v6_3_3_a_session_at_the_password_step_cannot_add_a_passkey(tenant_a):
    # given: a client with an authenticator who has only entered the password
    user_make(tenant=tenant_a, username="pk-halfway", roles=["Client"], totp=True)
    client = tenant_client(tenant_a)
    client.post("/login/", {"username": "pk-halfway", "password": PASSWORD})
    # when
    begin = client.post("/auth/passkeys/registration/begin/")
    # then
    assert begin.status_code == 403
    assert begin.json()["code"] == "user_not_verified"
    with tenant_context(tenant_a):
        assert not WebAuthnCredential.objects.filter(user__username="pk-halfway").exists()


def test_v6_3_3_passkey_of_another_user_or_host_is_refused_and_audited(tenant_a):
    # given: a passkey of one user, and another user at the second-factor step
    user_make(tenant=tenant_a, username="pk-owner", roles=["Client"], totp=True)
    user_make(tenant=tenant_a, username="pk-other", roles=["Client"], totp=True)
    owners = _authenticator()
    assert passkey_register(_full_login(tenant_a, "pk-owner"), owners).status_code == 200
    other = tenant_client(tenant_a)
    other.post("/login/", {"username": "pk-other", "password": PASSWORD})
    # when: the owner's passkey for the other user, then one answering for another host
    mismatch = passkey_authenticate(other, owners)
    owner = tenant_client(tenant_a)
    owner.post("/login/", {"username": "pk-owner", "password": PASSWORD})
    phished = SoftAuthenticator(rp_id=HOST, origin="http://tenant-a.evil.test")
    phished.key, phished.credential_id = owners.key, owners.credential_id
    phished.sign_count = owners.sign_count
    wrong_origin = passkey_authenticate(owner, phished)
    # then
    assert (mismatch.status_code, mismatch.json()["code"]) == (403, "credential_user_mismatch")
    assert wrong_origin.status_code == 422
    assert other.get("/")["Location"] == "/auth/verify/?next=%2F"
    assert owner.get("/")["Location"] == "/auth/verify/?next=%2F"
    assert _audit(tenant_a, "user:pk-other")[-1] == (
        "2fa.failed",
        {"method": "passkey", "reason": "credential_user_mismatch"},
    )
    assert _audit(tenant_a, "user:pk-owner")[-1] == (
        "2fa.failed",
        {"method": "passkey", "reason": "invalid_authentication_response"},
    )


def test_v6_3_3_passwordless_sign_in_only_where_the_tenant_allows_it(tenant_a):
    # given: a staff login with a passkey
    user_make(tenant=tenant_a, username="pk-staff", roles=["Viewer"], totp=True)
    authenticator = _authenticator()
    assert passkey_register(_full_login(tenant_a, "pk-staff"), authenticator).status_code == 200
    anonymous = tenant_client(tenant_a)
    # when: the tenant's default
    login_page = anonymous.get("/login/")
    refused = anonymous.post("/auth/passkeys/authentication/begin/")
    # then
    assert b"passkey-verification-button" not in login_page.content
    assert (refused.status_code, refused.json()["code"]) == (403, "passwordless_login_disabled")
    # when: the tenant allows it
    with tenant_context(tenant_a):
        security_settings_update(actor=None, passkey_login_allowed=True)
    connection.set_schema_to_public()
    login_page = anonymous.get("/login/")
    signed_in = passkey_authenticate(anonymous, authenticator)
    # then: signed in with the second factor confirmed, where staff go
    assert b"passkey-verification-button" in login_page.content
    assert signed_in.status_code == 200
    assert signed_in.json()["redirect_url"] == "/broker/"
    assert anonymous.get("/broker/").status_code == 200
    action, details = _audit(tenant_a, "user:pk-staff")[-1]
    assert (action, details["method"]) == ("login", "passkey")


def test_v6_3_3_unknown_passkey_signing_in_without_password_is_refused_and_audited(tenant_a):
    # given
    with tenant_context(tenant_a):
        security_settings_update(actor=None, passkey_login_allowed=True)
    connection.set_schema_to_public()
    anonymous = tenant_client(tenant_a)
    # when
    response = passkey_authenticate(anonymous, _authenticator())
    # then
    assert (response.status_code, response.json()["code"]) == (404, "credential_not_found")
    assert anonymous.get("/")["Location"] == "/login/?next=/"
    with tenant_context(tenant_a):
        record = AuditRecord.objects.filter(action="login.failed").latest("id")
    assert record.details == {"method": "passkey", "reason": "credential_not_found"}


def test_v16_3_1_passkey_removal_is_audited_and_only_the_users_own(tenant_a):
    # given: two users with a passkey each
    user_make(tenant=tenant_a, username="pk-remover", roles=["Client"], totp=True)
    user_make(tenant=tenant_a, username="pk-keeper", roles=["Client"], totp=True)
    remover = _full_login(tenant_a, "pk-remover")
    passkey_register(remover, _authenticator())
    passkey_register(_full_login(tenant_a, "pk-keeper"), _authenticator())
    with tenant_context(tenant_a):
        mine = WebAuthnCredential.objects.get(user__username="pk-remover")
        theirs = WebAuthnCredential.objects.get(user__username="pk-keeper")
    # when
    foreign = remover.post("/security/passkeys/remove/", {"passkey": theirs.pk})
    removed = remover.post("/security/passkeys/remove/", {"passkey": mine.pk})
    # then
    assert foreign.status_code == 404
    assert removed["Location"] == "/security/"
    with tenant_context(tenant_a):
        left = sorted(WebAuthnCredential.objects.values_list("user__username", flat=True))
    assert "pk-remover" not in left and "pk-keeper" in left
    assert _audit(tenant_a, "user:pk-remover")[-1] == (
        "2fa.passkey_remove",
        {"passkey": mine.pk, "name": mine.name},
    )
    assert [a for a, _ in _audit(tenant_a, "user:pk-keeper")][-1] == "2fa.passkey_enrol"


def test_v6_5_6_a_2fa_reset_revokes_passkeys_too(tenant_a):
    # given
    from compliance.services import recovery_codes_regenerate, user_2fa_reset

    user = user_make(tenant=tenant_a, username="pk-reset", roles=["Client"], totp=True)
    with tenant_context(tenant_a):
        recovery_codes_regenerate(user=user, audit=False)
    passkey_register(_full_login(tenant_a, "pk-reset"), _authenticator())
    # when
    with tenant_context(tenant_a):
        removed = user_2fa_reset(actor=None, user=user)
        left = WebAuthnCredential.objects.filter(user=user).count()
    # then: the TOTP device, the recovery codes and the passkey
    assert (removed, left) == (3, 0)


def test_v3_4_3_passkey_pages_load_their_scripts_from_our_origin(tenant_a):
    # given
    user_make(tenant=tenant_a, username="pk-csp", roles=["Client"], totp=True)
    client = _full_login(tenant_a, "pk-csp")
    passkey_register(client, _authenticator())
    # when
    page = client.get("/security/").content.decode()
    catalog = client.get("/auth/passkeys/jsi18n/")
    # then: no inline script but the JSON configuration, scripts from /static/ and our host
    assert '<script id="otp_webauthn_config" type="application/json">' in page
    assert 'src="/static/django_otp_webauthn/otp_webauthn_register.js"' in page
    assert 'src="/static/clientportal/passkeys.js"' in page
    assert 'src="/auth/passkeys/jsi18n/"' in page
    assert "https://" not in page.split("<main", 1)[1]
    assert catalog.status_code == 200
    config = json.loads(page.split('type="application/json">', 1)[1].split("</script>", 1)[0])
    assert config["beginRegistrationUrl"] == "/auth/passkeys/registration/begin/"
