"""The application state machine: which moves are legal, who may make them, and what each move
leaves behind (a transition row, an audit record, an e-mail to the applicant after commit)."""

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from compliance.services import audit_record
from events.services import event_record
from tenants.roles import COMPLIANCE_OFFICER, ONBOARDING_OFFICER, role_required

from ..models import Application, ApplicationTransition
from ..notifications import applicant_notify_on_commit
from .links import application_resume_link

State = Application.State

TRANSITIONS: dict[str, frozenset[str]] = {
    State.DRAFT: frozenset({State.SUBMITTED, State.WITHDRAWN}),
    State.SUBMITTED: frozenset({State.IN_REVIEW, State.REJECTED, State.WITHDRAWN}),
    State.IN_REVIEW: frozenset(
        {State.NEEDS_INFORMATION, State.APPROVED, State.REJECTED, State.WITHDRAWN}
    ),
    State.NEEDS_INFORMATION: frozenset({State.SUBMITTED, State.REJECTED, State.WITHDRAWN}),
    State.APPROVED: frozenset({State.OPENED}),
    State.OPENED: frozenset(),
    State.REJECTED: frozenset(),
    State.WITHDRAWN: frozenset(),
}
# Moves the applicant makes; every other move is a reviewer's.
APPLICANT_MOVES = {State.SUBMITTED, State.WITHDRAWN}
REVIEWER_ROLES = (ONBOARDING_OFFICER, COMPLIANCE_OFFICER)
# Moves the applicant hears about by e-mail.
NOTIFIED = {
    State.SUBMITTED,
    State.NEEDS_INFORMATION,
    State.REJECTED,
    State.WITHDRAWN,
}  # "opened" is sent by the approval itself, with the invitation link


REVIEWER_REFUSAL = "Only an Onboarding or Compliance Officer may review applications."


def reviewer_require(actor) -> None:
    role_required(actor, *REVIEWER_ROLES, refusal=REVIEWER_REFUSAL)


def transition_allowed(from_state: str, to_state: str) -> bool:
    return to_state in TRANSITIONS.get(from_state, frozenset())


def transition_refusal(application: Application, to_state: str) -> str:
    allowed = sorted(State(s).label for s in TRANSITIONS[application.state])
    return (
        f"Application #{application.pk} cannot move from {State(application.state).label} "
        f"to {State(to_state).label}; "
        + (f"allowed: {', '.join(allowed)}." if allowed else "it is final.")
    )


def actor_label(actor, application: Application) -> str:
    if actor is None or isinstance(actor, AnonymousUser) or not actor.is_authenticated:
        return f"applicant {application.email}".strip()
    return actor.get_username()


@transaction.atomic
def application_transition(
    *,
    application: Application,
    to_state: str,
    actor,
    reason: str = "",
    ip: str | None = None,
) -> Application:
    """Move `application` to `to_state` or refuse with a ValidationError naming the allowed
    moves. The row is locked first so two reviewers cannot both decide."""
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if not transition_allowed(locked.state, to_state):
        raise ValidationError(transition_refusal(locked, to_state))
    from_state = locked.state
    now = timezone.now()
    locked.state = to_state
    fields = ["state", "updated_at"]
    if to_state == State.SUBMITTED:
        locked.submitted_at = now
        fields.append("submitted_at")
    if to_state in (State.APPROVED, State.REJECTED):
        locked.decided_at = now
        fields.append("decided_at")
    locked.save(update_fields=fields)
    label = actor_label(actor, locked)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    ApplicationTransition.objects.create(
        application=locked,
        from_state=from_state,
        to_state=to_state,
        actor=actor if authenticated else None,
        actor_label=label,
        reason=reason,
    )
    audit_record(
        actor=actor,
        action=f"application.{to_state}",
        target=f"application:{locked.pk}",
        details={"from": from_state, "to": to_state, "reason": reason, "by": label},
        ip=ip,
    )
    event_record(
        kind="application.state_changed",
        subject=f"application:{locked.pk}",
        account_id=locked.account_id,
        data={
            "application": str(locked.public_id),
            "external_id": locked.external_id,
            "from": from_state,
            "to": to_state,
        },
    )
    if to_state in NOTIFIED and locked.email:
        application_id, event = locked.pk, to_state
        # An applicant asked for more information gets the link back to their application.
        link = (
            application_resume_link(locked)
            if to_state == State.NEEDS_INFORMATION
            and locked.source == Application.Source.SELF_SERVICE
            else ""
        )
        applicant_notify_on_commit(
            application_id=application_id, event=event, reason=reason, link=link
        )
    application.refresh_from_db()
    return application


def _reason_require(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(f"A written reason is required to {what}.")
    return reason


@transaction.atomic
def application_review_start(*, application: Application, actor, ip=None) -> Application:
    """A reviewer takes a submitted application: it moves to In review, assigned to them."""
    reviewer_require(actor)
    application = application_transition(
        application=application, to_state=State.IN_REVIEW, actor=actor, ip=ip
    )
    Application.objects.filter(pk=application.pk, assigned_to__isnull=True).update(
        assigned_to=actor
    )
    application.refresh_from_db()
    return application


@transaction.atomic
def application_information_request(
    *, application: Application, actor, reason: str, ip=None
) -> Application:
    reviewer_require(actor)
    reason = _reason_require(reason, "ask for information")
    return application_transition(
        application=application,
        to_state=State.NEEDS_INFORMATION,
        actor=actor,
        reason=reason,
        ip=ip,
    )


@transaction.atomic
def application_reject(*, application: Application, actor, reason: str, ip=None) -> Application:
    reviewer_require(actor)
    reason = _reason_require(reason, "reject an application")
    return application_transition(
        application=application, to_state=State.REJECTED, actor=actor, reason=reason, ip=ip
    )


@transaction.atomic
def application_withdraw(
    *, application: Application, actor=None, reason: str = "", ip=None
) -> Application:
    """The applicant (or a reviewer on their behalf) withdraws the application."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        reviewer_require(actor)
    return application_transition(
        application=application, to_state=State.WITHDRAWN, actor=actor, reason=reason, ip=ip
    )
