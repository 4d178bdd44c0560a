"""A UK client in a real browser: after login the portal shows the UK disclosure to accept, a
withdrawal is refused until it is accepted, and goes through once it is."""

import os

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from .conftest import PASSWORD, totp_now

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def uk_client(portal_url, django_db_blocker):
    """Committed before the test's transaction opens, so the server sees it."""
    from branding.pages import DisclosurePage
    from clientportal.models import WithdrawalRequest
    from onboarding.models import Application
    from tenants.models import Tenant
    from tests.support.branding import content_page_add
    from tests.support.clientportal import portal_fixture_create, portal_fixture_purge

    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(schema_name="tenant_a")
        fixture = portal_fixture_create(
            tenant=tenant, prefix=f"uk{os.getpid()}", positions=1, password=PASSWORD
        )
        with tenant_context(tenant):
            application = Application.objects.create(
                first_name="Una", last_name="Kingdom", country="GB", user=fixture.user
            )
            page = content_page_add(
                DisclosurePage(
                    title=f"UK costs and charges ({fixture.user.pk})",
                    region="UK",
                    topic="costs_charges",
                    version="2026-1",
                    body="<p>Our charges, in pounds and as a percentage.</p>",
                )
            )
        connection.set_schema_to_public()
    try:
        yield fixture, page
    finally:
        with django_db_blocker.unblock():
            with tenant_context(tenant):
                WithdrawalRequest.objects.filter(requested_by=fixture.user).delete()
                application.delete()
                page.delete()
            portal_fixture_purge(fixture)
            connection.set_schema_to_public()


def test_a_uk_client_must_accept_the_uk_disclosure_before_withdrawing(
    browser, portal_url, uk_client, django_db_blocker, screenshots
):
    fixture, disclosure = uk_client
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    # when the client logs in
    page.goto(f"{portal_url}/login/")
    page.fill("#id_username", fixture.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/auth/verify/**")
    page.fill("#id_code", totp_now(fixture.totp_key))
    page.click("button:has-text('Continue')")
    page.wait_for_url("**/disclosures/")
    # then the UK disclosure is shown to accept
    page.screenshot(path=screenshots / "desktop-disclosures-pending.png", full_page=True)
    assert disclosure.title in page.inner_text("main")
    # when a withdrawal is asked for first
    page.goto(f"{portal_url}/transfers/withdraw/")
    if "/auth/reauth/" in page.url:
        page.fill("#id_password", PASSWORD)
        page.click("button:has-text('Continue')")
        page.wait_for_url("**/transfers/withdraw/")

    def withdraw():
        page.select_option("#id_account", str(fixture.account.pk))
        page.fill("#id_amount", "10.00")
        page.select_option("#id_currency", "USD")
        page.fill("#id_destination", "GB-SORT-400000")
        page.click("button:has-text('Submit request')")
        page.wait_for_load_state("load")

    withdraw()
    # then it is refused, naming the document
    assert f"Please read and accept first: {disclosure.title} (version 2026-1)" in (
        page.inner_text("main")
    )
    # when the client accepts it
    page.goto(f"{portal_url}/disclosures/")
    page.click(f"button:has-text('I have read and accept {disclosure.title}')")
    page.wait_for_load_state("load")
    assert "You have accepted every disclosure that applies to you." in page.inner_text("main")
    page.goto(f"{portal_url}/transfers/withdraw/")
    withdraw()
    # then the withdrawal waits for approval
    text = page.inner_text("main")
    context.close()
    assert "Your withdrawal request is waiting for approval." in text
    from clientportal.models import WithdrawalRequest
    from compliance.models import DisclosureAcceptance

    with django_db_blocker.unblock(), tenant_context(fixture.tenant):
        acceptance = DisclosureAcceptance.objects.get(
            user_id=fixture.user.pk, page_id=disclosure.pk
        )
        assert acceptance.version == "2026-1" and acceptance.ip == "127.0.0.1"
        assert WithdrawalRequest.objects.filter(requested_by=fixture.user).count() == 1
    connection.set_schema_to_public()
