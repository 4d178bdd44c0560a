"""Broker Portal screens of the funding desk (registered in wagtail_hooks): the queue of deposit
notices with credit and reject, and journals (new, upload, awaiting approval, approve, reject,
reverse). Each view parses input, goes through an access_* helper and calls a service; a
refusal is shown with the reason and changes nothing."""

from __future__ import annotations

import uuid
from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from clientportal.models import DepositNotice
from funding import selectors, services
from funding.access import access_deposit_notice, access_journal, desk_require
from funding.models import Journal

REFUSED = (ValidationError, PermissionDenied)
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
    text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
    messages.error(request, text or "You may not do this.")


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


@require_POST
def deposit_notice_credit(request, notice_id: int):
    notice = access_deposit_notice(user=request.user, tenant=request.tenant, notice_id=notice_id)
    try:
        credit = services.deposit_notice_credit(
            actor=request.user,
            tenant=request.tenant,
            notice=notice,
            amount=request.POST.get("amount", ""),
            idempotency_key=request.POST.get("token", ""),
            value_date=_date(request.POST.get("value_date", "")),
            bank_reference=request.POST.get("bank_reference", ""),
            accept_over=request.POST.get("accept_over") == "1",
        )
    except REFUSED as error:
        _refused(request, error)
        return _notice_page(request, notice, form=request.POST, status=400)
    messages.success(
        request,
        f"{credit.amount:,.2f} {notice.currency} credited to {notice.account.number}.",
    )
    return redirect("funding_deposit_notice", notice_id=notice.pk)


@require_POST
def deposit_notice_reject(request, notice_id: int):
    notice = access_deposit_notice(user=request.user, tenant=request.tenant, notice_id=notice_id)
    try:
        services.deposit_notice_reject(
            actor=request.user,
            tenant=request.tenant,
            notice=notice,
            reason=request.POST.get("reason", ""),
        )
    except REFUSED as error:
        _refused(request, error)
        return _notice_page(request, notice, form=request.POST, status=400)
    messages.success(request, "Deposit notice rejected; the client sees the reason.")
    return redirect("funding_deposit_notice", notice_id=notice.pk)


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


def journal_new(request):
    desk_require(request.user)
    form = request.POST if request.method == "POST" else None
    status = 200
    if form is not None:
        spec = services.JournalSpec(
            **{field: form.get(field, "") for field in services.CSV_COLUMNS}
        )
        try:
            journal = services.journal_create(
                actor=request.user,
                tenant=request.tenant,
                spec=spec,
                request_key=form.get("token", ""),
            )
        except REFUSED as error:
            _refused(request, error)
            status = 400
        else:
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


def journal_upload(request):
    desk_require(request.user)
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ValidationError("Choose a CSV file of journals.")
            batch = services.journals_upload(
                actor=request.user, tenant=request.tenant, filename=upload.name, data=upload.read()
            )
        except REFUSED as error:
            _refused(request, error)
            status = 400
        else:
            counts = {s: batch.journals.filter(status=s).count() for s in Journal.Status.values}
            messages.success(
                request,
                f"{batch.filename}: {batch.row_count} journals, {counts['booked']} booked, "
                f"{counts['pending']} awaiting approval.",
            )
            return redirect("funding_journals")
    context = {"columns": services.CSV_COLUMNS}
    return render(request, "funding/journal_upload.html", context, status=status)


def journal_detail(request, journal_id: int):
    journal = access_journal(user=request.user, tenant=request.tenant, journal_id=journal_id)
    context = {
        "journal": journal,
        "is_maker": journal.maker_id == request.user.pk,
    }
    return render(request, "funding/journal_detail.html", context)


def _journal_act(request, journal_id: int, act, done: str, **extra):
    journal = access_journal(user=request.user, tenant=request.tenant, journal_id=journal_id)
    try:
        act(actor=request.user, tenant=request.tenant, journal=journal, **extra)
    except REFUSED as error:
        _refused(request, error)
    else:
        messages.success(request, f"{journal.reference} {done}.")
    return redirect("funding_journal", journal_id=journal.pk)


@require_POST
def journal_approve(request, journal_id: int):
    return _journal_act(request, journal_id, services.journal_approve, "approved and booked")


@require_POST
def journal_reject(request, journal_id: int):
    return _journal_act(
        request,
        journal_id,
        services.journal_reject,
        "rejected",
        reason=request.POST.get("reason", ""),
    )


@require_POST
def journal_reverse(request, journal_id: int):
    return _journal_act(request, journal_id, services.journal_reverse, "reversed")
