"""Fetch-and-check for client portal objects reached from request input: the same 404 for
"does not exist" and "not yours"."""

from django.http import Http404

from .models import MessageThread, WithdrawalRequest


def access_thread(*, user, thread_id, as_staff: bool = False) -> MessageThread:
    """A client reaches only their own threads; tenant staff reach every thread of the tenant
    (the tenant's schema holds no other)."""
    try:
        pk = int(thread_id)
    except (TypeError, ValueError):
        raise Http404("No such conversation.") from None
    threads = MessageThread.objects.select_related("client")
    if not (as_staff and user.is_staff):
        threads = threads.filter(client_id=user.pk)
    thread = threads.filter(pk=pk).first()
    if thread is None:
        raise Http404("No such conversation.")
    return thread


def access_withdrawal_request(*, user, tenant, request_id) -> WithdrawalRequest:
    """A withdrawal request of the tenant for staff deciding it (the Broker Portal's permission,
    `clientportal.change_withdrawalrequest`): 404 alike for a missing or malformed id, a request
    on another tenant's account, and anyone else."""
    try:
        pk = int(request_id)
    except (TypeError, ValueError):
        raise Http404("No such withdrawal request.") from None
    if (
        user is None
        or tenant is None
        or not getattr(user, "is_staff", False)
        or not user.has_perm("clientportal.change_withdrawalrequest")
    ):
        raise Http404("No such withdrawal request.")
    request = (
        WithdrawalRequest.objects.select_related("account")
        .filter(pk=pk, account__tenant_id=tenant.pk)
        .first()
    )
    if request is None:
        raise Http404("No such withdrawal request.")
    return request
