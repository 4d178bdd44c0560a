from celery import shared_task

from .models import Message, WithdrawalRequest
from .notifications import staff_message_email_build, withdrawal_decided_email_build


@shared_task
def withdrawal_decided_email_send(*, request_id: int) -> int:
    """Reads the request and sends one e-mail; nothing for a client without an address."""
    request = WithdrawalRequest.objects.select_related("requested_by").filter(pk=request_id).first()
    if request is None or request.status == WithdrawalRequest.Status.PENDING:
        return 0
    if not request.requested_by.email:
        return 0
    return withdrawal_decided_email_build(request=request).send()


@shared_task
def staff_message_email_send(*, message_id: int) -> int:
    message = (
        Message.objects.select_related("thread", "thread__client").filter(pk=message_id).first()
    )
    if message is None or not message.from_staff or not message.thread.client.email:
        return 0
    return staff_message_email_build(message=message).send()
