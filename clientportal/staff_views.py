"""Broker Portal (Wagtail admin) side of the client portal: secure messages with clients and the
queue of withdrawal requests awaiting approval. Registered in wagtail_hooks.py."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from compliance.actions import action_submit, action_view, read_view

from . import services
from .access import access_thread, access_withdrawal_request
from .actions import APPROVE_PERMISSION, StaffMessagePost, WithdrawalApprove, WithdrawalReject
from .forms import ReplyForm
from .models import WithdrawalRequest
from .selectors import thread_messages, threads_for_staff, withdrawal_requests_for_staff


def _staff(request):
    if not request.user.is_staff:
        raise PermissionDenied


@read_view
def staff_messages(request):
    _staff(request)
    threads = threads_for_staff()[:200]
    return render(request, "clientportal/staff/messages.html", {"threads": threads})


@action_view(StaffMessagePost)
def staff_thread(request, thread_id: int):
    _staff(request)
    thread = access_thread(user=request.user, thread_id=thread_id, as_staff=True)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = StaffMessagePost.from_request(
            request, thread=thread, body=form.cleaned_data["body"]
        )
        if action_submit(request, action).ok:
            return redirect("clientportal_staff_thread", thread_id=thread.pk)
    items = list(thread_messages(thread=thread))
    services.thread_read_mark(thread=thread, by_staff=True)
    context = {"thread": thread, "items": items, "form": form}
    return render(request, "clientportal/staff/thread.html", context)


@read_view
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


@action_view(WithdrawalApprove, WithdrawalReject)
@require_POST
def staff_withdrawal_decide(request, request_id: int):
    _staff(request)
    if not request.user.has_perm(APPROVE_PERMISSION):
        raise PermissionDenied
    withdrawal = access_withdrawal_request(
        user=request.user, tenant=request.tenant, request_id=request_id
    )
    if request.POST.get("decision") == "approve":
        action = WithdrawalApprove.from_request(request, withdrawal=withdrawal)
        action_submit(request, action, done="Withdrawal approved and booked.")
    else:
        note = request.POST.get("note", "")[:300]
        action = WithdrawalReject.from_request(request, withdrawal=withdrawal, note=note)
        action_submit(request, action, done="Withdrawal rejected.")
    return redirect("clientportal_staff_withdrawals")
