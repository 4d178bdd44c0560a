"""Downloads of trade confirmations, realized gains reports and performance reports, rendered on
request in the tenant's brand.

Clients (client portal) may download confirmations and gains reports of accounts they may see;
staff (Broker Portal) those of accounts they may report on, and the performance report of an
advisor master they may report on. Every account comes through `ledger.access.access_account`:
the same 404 for a missing id, another tenant's account and an account not granted; 403 for an
account a staff user may see but not report on.
"""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from branding.statements.brand_style import brand_style_current
from branding.statements.confirmations import confirmation_gather, confirmation_report
from branding.statements.gains import gains_gather, gains_report
from branding.statements.layout import DISPLAY, PLAIN
from branding.statements.performance_report import (
    DEFAULT_BENCHMARK,
    performance_overview,
    performance_report,
)
from branding.statements.report_render import report_csv, report_pdf
from compliance.actions import read_view
from ledger.access import access_account, accounts_visible
from ledger.models import Account

REPORT_FORMATS = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}
SYMBOL = re.compile(r"^[A-Z0-9.\-]{1,32}$")
FIRST_YEAR = 1970


def _format(fmt: str) -> str:
    if fmt not in REPORT_FORMATS:
        raise Http404("No such format.")
    return fmt


def _date(value) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise Http404("No such date.") from None


def _year(value: int) -> int:
    if not FIRST_YEAR <= int(value) <= timezone.localdate().year + 1:
        raise Http404("No such year.")
    return int(value)


def report_response(build, fmt: str, filename: str) -> HttpResponse:
    """`build(formats)` returns the `Report`; rendered in the current tenant's brand."""
    brand = brand_style_current()
    if fmt == "pdf":
        content = report_pdf(build(DISPLAY), brand)
    else:
        content = report_csv(build(PLAIN), brand)
    response = HttpResponse(content, content_type=REPORT_FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def _confirmation(request, account_id, trade_date, fmt, need):
    account = access_account(
        user=request.user, tenant=request.tenant, account_id=account_id, need=need
    )
    fmt, day = _format(fmt), _date(trade_date)
    confirmation = confirmation_gather(tenant=request.tenant, account=account, trade_date=day)
    return report_response(
        lambda f: confirmation_report(confirmation, f),
        fmt,
        f"{account.number}-confirmation-{day:%Y%m%d}",
    )


def _gains(request, account_id, year, fmt, need):
    account = access_account(
        user=request.user, tenant=request.tenant, account_id=account_id, need=need
    )
    fmt, year = _format(fmt), _year(year)
    report = gains_gather(tenant=request.tenant, account=account, year=year)
    return report_response(
        lambda f: gains_report(report, f), fmt, f"{account.number}-realized-gains-{year}"
    )


# --- client portal ------------------------------------------------------------------------------


@login_required
def confirmation_download(request, account_id: int, trade_date: str, fmt: str):
    return _confirmation(request, account_id, trade_date, fmt, need="view")


@login_required
def gains_download(request, account_id: int, year: int, fmt: str):
    return _gains(request, account_id, year, fmt, need="view")


# --- Broker Portal ------------------------------------------------------------------------------


@read_view
def confirmation_download_staff(request, account_id: int, trade_date: str, fmt: str):
    return _confirmation(request, account_id, trade_date, fmt, need="report")


@read_view
def gains_download_staff(request, account_id: int, year: int, fmt: str):
    return _gains(request, account_id, year, fmt, need="report")


def _period(request) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    start = _date(request.GET.get("start") or dt.date(today.year, 1, 1))
    end = _date(request.GET.get("end") or today)
    if end < start:
        raise Http404("The period ends before it starts.")
    return start, end


@read_view
def performance_download_staff(request, account_id: int, fmt: str):
    master = access_account(
        user=request.user, tenant=request.tenant, account_id=account_id, need="report"
    )
    if master.account_type != Account.Type.MASTER:
        raise Http404("No such advisor master.")
    fmt = _format(fmt)
    start, end = _period(request)
    benchmark = (request.GET.get("benchmark") or DEFAULT_BENCHMARK).strip().upper()
    if not SYMBOL.match(benchmark):
        raise Http404("No such benchmark.")
    overview = performance_overview(
        tenant=request.tenant,
        master=master,
        period_start=start,
        period_end=end,
        benchmark_symbol=benchmark,
    )
    return report_response(
        lambda f: performance_report(overview, f),
        fmt,
        f"{master.number}-performance-{start:%Y%m%d}-{end:%Y%m%d}",
    )


FORMAT_CHOICES = [("pdf", "PDF"), ("csv", "CSV")]


# Up to this many accounts are offered in a list; a user who may report on more types the number.
PICKER_LIMIT = 500


class _AccountForm(forms.Form):
    """The account, picked from a list of those the user may report on (masters only for the
    performance report). A tenant may have thousands: above `PICKER_LIMIT` the number is typed.
    Either way the number must be of an account the user may report on."""

    account = forms.CharField(max_length=16, label="Account")
    format = forms.ChoiceField(choices=FORMAT_CHOICES)
    masters_only = False

    def __init__(self, *args, user, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.tenant = user, tenant
        offered = self._reportable().only("number", "title")[: PICKER_LIMIT + 1]
        choices = [(a.number, f"{a.number} · {a.title}" if a.title else a.number) for a in offered]
        field = self.fields["account"]
        if len(choices) <= PICKER_LIMIT:
            empty = "Choose an account" if choices else "No account you may report on"
            field.widget = forms.Select(choices=[("", empty), *choices])
        else:
            field.label = "Account number"
            field.help_text = (
                f"You may report on more than {PICKER_LIMIT} accounts: type the number "
                "(Accounts finds it by name)."
            )

    def _reportable(self):
        accounts = accounts_visible(user=self.user, tenant=self.tenant, need="report")
        if self.masters_only:
            accounts = accounts.filter(account_type=Account.Type.MASTER)
        return accounts.order_by("number")

    def clean_account(self) -> Account:
        number = self.cleaned_data["account"].strip().upper()
        account = (
            accounts_visible(user=self.user, tenant=self.tenant, need="report")
            .filter(number=number)
            .first()
        )
        if account is None:
            # The same answer for a missing number and one the user may not report on.
            raise forms.ValidationError("No account with this number that you may report on.")
        if self.masters_only and account.account_type != Account.Type.MASTER:
            raise forms.ValidationError("This account is not an advisor master.")
        return account


class ConfirmationForm(_AccountForm):
    trade_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class GainsForm(_AccountForm):
    year = forms.IntegerField(min_value=FIRST_YEAR, max_value=9999)


class PerformanceForm(_AccountForm):
    masters_only = True
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    benchmark = forms.RegexField(regex=SYMBOL, initial=DEFAULT_BENCHMARK)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError("The period ends before it starts.")
        return data


REPORT_FORMS = {
    "confirmation": ConfirmationForm,
    "gains": GainsForm,
    "performance": PerformanceForm,
}


@read_view
def reports_index(request):
    """The Broker Portal's report forms; a valid form sends the browser to its download (which
    checks the account again, as any request naming an account)."""
    today = timezone.localdate()
    initial = {
        "confirmation": {"trade_date": today},
        "gains": {"year": today.year},
        "performance": {"start": today.replace(month=1, day=1), "end": today},
    }
    kind = request.GET.get("report")
    forms_by_kind = {}
    for name, form_class in REPORT_FORMS.items():
        data = request.GET if name == kind else None
        form = form_class(
            data,
            user=request.user,
            tenant=request.tenant,
            initial=initial[name],
            prefix=name,
        )
        if data is not None and form.is_valid():
            return redirect(_download_url(name, form.cleaned_data))
        forms_by_kind[name] = form
    return render(request, "branding/statements/staff_reports.html", {"forms": forms_by_kind})


def _download_url(kind: str, data: dict) -> str:
    account, fmt = data["account"].pk, data["format"]
    if kind == "confirmation":
        return reverse(
            "branding_report_confirmation", args=[account, data["trade_date"].isoformat(), fmt]
        )
    if kind == "gains":
        return reverse("branding_report_gains", args=[account, data["year"], fmt])
    query = f"?start={data['start']:%Y-%m-%d}&end={data['end']:%Y-%m-%d}"
    query += f"&benchmark={data['benchmark']}"
    return reverse("branding_report_performance", args=[account, fmt]) + query
