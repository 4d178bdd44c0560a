"""Creating and editing applications: a self-service draft saved step by step, a staff-entered
application, and the submission that closes the data entry."""

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from compliance.disclosures import disclosures_set_label, disclosures_shown
from compliance.services import audit_record
from ledger.models import Account
from ledger.selectors import masters_for

from ..models import Application
from ..notifications import applicant_notify_on_commit
from ..validation import ALL_FIELDS, application_data_clean
from .checks import application_checks_run
from .links import application_resume_link
from .workflow import (
    State,
    application_transition,
    reviewer_require,
    transition_allowed,
    transition_refusal,
)

EDITABLE_STATES = (State.DRAFT, State.NEEDS_INFORMATION)


def master_account_resolve(number: str) -> Account:
    master = masters_for(tenant=connection.tenant).filter(number=number).first()
    if master is None:
        raise ValidationError({"master_account": "is not an advisor master account of this firm"})
    return master


def application_values(application: Application) -> dict:
    """The application's fields as the validator takes them."""
    values = {name: getattr(application, name) for name in ALL_FIELDS if name != "master_account"}
    values["master_account"] = (
        application.master_account.number if application.master_account else ""
    )
    return values


def _apply(application: Application, cleaned: dict) -> list[str]:
    changed = []
    for name, value in cleaned.items():
        if name == "master_account":
            application.master_account = master_account_resolve(value) if value else None
        else:
            setattr(application, name, value)
        changed.append(name)
    return changed


def _cleaned_or_raise(data: dict, *, complete: bool) -> dict:
    cleaned, errors = application_data_clean(data, complete=complete)
    if errors:
        raise ValidationError(
            {name: f"{name.replace('_', ' ')} {msg}" for name, msg in errors.items()}
        )
    return cleaned


@transaction.atomic
def application_draft_start(*, email: str, ip: str | None = None) -> Application:
    """A self-service applicant starts: a draft with their e-mail, and a resume link sent to
    it after commit so they can continue later from any device."""
    cleaned = _cleaned_or_raise({"email": email}, complete=False)
    application = Application(source=Application.Source.SELF_SERVICE, **cleaned)
    application.save()
    audit_record(
        actor=None,
        action="application.start",
        target=f"application:{application.pk}",
        details={"by": f"applicant {application.email}", "source": application.source},
        ip=ip,
    )
    link = application_resume_link(application)
    applicant_notify_on_commit(application_id=application.pk, event="started", link=link)
    return application


@transaction.atomic
def application_draft_update(
    *, application: Application, data: dict, actor=None, ip: str | None = None
) -> Application:
    """Save some fields of a draft (or of an application sent back for information)."""
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if locked.state not in EDITABLE_STATES:
        raise ValidationError(
            f"Application #{locked.pk} is {State(locked.state).label} and can no longer be edited."
        )
    cleaned = _cleaned_or_raise(data, complete=False)
    changed = _apply(locked, cleaned)
    locked.save()
    audit_record(
        actor=actor,
        action="application.update",
        target=f"application:{locked.pk}",
        details={"fields": sorted(changed)},
        ip=ip,
    )
    return locked


@transaction.atomic
def application_create(
    *, actor, data: dict, ip: str | None = None, source: str = Application.Source.STAFF
) -> Application:
    """A staff member enters a complete application (a draft until submitted)."""
    reviewer_require(actor)
    cleaned = _cleaned_or_raise(data, complete=True)
    application = Application(source=source)
    _apply(application, cleaned)
    application.save()
    audit_record(
        actor=actor,
        action="application.create",
        target=f"application:{application.pk}",
        details={"source": source, "external_id": application.external_id},
        ip=ip,
    )
    return application


@transaction.atomic
def application_submit(
    *,
    application: Application,
    disclosures_accepted: list[dict],
    actor=None,
    ip: str | None = None,
) -> Application:
    """Submit a complete application with the disclosures the applicant accepted: the pages in
    force for the country of the address they gave (`compliance.disclosures.disclosures_shown`,
    the same versioned documents every client accepts), each named by page and the SHA-256 of
    the text they were shown. When those are not exactly the pages and texts in force now (one
    missing, or a new version published since the form was shown) nothing is submitted and the
    applicant reads them again. Approval records them as the client's acceptances. The
    automatic checks run right away so the reviewer sees them."""
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if not transition_allowed(locked.state, State.SUBMITTED):
        raise ValidationError(transition_refusal(locked, State.SUBMITTED))
    in_force = disclosures_shown(country=locked.country, today=timezone.localdate())
    wanted = {(d["page"], d["sha256"]) for d in in_force}
    given = {(d.get("page"), d.get("sha256")) for d in disclosures_accepted}
    if given != wanted:
        raise ValidationError(
            "The disclosures must be accepted before submitting."
            if not given
            else "The disclosures changed since they were shown: please read and accept them again."
        )
    locked.disclosures_acknowledged = [
        {key: d[key] for key in ("page", "title", "version", "sha256")} | {"ip": ip}
        for d in in_force
    ]
    locked.disclosures_version = disclosures_set_label(in_force)
    locked.disclosures_accepted_at = timezone.now()
    values = application_values(locked)
    _cleaned_or_raise(values, complete=True)
    locked.save(
        update_fields=[
            "disclosures_version",
            "disclosures_accepted_at",
            "disclosures_acknowledged",
            "updated_at",
        ]
    )
    application_transition(
        application=locked, to_state=State.SUBMITTED, actor=actor, reason="", ip=ip
    )
    locked.refresh_from_db()
    return application_checks_run(application=locked)
