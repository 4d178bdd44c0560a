"""Journeys of the staff's workplace in a real browser: the operator provisions a tenant from the
console and its Security Officer sets a password, enrols a second factor and logs in on the new
host. It checks what the page shows against what the database holds. (An Onboarding Officer
finding a client by part of the name and opening the account 360 is a journey of the demo's
own logins: tests/browser/test_demo_roles.py.)"""

import re
import secrets

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django_tenants.utils import schema_context

from .conftest import EMAILS, serve_static, totp_now

# No test transaction: the server in its own processes sees only committed rows, so the
# fixtures commit theirs (and remove them) and the tests read with the blocker lifted.

PASSWORD = "workplace-browser-pass-2026"  # test-only credential of throwaway users


def _mails_to(address: str) -> str:
    return (
        "".join(block for block in EMAILS.read_text().split("-" * 79) if f"To: {address}" in block)
        if EMAILS.exists()
        else ""
    )


@pytest.fixture(scope="module")
def operator(django_db_setup, django_db_blocker):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    username = f"ops-{secrets.token_hex(3)}@platform.test"
    with django_db_blocker.unblock(), schema_context("public"):
        user = get_user_model().objects.create_user(
            username=username,
            email=username,
            password=PASSWORD,
            is_staff=True,
            is_superuser=True,
        )
        device = TOTPDevice.objects.create(user=user, name="ops", confirmed=True)
    try:
        yield user, device.key
    finally:
        with django_db_blocker.unblock(), schema_context("public"):
            # The public schema has no tables of the tenant apps an ORM delete would cascade to.
            TOTPDevice.objects.filter(user_id=user.pk).delete()
            get_user_model().objects.filter(pk=user.pk)._raw_delete(using="default")
        connection.set_schema_to_public()


def test_operator_provisions_a_tenant_and_its_security_officer_logs_in_on_the_new_host(
    browser, portal_url, operator, screenshots, django_db_blocker
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tenants.models import Tenant

    user, key = operator
    port = portal_url.rsplit(":", 1)[1]
    platform = f"http://platform.localhost:{port}"
    schema = f"quay{secrets.token_hex(3)}"
    domain = f"{schema}.test"
    officer_email = f"so@{domain}"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/static/**", serve_static)
    page = context.new_page()
    try:
        # when: the operator signs in (password, TOTP) and provisions from the console
        page.goto(f"{platform}/console/")
        page.wait_for_url("**/admin/login/**")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("input[type='submit']")
        page.wait_for_url("**/operator/verify/**")
        page.fill("#id_code", totp_now(key))
        page.click("input[value='Verify']")
        page.wait_for_url("**/console/")
        page.click("a:has-text('Provision a tenant')")
        page.fill("#id_name", "Quayside Capital")
        page.fill("#id_domain", domain)
        page.select_option("#id_kind", "advisor_firm")
        page.fill("#id_country", "GB")
        page.fill("#id_security_officer_email", officer_email)
        page.click("button:has-text('Provision and invite')")
        page.wait_for_url(f"{platform}/console/")
        listed = page.inner_text(f"#console-tenants tr[data-schema='{schema}']")
        page.screenshot(path=screenshots / "console-tenants.png", full_page=True)
        # and the Security Officer follows the e-mailed link on the new host
        link = re.search(r"http://\S+/auth/invitation/[\w-]+/", _mails_to(officer_email))
        assert link, "the invitation e-mail was not sent"
        page.goto(link.group(0))
        page.fill("#id_password1", PASSWORD + "-so")
        page.fill("#id_password2", PASSWORD + "-so")
        page.click("button:has-text('Set password')")
        page.wait_for_url("**/auth/enrol/**")
        with django_db_blocker.unblock(), schema_context(schema):
            device = TOTPDevice.objects.get(user__username=officer_email, confirmed=False)
        page.fill("#id_code", totp_now(device.key))
        page.click("button:has-text('Confirm')")
        page.click("a:has-text('Continue')")
        page.wait_for_url(f"http://{domain}:{port}/broker/")
        page.screenshot(path=screenshots / "new-tenant-broker-home.png", full_page=True)
        heading = page.inner_text("body")
        # then: the console listed it, and the database holds the tenant and its officer
        with django_db_blocker.unblock():
            tenant = Tenant.objects.get(schema_name=schema)
            with schema_context(schema):
                officer = get_user_model().objects.get(username=officer_email)
                roles = list(officer.groups.values_list("name", flat=True))
                confirmed = TOTPDevice.objects.filter(user=officer, confirmed=True).count()
        assert "Quayside Capital" in listed and domain in listed and "Active" in listed
        assert (tenant.kind, tenant.country, tenant.get_primary_domain().domain) == (
            "advisor_firm",
            "GB",
            domain,
        )
        assert (roles, officer.has_usable_password(), confirmed) == (["Security Officer"], True, 1)
        assert "Quayside Capital" in heading or officer_email in heading
    finally:
        context.close()
        with django_db_blocker.unblock():
            for tenant in Tenant.objects.filter(schema_name=schema):
                tenant.delete(force_drop=True)
        connection.set_schema_to_public()
