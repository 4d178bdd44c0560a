"""Approval: checks block it unless overridden; one transaction opens the account, the login,
the invitation and the grants."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from compliance.models import AuditRecord, Invitation
from ledger.access import accounts_visible
from ledger.models import Account
from ledger.services import account_open
from onboarding.models import Application, CheckOverride
from onboarding.services import (
    application_approve,
    application_create,
    application_review_start,
    application_submit,
    check_override,
    document_upload,
    watchlist_replace,
)
from tenants.roles import COMPLIANCE_OFFICER, ONBOARDING_OFFICER

from .factories import PDF_BYTES, PNG_BYTES, adult_birthday, application_data, staff_user, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(in_tenant_a):
    return staff_user(ONBOARDING_OFFICER)


@pytest.fixture
def compliance_officer(in_tenant_a):
    return staff_user(COMPLIANCE_OFFICER)


def _in_review(officer, *, documents=("identity", "proof_of_address"), **overrides):
    application = application_create(actor=officer, data=application_data(**overrides))
    for kind in documents:
        content = PDF_BYTES if kind == "identity" else PNG_BYTES
        document_upload(application=application, kind=kind, upload=upload(f"{kind}.pdf", content))
    application = application_submit(application=application, disclosures_accepted=[])
    return application_review_start(application=application, actor=officer)


def _nothing_opened(application, accounts_before):
    application.refresh_from_db()
    assert application.state == Application.State.IN_REVIEW
    assert application.account_id is None and application.user_id is None
    assert Account.objects.count() == accounts_before
    assert not get_user_model().objects.filter(email=application.email).exists()


def test_approval_opens_account_login_invitation_and_grants_in_one_go(
    officer, tenant_a, django_capture_on_commit_callbacks
):
    # given a clean application under review
    application = _in_review(officer)
    assert application.checks_failed is False
    # when the officer approves it
    with django_capture_on_commit_callbacks(execute=True):
        application = application_approve(application=application, actor=officer, reason="ok")
    # then it is opened with an individual account, a client login and an invitation
    assert application.state == Application.State.OPENED
    account = application.account
    assert (account.tenant_id, account.account_type, account.base_currency) == (
        tenant_a.pk,
        "individual",
        "USD",
    )
    user = application.user
    assert user.email == application.email and not user.has_usable_password()
    assert list(user.groups.values_list("name", flat=True)) == ["Client"]
    assert Invitation.objects.filter(user=user, used_at__isnull=True).count() == 1
    # and the client may view, fund and trade exactly this account, not report on it
    for need in ("view", "fund", "trade"):
        assert list(accounts_visible(user=user, tenant=tenant_a, need=need)) == [account]
    assert list(accounts_visible(user=user, tenant=tenant_a, need="report")) == []
    # and every step is audited
    actions = set(
        AuditRecord.objects.filter(
            target__in=[f"application:{application.pk}", f"user:{user.username}"]
        ).values_list("action", flat=True)
    )
    assert {
        "application.approved",
        "application.opened",
        "user.create",
        "invitation.create",
        "access.grant",
    } <= actions
    # and the applicant got the account e-mail and the invitation e-mail, after commit
    subjects = sorted(m.subject for m in mail.outbox if m.to == [application.email])
    assert subjects == [
        "Tenant A Securities: Your account is open",
        "Your login to Tenant A Securities",
    ]


def test_approval_under_a_master_opens_a_sub_account(officer, tenant_a):
    # given an advisor master of the tenant and an application asking to be under it
    master = account_open(tenant=tenant_a, title="Advisor master", account_type="master")
    application = _in_review(officer, master_account=master.number)
    # when approved
    application = application_approve(application=application, actor=officer)
    # then the new account is a sub-account of that master
    assert application.account.account_type == "sub"
    assert application.account.parent_id == master.pk


def test_missing_document_blocks_approval(officer):
    # given an application without a proof of address
    application = _in_review(officer, documents=("identity",))
    before = Account.objects.count()
    # when approved
    with pytest.raises(ValidationError) as blocked:
        application_approve(application=application, actor=officer)
    # then the message names the missing document and nothing was opened
    assert blocked.value.messages == [
        "Approval is blocked by failed checks: [documents] Missing document: proof of address."
        " A Compliance Officer may override a check with a written reason."
    ]
    _nothing_opened(application, before)


def test_underage_applicant_is_blocked(officer):
    application = _in_review(officer, date_of_birth=adult_birthday(17))
    before = Account.objects.count()
    with pytest.raises(ValidationError) as blocked:
        application_approve(application=application, actor=officer)
    assert "[age] The applicant is 17, under 18." in blocked.value.messages[0]
    _nothing_opened(application, before)


def test_watchlist_hit_blocks_until_a_compliance_officer_overrides(officer, compliance_officer):
    # given a watch list naming the applicant (accents and order differ) with the same birthday
    watchlist_replace(
        actor=compliance_officer,
        data="name,date_of_birth\nLOVELÄCE-WATCH Ada,1985-12-10\nSomeone Else,\n".encode(),
        source="OFAC extract",
    )
    application = _in_review(officer, last_name="Lovelace-Watch")
    assert application.checks["watchlist"] == {
        "passed": False,
        "message": "Watch-list match: LOVELÄCE-WATCH Ada (1985-12-10, similarity 100%).",
    }
    before = Account.objects.count()
    # when the onboarding officer approves, it is blocked
    with pytest.raises(ValidationError) as blocked:
        application_approve(application=application, actor=officer)
    assert "[watchlist] Watch-list match" in blocked.value.messages[0]
    _nothing_opened(application, before)
    # and the onboarding officer may not override
    with pytest.raises(PermissionDenied):
        check_override(
            application=application, check_name="watchlist", actor=officer, reason="fine"
        )
    assert CheckOverride.objects.count() == 0
    # nor may anyone override without a written reason
    with pytest.raises(ValidationError):
        check_override(
            application=application, check_name="watchlist", actor=compliance_officer, reason=""
        )
    # when the compliance officer overrides with a reason
    check_override(
        application=application,
        check_name="watchlist",
        actor=compliance_officer,
        reason="Different person: passport number differs from the listed one.",
    )
    # then the approval goes through and the override is audited
    application = application_approve(application=application, actor=officer)
    assert application.state == Application.State.OPENED
    record = AuditRecord.objects.get(action="application.check_override")
    assert record.details["check"] == "watchlist"


def test_suitability_blocks_options_without_experience(officer):
    application = _in_review(officer, trading_permissions="stocks;options", experience="stocks:3")
    assert application.checks["suitability"] == {
        "passed": False,
        "message": "Not suitable: options need at least 1 year(s) of options experience.",
    }


def test_duplicate_applicant_by_tax_id_is_flagged(officer):
    first = _in_review(officer)
    second = _in_review(officer, tax_id=first.tax_id, tax_residency="US")
    assert second.checks["duplicate"] == {
        "passed": False,
        "message": f"Possible duplicate of application #{first.pk} (same tax id).",
    }


def test_a_second_approval_is_refused_and_opens_nothing_more(officer):
    # given an application already approved and opened
    application = application_approve(application=_in_review(officer), actor=officer)
    accounts, users = Account.objects.count(), get_user_model().objects.count()
    # when someone approves it again
    with pytest.raises(ValidationError) as refused:
        application_approve(application=application, actor=officer)
    # then the refusal names the states and no second account or login exists
    assert refused.value.messages == [
        f"Application #{application.pk} cannot move from Opened to Approved; it is final."
    ]
    assert (Account.objects.count(), get_user_model().objects.count()) == (accounts, users)


def test_the_disclosures_accepted_when_applying_become_the_clients_acceptances(officer):
    # given a US text in force, accepted with the application, and an EU text that is not
    from django.utils import timezone
    from wagtail.models import Page

    from branding.pages import DisclosurePage
    from compliance.disclosures import disclosure_content_hash, disclosures_pending
    from compliance.disclosures import disclosures_shown as shown_for
    from compliance.models import DisclosureAcceptance

    root = Page.get_first_root_node()
    us = root.add_child(
        instance=DisclosurePage(
            title="US margin", slug="us-margin", region="US", version="1", body="<p>M</p>"
        )
    )
    root.add_child(
        instance=DisclosurePage(
            title="EU costs", slug="eu-costs", region="EU", version="1", body="<p>C</p>"
        )
    )
    application = application_create(actor=officer, data=application_data())
    for kind in ("identity", "proof_of_address"):
        content = PDF_BYTES if kind == "identity" else PNG_BYTES
        document_upload(application=application, kind=kind, upload=upload(f"{kind}.pdf", content))
    shown = shown_for(country="US", today=timezone.localdate())
    application = application_submit(
        application=application, disclosures_accepted=shown, ip="192.0.2.7"
    )
    application = application_review_start(application=application, actor=officer)
    # when it is approved
    application = application_approve(application=application, actor=officer, reason="ok")
    # then the client holds the acceptance of the US text, with the submission's time and IP
    user = application.user
    acceptance = DisclosureAcceptance.objects.get(user_id=user.pk)
    assert (acceptance.page_id, acceptance.version, acceptance.content_sha256) == (
        us.pk,
        "1",
        disclosure_content_hash(us),
    )
    assert acceptance.accepted_at == application.disclosures_accepted_at
    assert acceptance.ip == "192.0.2.7"
    assert disclosures_pending(user=user, country="US", today=timezone.localdate()) == []
    assert AuditRecord.objects.filter(
        action="disclosure.accept", target=f"user:{user.get_username()}"
    ).exists()
    # and a new version published later is asked for again
    us.body = "<p>Margin, revised.</p>"
    us.version = "2"
    us.save_revision().publish()
    us.refresh_from_db()
    assert [
        p.pk for p in disclosures_pending(user=user, country="US", today=timezone.localdate())
    ] == [us.pk]
