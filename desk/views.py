"""Clients and accounts in the Broker Portal: the listing (search, filters, sort, pages, CSV)
and the account 360 with its staff actions. Thin: access, then selectors or services."""

from __future__ import annotations

import datetime as dt
import io

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from brokerportal import csvsafe
from compliance.actions import action_submit, action_view, read_view
from ledger.access import access_account, access_account_by_number, account_allows
from ledger.models import JournalEntry

from . import panels, selectors
from .actions import (
    STATUS_VERBS,
    AccountClientMessage,
    AccountStatementIssue,
    AccountStatusChange,
    status_change_allowed,
)

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


@read_view
def accounts_index(request):
    _staff(request)
    listing = selectors.account_listing(
        request=request,
        data=request.GET,
        page_number=request.GET.get("page"),
        exact=request.GET.get("count") == "all",
    )
    query = request.GET.copy()
    query.pop("page", None)
    export = query.copy()
    export.pop("count", None)
    context = {
        "listing": listing,
        "filter": listing.filterset,
        "query": query.urlencode(),
        "export_query": export.urlencode(),
    }
    return render(request, "desk/accounts.html", context)


@read_view
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
    verb = forms.ChoiceField(choices=[(v, v) for v in STATUS_VERBS])
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


@read_view
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
        "can_change_status": status_change_allowed(request.user),
        "can_report": account_allows(
            user=request.user, tenant=request.tenant, account=account, need="report"
        ),
        "statement_form": StatementForm(
            initial={"period_start": period_start, "period_end": period_end}
        ),
        "message_client": clients[0] if clients else None,
        "deposit_queue_url": panels.named_url(panels.DEPOSIT_QUEUE_NAMES),
        "journal_url": panels.named_url(panels.JOURNAL_NAMES),
        "message_form": MessageForm(initial={"client": clients[0].pk} if clients else None),
    }
    return render(request, "desk/account_360.html", context)


@action_view(AccountStatusChange, AccountStatementIssue, AccountClientMessage)
@require_POST
def account_act(request, account_id: int, action: str):
    """One POST route per verb: status (restrict/reopen/close), statement, message."""
    _staff(request)
    if action not in ("status", "statement", "message"):
        raise Http404("No such action.")
    need = "report" if action == "statement" else "view"
    account = access_account(
        user=request.user, tenant=request.tenant, account_id=account_id, need=need
    )
    if action == "status":
        form = StatusForm(request.POST)
        if form.is_valid():
            action_submit(
                request,
                AccountStatusChange.from_request(request, account=account, **form.cleaned_data),
                done=lambda changed: (
                    f"Account {changed.number} is now {changed.get_status_display()}."
                ),
            )
        else:
            messages.error(request, "Choose an action and give a reason.")
    elif action == "statement":
        form = StatementForm(request.POST)
        if form.is_valid():
            action_submit(
                request,
                AccountStatementIssue.from_request(request, account=account, **form.cleaned_data),
                done=lambda result: (
                    f"Statement {result[0].period_start} – {result[0].period_end} "
                    + ("issued." if result[1] else "was already issued.")
                ),
            )
        else:
            messages.error(request, "Give the statement's period.")
    else:
        form = MessageForm(request.POST)
        client = _account_client(account=account, user_id=form.data.get("client"))
        if form.is_valid() and client is not None:
            action_submit(
                request,
                AccountClientMessage.from_request(
                    request,
                    account=account,
                    client=client,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                ),
                done=f"Message sent to {client.get_username()}.",
            )
        else:
            messages.error(request, "Write a subject and a message to one of the clients.")
    return redirect("desk_account", number=account.number)


def _account_client(*, account, user_id: int):
    """A client of `account`: its holder (from the application) or a client granted it."""
    """A client of `account` (its holder or a client granted it) by id, or None."""
    application = selectors.application_for(account)
    for client in selectors.clients_for(account, application):
        if str(client.pk) == str(user_id):
            return client
    return None
