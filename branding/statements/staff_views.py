"""Broker Portal views for statements: month-end runs with their progress, and downloads."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from branding.statement_models import PERIOD_KINDS
from branding.statements.actions import StatementRunStart
from branding.statements.selectors import (
    access_issued_statement,
    access_statement_run,
    run_failures,
    run_progress,
    runs_recent,
    statements_for,
)
from branding.storage import accel_redirect_path
from compliance.actions import action_submit, action_view, read_view, refusal_text
from compliance.chain import PUBLIC, Chain, anchors_for, chain_for_tenant
from ledger.access import accounts_visible

FORMATS = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8", "xml": "application/xml"}


class RunForm(forms.Form):
    period_kind = forms.ChoiceField(choices=PERIOD_KINDS, initial="monthly")
    period_start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("period_start") and data.get("period_end"):
            if data["period_end"] < data["period_start"]:
                raise forms.ValidationError("The period ends before it starts.")
        return data


def _last_month() -> tuple[dt.date, dt.date]:
    first_of_this = timezone.localdate().replace(day=1)
    end = first_of_this - dt.timedelta(days=1)
    return end.replace(day=1), end


def _require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


@read_view
def statement_runs(request):
    _require(request, "branding.view_statementrun")
    start, end = _last_month()
    form = RunForm(initial={"period_start": start, "period_end": end})
    accounts = accounts_visible(user=request.user, tenant=request.tenant, need="report")
    context = {
        "runs": runs_recent(tenant=request.tenant),
        "form": form,
        "can_start": request.user.has_perm("branding.add_statementrun"),
        "statements": statements_for(tenant=request.tenant, account_ids=accounts.values("pk"))[:50],
    }
    return render(request, "branding/statements/staff_runs.html", context)


@action_view(StatementRunStart)
@require_POST
def statement_run_create(request):
    _require(request, "branding.add_statementrun")
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, refusal_text(ValidationError(form.errors), sep="; "))
        return redirect("branding_statement_runs")
    outcome = action_submit(
        request,
        StatementRunStart.from_request(request, **form.cleaned_data),
        done=lambda run: f"Statement run for {run} started.",
    )
    if not outcome.ok:
        return redirect("branding_statement_runs")
    return redirect("branding_statement_run", run_id=outcome.result.pk)


@read_view
def statement_run_detail(request, run_id: int):
    run = access_statement_run(user=request.user, tenant=request.tenant, run_id=run_id)
    progress = run_progress(tenant=request.tenant, run=run)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "total": progress.total,
                "issued": progress.issued,
                "failed": progress.failed,
                "percent": progress.percent,
                "done": progress.done,
            }
        )
    period = {"start": run.period_start, "end": run.period_end}
    context = {
        "progress": progress,
        "anchors": anchors_for(chain_for_tenant(request.tenant), **period),
        "platform_anchors": anchors_for(Chain(PUBLIC), **period),
        "failures": run_failures(tenant=request.tenant, run=run)[:200],
        "can_start": request.user.has_perm("branding.add_statementrun"),
    }
    return render(request, "branding/statements/staff_run.html", context)


@read_view
def statement_download_staff(request, statement_id: int, fmt: str):
    statement = access_issued_statement(
        user=request.user, tenant=request.tenant, statement_id=statement_id, need="report"
    )
    return statement_file_response(statement, fmt)


def statement_file_response(statement, fmt: str) -> HttpResponse:
    """The file of an issued statement that the caller has already access-checked. The files
    live in private storage with no URL; behind nginx (`STATEMENTS_ACCEL_REDIRECT_PREFIX` set)
    nginx sends the bytes from an internal location, otherwise Django streams them."""
    if fmt not in FORMATS:
        raise Http404("No such format.")
    field = getattr(statement, fmt)
    name = (
        f"{statement.account.number}-{statement.kind}-{statement.period_end:%Y%m%d}"
        f"-v{statement.version}.{fmt}"
    )
    internal = accel_redirect_path(field.name)
    if internal is None:
        response = FileResponse(
            field.open("rb"), as_attachment=True, filename=name, content_type=FORMATS[fmt]
        )
    else:
        response = HttpResponse(content_type=FORMATS[fmt])
        response["Content-Disposition"] = content_disposition_header(True, name)
        response["X-Accel-Redirect"] = internal
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
