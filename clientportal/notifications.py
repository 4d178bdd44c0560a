"""E-mails to clients about their portal: a withdrawal decided, a new message from staff. In the
tenant's brand (branding.emails); enqueued after commit in the tenant (tasks.py), so a rolled-back
decision sends nothing. A message e-mail carries no message text: the text stays in the portal."""

from __future__ import annotations

from django.urls import reverse

from branding.emails import branded_email, email_base_url

from .models import Message, WithdrawalRequest


def withdrawal_decided_notify_on_commit(*, request: WithdrawalRequest) -> None:
    from tenants.queue import task_enqueue_on_commit

    from .tasks import withdrawal_decided_email_send

    task_enqueue_on_commit(withdrawal_decided_email_send, request_id=request.pk)


def staff_message_notify_on_commit(*, message: Message) -> None:
    from tenants.queue import task_enqueue_on_commit

    from .tasks import staff_message_email_send

    task_enqueue_on_commit(staff_message_email_send, message_id=message.pk)


def withdrawal_decided_email_build(*, request: WithdrawalRequest):
    client = request.requested_by
    booked = request.status == WithdrawalRequest.Status.BOOKED
    return branded_email(
        template="clientportal/email/withdrawal_decided",
        subject=(
            f"Your withdrawal of {request.amount:,.2f} {request.currency} "
            + ("was approved" if booked else "was not approved")
        ),
        to=[client.email],
        context={
            "client": client,
            "withdrawal": request,
            "booked": booked,
            "action_url": email_base_url() + reverse("clientportal:transfers"),
            "action_label": "Open your transfers",
        },
    )


def staff_message_email_build(*, message: Message):
    thread = message.thread
    return branded_email(
        template="clientportal/email/staff_message",
        subject=f"New message: {thread.subject}",
        to=[thread.client.email],
        context={
            "client": thread.client,
            "thread": thread,
            "action_url": email_base_url()
            + reverse("clientportal:message_thread", args=[thread.pk]),
            "action_label": "Read the message",
        },
    )
