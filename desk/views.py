"""Clients and accounts in the Broker Portal: the listing (search, filters, sort, pages, CSV)
and the account 360 with its staff actions. Thin: access, then selectors or services."""

from __future__ import annotations

import datetime as dt
import io

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from brokerportal import csvsafe
from compliance.services import client_ip
from ledger.access import access_account, access_account_by_number, account_allows
from ledger.errors import LedgerError
from ledger.models import JournalEntry

from . import selectors, services

CSV_HEADER = (
    "number",
    "name",
    "type",
    "status",
    "master",
    "base_currency",
    "margin_type",
    "external_ref",
    "opened_at",
)


def _staff(request) -> None:
    if not request.user.is_staff:
        raise PermissionDenied


def accounts_index(request):
    _staff(request)
    listing = selectors.account_listing(
        request=request, data=request.GET, page_number=request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "listing": listing,
        "filter": listing.filterset,
        "query": query.urlencode(),
        "export_query": query.urlencode(),
    }
    return render(request, "desk/accounts.html", context)


def accounts_export(request):
    _staff(request)
    accounts = selectors.account_export_rows(request=request, data=request.GET)
    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow(CSV_HEADER)
    for a in accounts:
        writer.writerow(
            (
                a.number,
                a.title,
                a.account_type,
                a.status,
                a.parent.number if a.parent_id else "",
                a.base_currency,
                a.margin_type,
                a.external_ref,
                a.opened_at.isoformat(),
            )
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="accounts.csv"'
    return response


class ActivityFilterForm(forms.Form):
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(
        required=False, choices=[("", "All kinds"), *JournalEntry.Kind.choices]
    )


class StatusForm(forms.Form):
    verb = forms.ChoiceField(choices=[(v, v) for v in services.STATUS_VERBS])
    reason = forms.CharField(max_length=300)


class StatementForm(forms.Form):
    period_start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class MessageForm(forms.Form):
    client = forms.IntegerField(widget=forms.HiddenInput)
    subject = forms.CharField(max_length=200)
    body = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))


def _last_month() -> tuple[dt.date, dt.date]:
    end = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


def account_detail(request, number: str):
    _staff(request)
    account = access_account_by_number(user=request.user, tenant=request.tenant, number=number)
    activity = ActivityFilterForm(request.GET or None)
    start = end = kinds = None
    if activity.is_valid():
        start, end = activity.cleaned_data["start"], activity.cleaned_data["end"]
        kinds = [activity.cleaned_data["kind"]] if activity.cleaned_data["kind"] else None
    view = selectors.account_360(
        tenant=request.tenant,
        account=account,
        activity_start=start,
        activity_end=end,
        activity_kinds=kinds,
    )
    period_start, period_end = _last_month()
    clients = view.clients
    context = {
        "view": view,
        "account": account,
        "activity_form": activity,
        "can_change_status": services.status_change_allowed(request.user),
        "can_report": account_allows(
            user=request.user, tenant=request.tenant, account=account, need="report"
        ),
        "statement_form": StatementForm(
            initial={"period_start": period_start, "period_end": period_end}
        ),
        "message_client": clients[0] if clients else None,
        "message_form": MessageForm(initial={"client": clients[0].pk} if clients else None),
    }
    return render(request, "desk/account_360.html", context)


@require_POST
def account_act(request, account_id: int, action: str):
    """One POST route per verb: status (restrict/reopen/close), statement, message."""
    _staff(request)
    need = "report" if action == "statement" else "view"
    account = access_account(
        user=request.user, tenant=request.tenant, account_id=account_id, need=need
    )
    ip = client_ip(request)
    try:
        if action == "status":
            form = StatusForm(request.POST)
            if not form.is_valid():
                raise ValueError("Choose an action and give a reason.")
            changed = services.account_status_change(
                actor=request.user,
                tenant=request.tenant,
                account=account,
                verb=form.cleaned_data["verb"],
                reason=form.cleaned_data["reason"],
                ip=ip,
            )
            messages.success(
                request, f"Account {changed.number} is now {changed.get_status_display()}."
            )
        elif action == "statement":
            form = StatementForm(request.POST)
            if not form.is_valid():
                raise ValueError("Give the statement's period.")
            issued, created = services.statement_issue_for_account(
                actor=request.user,
                tenant=request.tenant,
                account=account,
                ip=ip,
                **form.cleaned_data,
            )
            messages.success(
                request,
                f"Statement {issued.period_start} – {issued.period_end} "
                + ("issued." if created else "was already issued."),
            )
        elif action == "message":
            form = MessageForm(request.POST)
            if not form.is_valid():
                raise ValueError("Write a subject and a message.")
            client = _account_client(account=account, user_id=form.cleaned_data["client"])
            services.client_message_start(
                actor=request.user,
                account=account,
                client=client,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                ip=ip,
            )
            messages.success(request, f"Message sent to {client.get_username()}.")
        else:
            raise Http404("No such action.")
    except (LedgerError, ValidationError, ValueError) as refused:
        text = refused.messages[0] if hasattr(refused, "messages") else str(refused)
        messages.error(request, text)
    return redirect("desk_account", number=account.number)


def _account_client(*, account, user_id: int):
    """A client of `account`: its holder (from the application) or a client granted it."""
    application = selectors.application_for(account)
    for client in selectors.clients_for(account, application):
        if client.pk == user_id:
            return client
    raise ValueError("That person is not a client of this account.")
