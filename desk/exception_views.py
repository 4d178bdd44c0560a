"""The exception reports in the Broker Portal: the list per kind the user's roles own, the
CSV, and acknowledging one with a note."""

from __future__ import annotations

import io
import json

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from brokerportal import csvsafe
from compliance.actions import action_submit, action_view, read_view

from .actions import ExceptionAcknowledge
from .exceptions import KINDS, exceptions_report, kinds_for


def _kinds(request) -> list[str]:
    if not request.user.is_staff:
        raise PermissionDenied
    return kinds_for(request.user)


@read_view
def exceptions_index(request):
    kinds = _kinds(request)
    report = exceptions_report(tenant=request.tenant, kinds=kinds)
    show_acknowledged = request.GET.get("acknowledged") == "1"
    sections = []
    for code in kinds:
        items = report.items[code] if show_acknowledged else report.open_items(code)
        sections.append(
            {
                "kind": KINDS[code],
                "items": [(i, report.acknowledged.get((i.kind, i.key))) for i in items[:500]],
                "open": len(report.open_items(code)),
                "total": len(report.items[code]),
                "evidence": any(i.evidence for i in report.items[code]),
            }
        )
    context = {"sections": sections, "show_acknowledged": show_acknowledged, "report": report}
    return render(request, "desk/exceptions.html", context)


@read_view
def exceptions_export(request):
    kinds = _kinds(request)
    report = exceptions_report(tenant=request.tenant, kinds=kinds)
    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow(("kind", "subject", "detail", "since", "acknowledged_by", "note", "evidence"))
    for code in kinds:
        for item in report.items[code]:
            ack = report.acknowledged.get((item.kind, item.key))
            writer.writerow(
                (
                    KINDS[code].title,
                    item.subject,
                    item.detail,
                    item.since.isoformat() if item.since else "",
                    ack.acknowledged_by_username if ack else "",
                    ack.note if ack else "",
                    json.dumps(item.evidence, sort_keys=True, default=str) if item.evidence else "",
                )
            )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="exceptions.csv"'
    return response


@action_view(ExceptionAcknowledge)
@require_POST
def exception_acknowledge(request):
    _kinds(request)
    action = ExceptionAcknowledge.from_request(
        request,
        kind=request.POST.get("kind", ""),
        key=request.POST.get("key", ""),
        note=request.POST.get("note", ""),
    )
    action_submit(request, action, done="Exception acknowledged.")
    return redirect("desk_exceptions")
