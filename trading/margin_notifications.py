"""E-mails about margin calls, in the tenant's brand (branding.emails): to the account's clients
and to the firm's compliance officers when a call opens, to the clients when it is met.
Enqueued after commit in the tenant (`tenants.queue`), so a rolled-back run sends nothing."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from branding.emails import branded_email, email_base_url
from tenants.roles import COMPLIANCE_OFFICER

from .margin_models import MarginCall


def margin_call_notify_on_commit(*, call: MarginCall, opened: bool) -> None:
    from tenants.queue import task_enqueue_on_commit

    from .margin_tasks import margin_call_emails_send

    task_enqueue_on_commit(margin_call_emails_send, call_id=call.pk, opened=opened)


def _staff_emails() -> list[str]:
    return list(
        get_user_model()
        .objects.filter(is_active=True, groups__name=COMPLIANCE_OFFICER)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
        .distinct()
    )


def margin_call_emails_build(*, call: MarginCall, opened: bool) -> list:
    """One e-mail per client of the account, and (for a new call) one per compliance officer."""
    from branding.statements.selectors import clients_of_accounts

    account = call.account
    verb = "Margin call" if opened else "Margin call met"
    subject = f"{verb} on account {account.number}: {call.amount:,.2f} {call.currency}"
    messages = [
        branded_email(
            template="trading/email/margin_call",
            subject=subject,
            to=[client.email],
            context={
                "person": client,
                "call": call,
                "account": account,
                "opened": opened,
                "staff": False,
                "action_url": email_base_url() + "/",
                "action_label": "Open the portal",
            },
        )
        for client in clients_of_accounts(account_ids=[account.pk]).get(account.pk, [])
        if client.email
    ]
    if opened:
        messages += [
            branded_email(
                template="trading/email/margin_call",
                subject=subject,
                to=[email],
                context={"call": call, "account": account, "opened": True, "staff": True},
            )
            for email in _staff_emails()
        ]
    return messages
