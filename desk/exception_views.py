"""The exception reports in the Broker Portal: the list per kind the user's roles own, the
CSV, and acknowledging one with a note."""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from brokerportal import csvsafe
from compliance.services import client_ip

from . import services
from .exceptions import KINDS, exceptions_report, kinds_for


def _kinds(request) -> list[str]:
    if not request.user.is_staff:
        raise PermissionDenied
    return kinds_for(request.user)


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
            }
        )
    context = {"sections": sections, "show_acknowledged": show_acknowledged, "report": report}
    return render(request, "desk/exceptions.html", context)


def exceptions_export(request):
    kinds = _kinds(request)
    report = exceptions_report(tenant=request.tenant, kinds=kinds)
    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow(("kind", "subject", "detail", "since", "acknowledged_by", "note"))
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
                )
            )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="exceptions.csv"'
    return response


@require_POST
def exception_acknowledge(request):
    _kinds(request)
    try:
        services.exception_acknowledge(
            actor=request.user,
            tenant=request.tenant,
            kind=request.POST.get("kind", ""),
            key=request.POST.get("key", ""),
            note=request.POST.get("note", ""),
            ip=client_ip(request),
        )
        messages.success(request, "Exception acknowledged.")
    except ValueError as refused:
        messages.error(request, str(refused))
    return redirect("desk_exceptions")
