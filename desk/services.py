"""The staff's verbs on an account from its 360 page: restrict, reopen or close it, issue a
statement, message the client. Each checks the actor's right, writes through the owning app's
service and leaves an audit record (target `account:<number>`), in one transaction."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction

from compliance.access import has_role
from compliance.services import audit_record
from ledger import services as ledger_services
from ledger.models import Account
from tenants.roles import COMPLIANCE_OFFICER, ONBOARDING_OFFICER, SECURITY_OFFICER

# Who may change an account's status (FINRA Rule 3110 supervision: restricting and closing an
# account are supervisory acts, kept to the officers).
STATUS_ROLES = (ONBOARDING_OFFICER, COMPLIANCE_OFFICER, SECURITY_OFFICER)
STATUS_VERBS = {
    "restrict": Account.Status.RESTRICTED,
    "reopen": Account.Status.OPEN,
    "close": Account.Status.CLOSED,
}


def status_change_allowed(user) -> bool:
    return has_role(user, *STATUS_ROLES)


@transaction.atomic
def account_status_change(*, actor, tenant, account: Account, verb: str, reason: str, ip=None):
    """`verb` is restrict, reopen or close; a reason is required. Closing is refused while the
    account holds anything (`ledger.services.account_status_set`)."""
    if not status_change_allowed(actor):
        raise PermissionDenied("Only the tenant's officers may change an account's status.")
    if verb not in STATUS_VERBS:
        raise ValueError(f"Unknown action {verb!r}.")
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("Give a reason; the client's file keeps it.")
    before = account.status
    changed = ledger_services.account_status_set(
        tenant=tenant, account=account, status=STATUS_VERBS[verb]
    )
    audit_record(
        actor=actor,
        action=f"account.{verb}",
        target=f"account:{account.number}",
        details={"from": before, "to": changed.status, "reason": reason[:300]},
        ip=ip,
    )
    return changed


def statement_issue_for_account(
    *, actor, tenant, account: Account, period_start: dt.date, period_end: dt.date, ip=None
):
    """Issue (or find) the activity statement of one account for a period. The actor needs
    `report` on the account (the caller reached it with `access_account(need="report")`)."""
    from branding.statements.services import statement_issue

    if period_end < period_start:
        raise ValueError("The period ends before it starts.")
    with transaction.atomic():
        issued, created = statement_issue(
            account=account,
            period_kind="custom",
            period_start=period_start,
            period_end=period_end,
            user=actor,
        )
        audit_record(
            actor=actor,
            action="statement.issue" if created else "statement.issue_existing",
            target=f"account:{account.number}",
            details={"statement_id": issued.pk, "start": str(period_start), "end": str(period_end)},
            ip=ip,
        )
    return issued, created


@transaction.atomic
def client_message_start(*, actor, account: Account, client, subject: str, body: str, ip=None):
    """A new thread from staff to one of the account's clients; the client is e-mailed."""
    from clientportal.services import message_thread_start_by_staff

    thread = message_thread_start_by_staff(
        staff=actor, client=client, subject=subject.strip(), body=body.strip()
    )
    audit_record(
        actor=actor,
        action="account.message",
        target=f"account:{account.number}",
        details={"thread_id": thread.pk},
        ip=ip,
    )
    return thread


@transaction.atomic
def exception_acknowledge(*, actor, tenant, kind: str, key: str, note: str, ip=None):
    """Leave a note on an exception that exists now and that the actor's roles own; refused
    (Http404, nothing written) for anything else."""
    from django.http import Http404

    from .exceptions import exceptions_report, kinds_for
    from .models import ExceptionAcknowledgement

    note = (note or "").strip()
    if kind not in kinds_for(actor):
        raise Http404("No such exception.")
    item = exceptions_report(tenant=tenant, kinds=[kind]).find(kind, key)
    if item is None:
        raise Http404("No such exception.")
    if not note:
        raise ValueError("Write a note: what was done, or why it can wait.")
    ack, created = ExceptionAcknowledgement.objects.get_or_create(
        kind=kind,
        key=key,
        defaults={
            "note": note[:500],
            "acknowledged_by_id": actor.pk,
            "acknowledged_by_username": actor.get_username(),
        },
    )
    if created:
        audit_record(
            actor=actor,
            action="exception.acknowledge",
            target=f"exception:{kind}:{key}"[:255],
            details={"note": note[:500], "subject": item.subject},
            ip=ip,
        )
    return ack
