"""E-mails in the tenant's brand (branding.emails): every e-mail to a client or applicant has a
plain-text body and an HTML alternative from the branded base templates, with the tenant's own
sender name, name, colours and logo, and never another tenant's."""

from decimal import Decimal
from email.utils import parseaddr

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.urls import reverse
from django_tenants.utils import tenant_context

from branding.brand import Brand
from branding.selectors import brand_cache_clear
from clientportal.services import (
    message_post,
    message_thread_start,
    withdrawal_request_approve,
    withdrawal_request_create,
    withdrawal_request_reject,
)
from compliance.services.invitations import invitation_create
from ledger.services import cash_deposit
from tests.support.branding import image_create
from tests.support.clientportal import account_for_client, client_user_make
from tests.support.tenants import tenant_client

BRANDS = {
    "tenant_a": {
        "display_name": "Alpha Brokerage",
        "primary_colour": "#7a1f5c",
        "email_sender_name": "Alpha Client Desk",
        "support_email": "help@alpha.example",
        "legal_disclaimer": "Alpha Brokerage LLC, member FINRA.",
    },
    "tenant_b": {
        "display_name": "Bravo Advisors",
        "primary_colour": "#1d5e3a",
        "email_sender_name": "Bravo Desk",
        "support_email": "help@bravo.example",
        "legal_disclaimer": "Bravo Advisors Ltd.",
    },
}


def _brand(tenant, *, logo: bool = False) -> None:
    with tenant_context(tenant):
        brand = Brand.load()
        for field, value in BRANDS[tenant.schema_name].items():
            setattr(brand, field, value)
        if logo:
            brand.logo = image_create(title=f"{tenant.schema_name}-logo", colour=(122, 31, 92))
        brand.full_clean()
        brand.save()
        brand_cache_clear()


def _html(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def _withdrawal_rejected(tenant, capture, *, username: str):
    """A client of `tenant` whose withdrawal request staff rejected; returns the e-mails sent."""
    with tenant_context(tenant):
        client = client_user_make(username=username)
        staff = get_user_model().objects.create_user(f"{username}-staff", is_staff=True)
        account = account_for_client(tenant=tenant, user=client)
        cash_deposit(
            account=account, amount=Decimal(1000), currency="USD", idempotency_key=username
        )
        request = withdrawal_request_create(
            user=client,
            tenant=tenant,
            account=account,
            amount=Decimal("250.00"),
            currency="USD",
            destination="IBAN DE00 1234",
        )
        before = len(mail.outbox)
        with capture(execute=True):
            withdrawal_request_reject(
                staff=staff, request_id=request.pk, note="The bank details do not match."
            )
    connection.set_schema_to_public()
    return mail.outbox[before:]


def test_each_tenants_email_carries_its_own_brand_and_never_the_others(
    tenant_a, tenant_b, django_capture_on_commit_callbacks
):
    # given two tenants with different brands (A with a logo)
    _brand(tenant_a, logo=True)
    _brand(tenant_b)
    # when a withdrawal of a client of each is rejected
    [a_mail] = _withdrawal_rejected(tenant_a, django_capture_on_commit_callbacks, username="ea")
    [b_mail] = _withdrawal_rejected(tenant_b, django_capture_on_commit_callbacks, username="eb")
    # then each e-mail comes from its tenant's sender name, in its colours, name and logo
    a_html, b_html = _html(a_mail), _html(b_mail)
    assert parseaddr(a_mail.from_email)[0] == "Alpha Client Desk"
    assert parseaddr(b_mail.from_email)[0] == "Bravo Desk"
    assert a_mail.subject == "Your withdrawal of 250.00 USD was not approved"
    assert "background:#7a1f5c" in a_html and 'data-brand="Alpha Brokerage"' in a_html
    assert "--brand-primary:#7a1f5c" in a_html
    assert 'src="https://tenant-a.test/brand/logo"' in a_html
    assert "background:#1d5e3a" in b_html and 'data-brand="Bravo Advisors"' in b_html
    assert "/brand/logo" not in b_html
    for text in (a_mail.body, a_html):
        assert "Alpha Brokerage LLC, member FINRA." in text and "help@alpha.example" in text
        assert "The bank details do not match." in text
        assert "Bravo" not in text and "#1d5e3a" not in text
    for text in (b_mail.body, b_html):
        assert "Bravo Advisors Ltd." in text
        assert "Alpha" not in text and "#7a1f5c" not in text and "tenant-a.test" not in text
    assert "https://tenant-b.test/transfers/" in b_mail.body


def test_a_withdrawal_approved_is_told_in_the_brand(tenant_a, django_capture_on_commit_callbacks):
    # given a pending request of 250 from 1,000 USD
    _brand(tenant_a)
    with tenant_context(tenant_a):
        client = client_user_make(username="approved-client")
        staff = get_user_model().objects.create_user("approver", is_staff=True)
        account = account_for_client(tenant=tenant_a, user=client)
        cash_deposit(account=account, amount=Decimal(1000), currency="USD", idempotency_key="ap")
        request = withdrawal_request_create(
            user=client,
            tenant=tenant_a,
            account=account,
            amount=Decimal("250.00"),
            currency="USD",
            destination="IBAN DE00 1234",
        )
        # when staff approve it
        with django_capture_on_commit_callbacks(execute=True):
            withdrawal_request_approve(staff=staff, tenant=tenant_a, request_id=request.pk)
    # then one branded e-mail tells the client
    [message] = mail.outbox
    assert message.to == [client.email]
    assert message.subject == "Your withdrawal of 250.00 USD was approved"
    assert f"from account {account.number} to IBAN DE00 1234 was approved" in message.body
    assert 'data-brand="Alpha Brokerage"' in _html(message)


def test_a_staff_reply_is_announced_without_its_text(tenant_a, django_capture_on_commit_callbacks):
    # given a thread a client started (no e-mail for the client's own message)
    _brand(tenant_a)
    with tenant_context(tenant_a):
        client = client_user_make(username="writer")
        staff = get_user_model().objects.create_user("replier", is_staff=True)
        with django_capture_on_commit_callbacks(execute=True):
            thread = message_thread_start(client=client, subject="Margin", body="A question")
        assert mail.outbox == []
        # when staff reply
        with django_capture_on_commit_callbacks(execute=True):
            message_post(thread=thread, sender=staff, body="Secret answer 42", from_staff=True)
    # then the client gets a branded notice with a link, not the message itself
    [message] = mail.outbox
    assert message.to == [client.email]
    assert message.subject == "New message: Margin"
    assert f"https://tenant-a.test/messages/{thread.pk}/" in message.body
    for text in (message.body, _html(message)):
        assert "Secret answer 42" not in text
        assert "Alpha Brokerage" in text


def test_invitation_and_password_reset_emails_are_branded(
    tenant_a, django_capture_on_commit_callbacks
):
    # given A's brand and a client with an address
    _brand(tenant_a)
    with tenant_context(tenant_a):
        user = client_user_make(username="invitee", password="a-long-pass-2026")
        # when an invitation is created
        with django_capture_on_commit_callbacks(execute=True):
            invitation_create(actor=None, user=user)
    connection.set_schema_to_public()
    # and a password reset is asked for on A's host
    response = tenant_client(tenant_a).post(
        reverse("clientportal:password_reset"), {"email": user.email}
    )
    assert response.status_code == 302
    # then both are from A's sender, with text and HTML in A's brand
    invitation, reset = mail.outbox
    assert invitation.subject == "Your login to Alpha Brokerage"
    assert reset.subject == "Reset your password for Alpha Brokerage"
    assert "https://tenant-a.test/auth/invitation/" in invitation.body
    assert "/auth/reset/" in reset.body
    for message in (invitation, reset):
        assert parseaddr(message.from_email)[0] == "Alpha Client Desk"
        assert "background:#7a1f5c" in _html(message)
        assert "Alpha Brokerage LLC, member FINRA." in message.body


@pytest.mark.parametrize("event", ["submitted", "needs_information", "opened"])
def test_applicant_emails_are_branded(tenant_a, event):
    from onboarding.notifications import applicant_email_build

    _brand(tenant_a)

    class Application:  # the fields the applicant templates read
        display_name = "Robin Applicant"
        public_id = "APP-123"
        email = "robin@example.test"
        account = type("AccountRef", (), {"number": "U1234567"})()

    with tenant_context(tenant_a):
        message = applicant_email_build(
            application=Application(), event=event, reason="Proof of address", link="https://x/"
        )
    assert parseaddr(message.from_email)[0] == "Alpha Client Desk"
    assert message.subject.startswith("Alpha Client Desk: ")
    assert "Dear Robin Applicant" in message.body and "Alpha Brokerage" in message.body
    html = _html(message)
    assert "Dear Robin Applicant" in html and "background:#7a1f5c" in html
