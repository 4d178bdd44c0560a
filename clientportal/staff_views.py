"""Broker Portal (Wagtail admin) side of the client portal: secure messages with clients and the
queue of withdrawal requests awaiting approval. Registered in wagtail_hooks.py."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ledger.errors import LedgerError

from . import services
from .access import access_thread
from .forms import ReplyForm
from .models import WithdrawalRequest
from .selectors import thread_messages, threads_for_staff, withdrawal_requests_for_staff

APPROVE_PERMISSION = "clientportal.change_withdrawalrequest"


def _staff(request):
    if not request.user.is_staff:
        raise PermissionDenied


def staff_messages(request):
    _staff(request)
    threads = threads_for_staff()[:200]
    return render(request, "clientportal/staff/messages.html", {"threads": threads})


def staff_thread(request, thread_id: int):
    _staff(request)
    thread = access_thread(user=request.user, thread_id=thread_id, as_staff=True)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.message_post(
            thread=thread, sender=request.user, body=form.cleaned_data["body"], from_staff=True
        )
        return redirect("clientportal_staff_thread", thread_id=thread.pk)
    items = list(thread_messages(thread=thread))
    services.thread_read_mark(thread=thread, by_staff=True)
    context = {"thread": thread, "items": items, "form": form}
    return render(request, "clientportal/staff/thread.html", context)


def staff_withdrawals(request):
    _staff(request)
    status = request.GET.get("status", WithdrawalRequest.Status.PENDING)
    if status not in WithdrawalRequest.Status.values:
        status = WithdrawalRequest.Status.PENDING
    context = {
        "requests": withdrawal_requests_for_staff(status=status)[:200],
        "status": status,
        "statuses": WithdrawalRequest.Status.choices,
        "can_decide": request.user.has_perm(APPROVE_PERMISSION),
    }
    return render(request, "clientportal/staff/withdrawals.html", context)


@require_POST
def staff_withdrawal_decide(request, request_id: int):
    _staff(request)
    if not request.user.has_perm(APPROVE_PERMISSION):
        raise PermissionDenied
    get_object_or_404(WithdrawalRequest, pk=request_id)
    try:
        if request.POST.get("decision") == "approve":
            services.withdrawal_request_approve(
                staff=request.user, tenant=request.tenant, request_id=request_id
            )
            messages.success(request, "Withdrawal approved and booked.")
        else:
            services.withdrawal_request_reject(
                staff=request.user, request_id=request_id, note=request.POST.get("note", "")[:300]
            )
            messages.success(request, "Withdrawal rejected.")
    except LedgerError as refused:
        messages.error(request, refused.messages[0])
    return redirect("clientportal_staff_withdrawals")
