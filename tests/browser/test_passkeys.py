"""Passkeys in a real browser, with Chromium's virtual authenticator (DevTools WebAuthn domain):
log in with password and TOTP, add a passkey on the security page, log out, then log in with
the password and the passkey as the second factor. The relying party ID is the tenant's host
(tenant-a.test, which the browser treats as a secure origin, see conftest.py).

gunicorn does not serve static files (the proxy in front does, in production); the browser gets
them, the library's WebAuthn scripts among them, from the static finders through Playwright's
request routing.
"""

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from .conftest import committed_staff_with_totp, console_errors, serve_static, totp_now

pytestmark = pytest.mark.django_db

PASSKEY_PASSWORD = "passkey-browser-pass-2026"  # test-only credential of a throwaway user


@pytest.fixture(scope="module")
def passkey_user(portal_data, django_db_blocker):
    """A committed staff login (Viewer) with a confirmed TOTP device; removed afterwards with its
    passkeys. Module-scoped: made before the test's transaction, so the server sees it."""
    with committed_staff_with_totp(
        portal_data.tenant,
        django_db_blocker,
        prefix="passkey",
        password=PASSKEY_PASSWORD,
        groups=["Viewer"],
    ) as login:
        yield login


def _password_step(page, portal_url, username):
    page.goto(f"{portal_url}/login/?next=/broker/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSKEY_PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/auth/verify/**")


def _audit(tenant, username, django_db_blocker):
    from compliance.models import AuditRecord

    with django_db_blocker.unblock(), tenant_context(tenant):
        rows = list(
            AuditRecord.objects.filter(target=f"user:{username}")
            .order_by("id")
            .values_list("action", "details")
        )
    connection.set_schema_to_public()
    return rows


def test_v6_3_3_passkey_enrolled_with_a_virtual_authenticator_is_the_second_factor(
    browser, portal_url, portal_data, passkey_user, django_db_blocker, screenshots
):
    from django_otp_webauthn.models import WebAuthnCredential

    user, totp_key = passkey_user
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/static/**", serve_static)
    page = context.new_page()
    errors = console_errors(page)
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )["authenticatorId"]
    try:
        # given: logged in with password and TOTP
        _password_step(page, portal_url, user.username)
        page.fill("#id_code", totp_now(totp_key))
        page.click("button:has-text('Continue')")
        page.wait_for_url("**/broker/")
        # when: a passkey is added on the security page
        page.goto(f"{portal_url}/security/")
        page.click("#passkey-register-button")
        page.wait_for_selector("li[data-passkey]")
        page.screenshot(path=screenshots / "passkey-security.png", full_page=True)
        stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
        with django_db_blocker.unblock(), tenant_context(portal_data.tenant):
            passkeys = list(WebAuthnCredential.objects.filter(user_id=user.pk))
        connection.set_schema_to_public()
        # then: one credential, in the browser and on the server, for the tenant's host
        assert len(passkeys) == 1
        assert [c["rpId"] for c in stored["credentials"]] == ["tenant-a.test"]
        # when: logged out, the password again, then "Use a passkey" instead of the code
        page.click("button:has-text('Log out')")
        page.wait_for_url("**/login/**")
        _password_step(page, portal_url, user.username)
        page.screenshot(path=screenshots / "passkey-verify.png", full_page=True)
        page.click("#passkey-verification-button")
        page.wait_for_url("**/broker/")
        heading = page.inner_text("h1")
        # then: in the Broker Portal, with enrolment and use in the audit trail
        actions = _audit(portal_data.tenant, user.username, django_db_blocker)
        assert heading
        assert [a for a, _ in actions] == [
            "login",
            "2fa.verify",
            "2fa.passkey_enrol",
            "login",
            "2fa.verify",
        ]
        assert actions[-1][1] == {"method": "passkey", "passkey": passkeys[0].pk}
        assert errors == []
    finally:
        context.close()
