"""End to end: a person applies on the tenant's host, an Onboarding Officer reviews and approves
in the Broker Portal, the client accepts the invitation, enrols TOTP, logs in with it and sees the
new account; every step is in the audit trail."""

import re
from base64 import b32decode

import pytest
from django.core import mail
from django_otp.oath import TOTP
from django_tenants.utils import tenant_context

from compliance.models import AuditRecord
from onboarding.models import Application
from onboarding.tests.factories import staff_user
from onboarding.tests.test_selfservice import fill_in_application
from tenants.roles import ONBOARDING_OFFICER
from tests.support.tenants import login, tenant_client

pytestmark = pytest.mark.django_db
PASSWORD = "quiet-harbour-lantern-42"


def _totp(secret_b32: str, drift: int = 0) -> str:
    key = b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    totp = TOTP(key, step=30, t0=0, digits=6, drift=drift)
    return f"{totp.token():06d}"


def test_apply_review_approve_invite_enrol_login_and_see_the_account(
    tenant_a, django_capture_on_commit_callbacks
):
    email = "e2e.client@example.com"
    # given a person on the tenant's host who fills in the self-service form
    applicant = tenant_client(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = fill_in_application(applicant, email=email)
    assert response["Location"] == "/apply/done/"
    with tenant_context(tenant_a):
        application = Application.objects.get(email=email)
        assert application.state == "submitted" and application.checks_failed is False
        officer = staff_user(ONBOARDING_OFFICER)

    # when an Onboarding Officer reviews and approves it in the Broker Portal
    broker = login(tenant_client(tenant_a), officer, tenant_a)
    assert (
        f"/broker/onboarding/{application.pk}/"
        in broker.get("/broker/onboarding/").content.decode()
    )
    assert broker.post(f"/broker/onboarding/{application.pk}/review_start/").status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        response = broker.post(
            f"/broker/onboarding/{application.pk}/approve/", {"reason": "KYC complete"}
        )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        application.refresh_from_db()
        assert application.state == "opened"
        account_number = application.account.number

    # then the client gets the invitation, sets a password and enrols TOTP
    invitation = next(m for m in mail.outbox if m.subject == "Your login to Tenant A Securities")
    assert invitation.to == [email]
    path = re.search(r"https?://tenant-a\.test(/\S+/)", invitation.body).group(1)
    client = tenant_client(tenant_a)
    assert client.get(path).status_code == 200
    response = client.post(path, {"password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith("/auth/enrol/")
    enrol = client.get(response["Location"])
    secret = enrol.context["secret"]
    confirmed = client.post(response["Location"], {"code": _totp(secret)})
    assert confirmed.status_code == 200 and len(confirmed.context["codes"]) > 0
    # the link is single-use
    assert tenant_client(tenant_a).get(path).status_code == 404

    # and later logs in with the password and a fresh TOTP code and sees the new account
    client.post("/logout/")
    fresh = tenant_client(tenant_a)
    response = fresh.post("/login/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith("/auth/verify/")
    response = fresh.post(response["Location"], {"code": _totp(secret, drift=1)})
    assert response.status_code == 302
    home = fresh.get("/")
    assert home.status_code == 200
    assert account_number in home.content.decode()

    # and every step is in the audit trail
    with tenant_context(tenant_a):
        on_application = list(
            AuditRecord.objects.filter(target=f"application:{application.pk}")
            .order_by("pk")
            .values_list("action", flat=True)
        )
        on_user = set(
            AuditRecord.objects.filter(target=f"user:{email}").values_list("action", flat=True)
        )
        approver = AuditRecord.objects.get(
            target=f"application:{application.pk}", action="application.approved"
        )
    assert on_application[:1] == ["application.start"]
    for action in (
        "application.update",
        "application.document_upload",
        "application.submitted",
        "application.in_review",
        "application.approved",
        "application.opened",
    ):
        assert action in on_application, action
    assert approver.actor_username == officer.username
    assert approver.details["reason"] == "KYC complete"
    assert {
        "user.create",
        "invitation.create",
        "access.grant",
        "invitation.accept",
        "2fa.enrol",
        "login",
    } <= on_user
