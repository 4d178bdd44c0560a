"""The staff's verbs of the desk as Actions (compliance.actions): restrict, reopen or close an
account, issue its statement, message its client, acknowledge an exception. The screens call
them through `action_submit`; each writes its audit record (target `account:<number>` or
`exception:<kind>:<key>`) in the verb's transaction."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone

from compliance.actions import Action
from compliance.services import audit_record
from ledger import services as ledger_services
from ledger.models import Account
from tenants.roles import COMPLIANCE_OFFICER, ONBOARDING_OFFICER, SECURITY_OFFICER, has_role

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


class AccountStatusChange(Action):
    """Restrict, reopen or close an account, with a reason. Closing is refused while the
    account holds anything (`ledger.services.account_status_set`)."""

    fields = ("account", "verb", "reason")
    allowed_roles = STATUS_ROLES
    staff_only = True
    refusal = "Only the tenant's officers may change an account's status."

    def perform(self):
        from django.core.exceptions import ValidationError

        if self.verb not in STATUS_VERBS:
            raise ValidationError(f"Unknown action {self.verb!r}.")
        reason = (self.reason or "").strip()
        if not reason:
            raise ValidationError("Give a reason; the client's file keeps it.")
        before = self.account.status
        changed = ledger_services.account_status_set(
            tenant=self.tenant, account=self.account, status=STATUS_VERBS[self.verb]
        )
        audit_record(
            actor=self.actor,
            action=f"account.{self.verb}",
            target=f"account:{self.account.number}",
            details={"from": before, "to": changed.status, "reason": reason[:300]},
            ip=self.ip,
        )
        if changed.status == Account.Status.RESTRICTED and before != changed.status:
            from events.services import event_record

            event_record(
                kind="account.restricted",
                subject=f"account:{self.account.number}",
                account_id=self.account.pk,
                data={"account": self.account.number, "from": before, "reason": reason[:300]},
            )
        return changed


class AccountStatementIssue(Action):
    """Issue (or find) the activity statement of one account for a period; the caller reached
    the account with `access_account(need="report")`."""

    fields = ("account", "period_start", "period_end")
    staff_only = True

    def perform(self):
        from django.core.exceptions import ValidationError

        from branding.statements.services import statement_issue

        if self.period_end < self.period_start:
            raise ValidationError("The period ends before it starts.")
        if self.period_end > timezone.localdate():
            raise ValidationError("A statement covers days that have ended.")
        issued, created = statement_issue(
            account=self.account,
            period_kind="custom",
            period_start=self.period_start,
            period_end=self.period_end,
            user=self.actor,
        )
        audit_record(
            actor=self.actor,
            action="statement.issue" if created else "statement.issue_existing",
            target=f"account:{self.account.number}",
            details={
                "statement_id": issued.pk,
                "start": str(self.period_start),
                "end": str(self.period_end),
            },
            ip=self.ip,
        )
        return issued, created


class AccountClientMessage(Action):
    """A new thread from staff to one of the account's clients; the client is e-mailed."""

    fields = ("account", "client", "subject", "body")
    staff_only = True

    def perform(self):
        from clientportal.services import message_thread_start_by_staff

        thread = message_thread_start_by_staff(
            staff=self.actor,
            client=self.client,
            subject=self.subject.strip(),
            body=self.body.strip(),
        )
        audit_record(
            actor=self.actor,
            action="account.message",
            target=f"account:{self.account.number}",
            details={"thread_id": thread.pk},
            ip=self.ip,
        )
        return thread


class ExceptionAcknowledge(Action):
    """Leave a note on an exception that exists now and that the actor's roles own; anything
    else is the same 404 and nothing is written."""

    fields = ("kind", "key", "note")
    staff_only = True

    def perform(self):
        from django.core.exceptions import ValidationError

        from .exceptions import exceptions_report, kinds_for
        from .models import ExceptionAcknowledgement

        note = (self.note or "").strip()
        if self.kind not in kinds_for(self.actor):
            raise Http404("No such exception.")
        item = exceptions_report(tenant=self.tenant, kinds=[self.kind]).find(self.kind, self.key)
        if item is None:
            raise Http404("No such exception.")
        if not note:
            raise ValidationError("Write a note: what was done, or why it can wait.")
        ack, created = ExceptionAcknowledgement.objects.get_or_create(
            kind=self.kind,
            key=self.key,
            defaults={
                "note": note[:500],
                "acknowledged_by_id": self.actor.pk,
                "acknowledged_by_username": self.actor.get_username(),
            },
        )
        if created:
            audit_record(
                actor=self.actor,
                action="exception.acknowledge",
                target=f"exception:{self.kind}:{self.key}"[:255],
                details={"note": note[:500], "subject": item.subject},
                ip=self.ip,
            )
        return ack
