"""Broker Portal screens of the funding desk (registered in wagtail_hooks): the queue of deposit
notices with credit and reject, and journals (new, upload, awaiting approval, approve, reject,
reverse). Each view parses input, goes through an access_* helper and calls a service; a
refusal is shown with the reason and changes nothing."""

from __future__ import annotations

import uuid
from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from clientportal.models import DepositNotice
from compliance.actions import action_submit, action_view, read_view, refusal_text
from funding import selectors, services
from funding.access import access_deposit_notice, access_journal, desk_require
from funding.actions import (
    DepositNoticeCredit,
    DepositNoticeReject,
    JournalApprove,
    JournalCreate,
    JournalReject,
    JournalReverse,
    JournalsUpload,
)
from funding.models import Journal

NOTICE_TABS = (
    [("open", "To credit"), ("stale", "Stale")]
    + [
        (value, label)
        for value, label in DepositNotice.Status.choices
        if value not in ("pending", "partial")
    ]
    + [("all", "All")]
)
JOURNAL_TABS = list(Journal.Status.choices) + [("all", "All")]


def _refused(request, error: Exception) -> None:
    messages.error(request, refusal_text(error))


@read_view
def deposit_notices(request):
    desk_require(request.user)
    status = request.GET.get("status", "open")
    if status not in dict(NOTICE_TABS):
        status = "open"
    if status == "stale":
        notices = selectors.deposit_notices_stale(tenant=request.tenant, as_of=timezone.now())
    else:
        notices = selectors.deposit_notices_for_desk(tenant=request.tenant, status=status)
    context = {
        "notices": notices[:500],
        "status": status,
        "tabs": NOTICE_TABS,
        "stale_days": selectors.funding_settings(tenant=request.tenant).deposit_stale_days,
    }
    return render(request, "funding/deposit_notices.html", context)


def _notice_page(request, notice, *, form=None, status: int = 200):
    context = {
        "notice": notice,
        "credits": selectors.deposit_credits_for(notice=notice),
        "token": uuid.uuid4().hex,  # a new token: a refused form credited nothing
        "today": timezone.localdate(),
        "form": form or {},
    }
    return render(request, "funding/deposit_notice.html", context, status=status)


@read_view
def deposit_notice(request, notice_id: int):
    notice = access_deposit_notice(user=request.user, tenant=request.tenant, notice_id=notice_id)
    return _notice_page(request, notice)


def _date(text: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError("Give the value date as YYYY-MM-DD.") from None


@action_view(DepositNoticeCredit)
@require_POST
def deposit_notice_credit(request, notice_id: int):
    notice = access_deposit_notice(user=request.user, tenant=request.tenant, notice_id=notice_id)
    try:
        value_date = _date(request.POST.get("value_date", ""))
    except ValidationError as error:
        _refused(request, error)
        return _notice_page(request, notice, form=request.POST, status=400)
    action = DepositNoticeCredit.from_request(
        request,
        notice=notice,
        amount=request.POST.get("amount", ""),
        idempotency_key=request.POST.get("token", ""),
        value_date=value_date,
        bank_reference=request.POST.get("bank_reference", ""),
        accept_over=request.POST.get("accept_over") == "1",
    )
    outcome = action_submit(
        request,
        action,
        done=lambda credit: (
            f"{credit.amount:,.2f} {notice.currency} credited to {notice.account.number}."
        ),
    )
    if not outcome.ok:
        return _notice_page(request, notice, form=request.POST, status=400)
    return redirect("funding_deposit_notice", notice_id=notice.pk)


@action_view(DepositNoticeReject)
@require_POST
def deposit_notice_reject(request, notice_id: int):
    notice = access_deposit_notice(user=request.user, tenant=request.tenant, notice_id=notice_id)
    action = DepositNoticeReject.from_request(
        request, notice=notice, reason=request.POST.get("reason", "")
    )
    outcome = action_submit(
        request, action, done="Deposit notice rejected; the client sees the reason."
    )
    if not outcome.ok:
        return _notice_page(request, notice, form=request.POST, status=400)
    return redirect("funding_deposit_notice", notice_id=notice.pk)


@read_view
def journals(request):
    desk_require(request.user)
    status = request.GET.get("status", Journal.Status.PENDING)
    if status not in dict(JOURNAL_TABS):
        status = Journal.Status.PENDING
    context = {
        "journals": selectors.journals_for_desk(tenant=request.tenant, status=status)[:500],
        "status": status,
        "tabs": JOURNAL_TABS,
        "limit": selectors.funding_settings(tenant=request.tenant).journal_approval_limit,
    }
    return render(request, "funding/journals.html", context)


@action_view(JournalCreate)
def journal_new(request):
    desk_require(request.user)
    form = request.POST if request.method == "POST" else None
    status = 200
    if form is not None:
        spec = services.JournalSpec(
            **{field: form.get(field, "") for field in services.CSV_COLUMNS}
        )
        action = JournalCreate.from_request(request, spec=spec, request_key=form.get("token", ""))
        outcome = action_submit(request, action)
        if not outcome.ok:
            status = 400
        else:
            journal = outcome.result
            if journal.status == Journal.Status.BOOKED:
                messages.success(request, f"{journal.reference} booked.")
            else:
                messages.warning(
                    request,
                    f"{journal.reference} is above the approval limit and awaits a second "
                    "person's approval.",
                )
            return redirect("funding_journal", journal_id=journal.pk)
    context = {
        "form": form or {"kind": "cash"},
        "token": uuid.uuid4().hex,
        "kinds": Journal.Kind.choices,
        "limit": selectors.funding_settings(tenant=request.tenant).journal_approval_limit,
    }
    return render(request, "funding/journal_new.html", context, status=status)


@action_view(JournalsUpload)
def journal_upload(request):
    desk_require(request.user)
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "Choose a CSV file of journals.")
            status = 400
        else:
            action = JournalsUpload.from_request(request, filename=upload.name, data=upload.read())
            outcome = action_submit(request, action)
            status = 200 if outcome.ok else 400
        if status == 200:
            batch = outcome.result
            counts = {s: batch.journals.filter(status=s).count() for s in Journal.Status.values}
            messages.success(
                request,
                f"{batch.filename}: {batch.row_count} journals, {counts['booked']} booked, "
                f"{counts['pending']} awaiting approval.",
            )
            return redirect("funding_journals")
    context = {"columns": services.CSV_COLUMNS}
    return render(request, "funding/journal_upload.html", context, status=status)


@read_view
def journal_detail(request, journal_id: int):
    journal = access_journal(user=request.user, tenant=request.tenant, journal_id=journal_id)
    context = {
        "journal": journal,
        "is_maker": journal.maker_id == request.user.pk,
    }
    return render(request, "funding/journal_detail.html", context)


def _journal_act(request, journal_id: int, action_class, done: str, **values):
    journal = access_journal(user=request.user, tenant=request.tenant, journal_id=journal_id)
    action = action_class.from_request(request, journal=journal, **values)
    action_submit(request, action, done=f"{journal.reference} {done}.")
    return redirect("funding_journal", journal_id=journal.pk)


@action_view(JournalApprove)
@require_POST
def journal_approve(request, journal_id: int):
    return _journal_act(request, journal_id, JournalApprove, "approved and booked")


@action_view(JournalReject)
@require_POST
def journal_reject(request, journal_id: int):
    return _journal_act(
        request, journal_id, JournalReject, "rejected", reason=request.POST.get("reason", "")
    )


@action_view(JournalReverse)
@require_POST
def journal_reverse(request, journal_id: int):
    return _journal_act(request, journal_id, JournalReverse, "reversed")
