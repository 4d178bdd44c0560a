"""The state machine: legal moves, refused moves with a clear message, audit, e-mails."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from compliance.disclosures import disclosures_set_label
from compliance.models import AuditRecord
from events.models import Event
from onboarding.models import Application, ApplicationTransition
from onboarding.services import (
    application_create,
    application_information_request,
    application_reject,
    application_review_start,
    application_submit,
    application_withdraw,
)
from onboarding.services.workflow import TRANSITIONS
from tenants.roles import ONBOARDING_OFFICER, VIEWER

from .factories import application_data, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(in_tenant_a):
    return staff_user(ONBOARDING_OFFICER)


def _submitted(officer, django_capture_on_commit_callbacks=None):
    application = application_create(actor=officer, data=application_data())
    return application_submit(application=application, disclosures_accepted=[])


def test_submit_moves_draft_to_submitted_audits_and_emails_after_commit(
    officer, django_capture_on_commit_callbacks
):
    # given a complete draft entered by an officer
    application = application_create(actor=officer, data=application_data())
    assert application.state == Application.State.DRAFT
    # when the applicant submits it
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        application = application_submit(application=application, disclosures_accepted=[])
    # then it is submitted, checks ran, the move is recorded and audited, one e-mail left
    assert application.state == Application.State.SUBMITTED
    # no disclosure in force for the country: the label names the empty set of texts
    assert application.disclosures_acknowledged == []
    assert application.disclosures_version == disclosures_set_label([])
    assert set(application.checks) == {"age", "documents", "duplicate", "watchlist", "suitability"}
    moves = list(application.transitions.values_list("from_state", "to_state", "actor_label"))
    assert moves == [("draft", "submitted", f"applicant {application.email}")]
    record = AuditRecord.objects.get(action="application.submitted")
    assert record.target == f"application:{application.pk}"
    assert record.details["from"] == "draft" and record.details["to"] == "submitted"
    assert len(callbacks) == 2  # the applicant's e-mail and the event's webhooks
    assert Event.objects.get(kind="application.state_changed").data["to"] == "submitted"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [application.email]
    assert mail.outbox[0].from_email == "Tenant A Securities <no-reply@platform.localhost>"
    assert mail.outbox[0].subject == "Tenant A Securities: We received your account application"


def test_review_needs_information_and_resubmit_cycle(officer):
    # given a submitted application
    application = _submitted(officer)
    # when the officer starts the review and asks for information
    application = application_review_start(application=application, actor=officer)
    assert application.assigned_to == officer
    application = application_information_request(
        application=application, actor=officer, reason="Please upload a recent utility bill."
    )
    # then it waits for the applicant, who can submit again
    assert application.state == Application.State.NEEDS_INFORMATION
    application = application_submit(application=application, disclosures_accepted=[])
    assert application.state == Application.State.SUBMITTED
    reasons = list(application.transitions.values_list("to_state", "reason"))
    assert reasons == [
        ("submitted", ""),
        ("in_review", ""),
        ("needs_information", "Please upload a recent utility bill."),
        ("submitted", ""),
    ]


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("draft", "approved"),
        ("draft", "in_review"),
        ("submitted", "opened"),
        ("rejected", "submitted"),
        ("withdrawn", "in_review"),
        ("opened", "rejected"),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(officer, start, target):
    # given an application in `start`
    application = application_create(actor=officer, data=application_data())
    Application.objects.filter(pk=application.pk).update(state=start)
    application.refresh_from_db()
    assert target not in TRANSITIONS[start]
    from onboarding.services import application_transition

    # when someone tries to move it to `target`
    with pytest.raises(ValidationError) as refused:
        application_transition(application=application, to_state=target, actor=officer)
    # then the message names both states and nothing changed
    message = refused.value.messages[0]
    assert message.startswith(f"Application #{application.pk} cannot move from ")
    assert Application.State(target).label in message
    application.refresh_from_db()
    assert application.state == start
    assert ApplicationTransition.objects.filter(application=application).count() == 0


def test_reject_needs_a_written_reason(officer):
    # given an application in review
    application = application_review_start(application=_submitted(officer), actor=officer)
    # when the officer rejects without a reason
    with pytest.raises(ValidationError) as refused:
        application_reject(application=application, actor=officer, reason="  ")
    # then it is refused and the state stays
    assert refused.value.messages == ["A written reason is required to reject an application."]
    application.refresh_from_db()
    assert application.state == Application.State.IN_REVIEW
    # and with a reason it is final
    application = application_reject(application=application, actor=officer, reason="KYC failed")
    assert application.state == Application.State.REJECTED
    assert application.decided_at is not None


def test_only_reviewers_may_review(officer):
    # given a submitted application and a viewer
    application = _submitted(officer)
    viewer = staff_user(VIEWER)
    # when the viewer tries to start the review
    with pytest.raises(PermissionDenied):
        application_review_start(application=application, actor=viewer)
    # then nothing moved
    application.refresh_from_db()
    assert application.state == Application.State.SUBMITTED


def test_applicant_can_withdraw_a_draft(officer):
    application = application_create(actor=officer, data=application_data())
    application = application_withdraw(application=application, reason="changed my mind")
    assert application.state == Application.State.WITHDRAWN
    assert (
        AuditRecord.objects.filter(
            action="application.withdrawn", target=f"application:{application.pk}"
        ).count()
        == 1
    )


def test_submit_of_incomplete_draft_names_missing_fields(officer):
    # given a draft without a phone and with a bad tax id
    application = application_create(actor=officer, data=application_data())
    Application.objects.filter(pk=application.pk).update(phone="", tax_id="12")
    application.refresh_from_db()
    # when submitted
    with pytest.raises(ValidationError) as refused:
        application_submit(application=application, disclosures_accepted=[])
    # then each problem is named by field and it stays a draft
    assert refused.value.message_dict == {
        "phone": ["phone is required"],
        "tax_id": ["tax id is not a valid tax id for US"],
    }
    application.refresh_from_db()
    assert application.state == Application.State.DRAFT


def test_email_goes_out_in_the_tenant_schema_even_if_the_caller_left_it(
    tenant_a, django_capture_on_commit_callbacks
):
    # given a submission made inside a tenant, inside an outer transaction that returns to the
    # public schema before it commits (as the demo seeding does)
    from django.db import connection
    from django_tenants.utils import tenant_context

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with tenant_context(tenant_a):
            application = application_create(
                actor=staff_user(ONBOARDING_OFFICER), data=application_data()
            )
            application_submit(application=application, disclosures_accepted=[])
        connection.set_schema_to_public()
    # when the transaction commits
    for callback in callbacks:
        callback()
    # then the e-mail still finds its application
    assert [m.to for m in mail.outbox] == [[application.email]]
