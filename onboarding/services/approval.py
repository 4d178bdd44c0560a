"""Approval: the one transaction that turns an application into an open ledger account, a client
login with an invitation, and the client's grants on exactly that account."""

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from compliance.services import client_user_create, grant_add, invitation_create
from compliance.services.disclosures import disclosures_accept_recorded
from events.services import event_record
from ledger.models import Account
from ledger.services import account_open

from ..models import Application
from ..notifications import applicant_notify_on_commit
from .checks import application_checks_run, checks_blocking
from .workflow import State, application_transition, reviewer_require, transition_refusal

CLIENT_PERMS = ["view", "fund", "trade"]


def account_type_for(application: Application) -> str:
    if application.master_account_id:
        return Account.Type.SUB
    return application.applicant_type


@transaction.atomic
def application_approve(
    *, application: Application, actor, reason: str = "", ip: str | None = None
) -> Application:
    """Approve an application under review. The checks run again first; any failed check that a
    Compliance Officer has not overridden blocks the approval and nothing changes. Then, in this
    same transaction: the ledger account opens (a sub-account of the chosen master where asked),
    the client's login is created with a single-use invitation, the disclosures the applicant
    accepted are recorded as the client's acceptances, and the client is granted
    view/fund/trade on that account only. The e-mails (account open, invitation) leave after
    commit."""
    reviewer_require(actor)
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if locked.state != State.IN_REVIEW:
        raise ValidationError(transition_refusal(locked, State.APPROVED))
    application_checks_run(application=locked)
    blocking = checks_blocking(locked)
    if blocking:
        raise ValidationError(
            "Approval is blocked by failed checks: "
            + " ".join(f"[{name}] {message}" for name, message in sorted(blocking.items()))
            + " A Compliance Officer may override a check with a written reason."
        )
    application_transition(
        application=locked, to_state=State.APPROVED, actor=actor, reason=reason, ip=ip
    )
    account = account_open(
        tenant=connection.tenant,
        title=locked.display_name,
        account_type=account_type_for(locked),
        base_currency=locked.base_currency,
        margin_type=locked.margin_type,
        parent=locked.master_account,
    )
    user = client_user_create(
        actor=actor,
        email=locked.email,
        first_name=locked.first_name,
        last_name=locked.last_name,
        ip=ip,
    )
    # What the applicant accepted at submission becomes the client's own acceptances.
    acknowledged = [d for d in locked.disclosures_acknowledged if d.get("sha256")]
    if acknowledged:
        disclosures_accept_recorded(
            user=user,
            acknowledged=acknowledged,
            accepted_at=locked.disclosures_accepted_at,
            ip=acknowledged[0].get("ip"),
        )
    # The invitation e-mail (single-use link to set a password and enrol 2FA) leaves after
    # commit from invitation_create itself.
    invitation_create(actor=actor, user=user, ip=ip)
    grant_add(actor=actor, user=user, accounts=[account], perms=CLIENT_PERMS, ip=ip)
    Application.objects.filter(pk=locked.pk).update(account=account, user=user)
    event_record(
        kind="account.opened",
        subject=f"account:{account.number}",
        account_id=account.pk,
        data={
            "account": account.number,
            "account_type": account.account_type,
            "base_currency": account.base_currency,
            "application": str(locked.public_id),
        },
    )
    locked.refresh_from_db()
    application_transition(
        application=locked,
        to_state=State.OPENED,
        actor=actor,
        reason=f"Account {account.number} opened for {user.get_username()}.",
        ip=ip,
    )
    applicant_notify_on_commit(application_id=locked.pk, event="opened")
    application.refresh_from_db()
    return application
