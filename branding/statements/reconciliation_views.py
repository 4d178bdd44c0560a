"""The Broker Portal's reconciliation report: the ledger against the carrying broker's
statements (`ledger.selectors.reconciliation`) for the accounts the staff member may report on,
as a page or CSV. `?as_of=YYYY-MM-DD` takes each account's newest statement ending on or before
that day; `?breaks=1` lists only the figures that differ; `?format=csv` downloads."""

from __future__ import annotations

import datetime as dt
import io

from django.http import Http404, HttpResponse
from django.shortcuts import render

from brokerportal import csvsafe
from compliance.actions import read_view
from ledger.access import accounts_visible
from ledger.selectors.reconciliation import reconciliation_for

CSV_COLUMNS = (
    "account",
    "statement_date",
    "kind",
    "key",
    "label",
    "currency",
    "broker",
    "ledger",
    "difference",
    "agrees",
)


@read_view
def reconciliation_report(request):
    as_of = None
    if request.GET.get("as_of"):
        try:
            as_of = dt.date.fromisoformat(request.GET["as_of"])
        except ValueError:
            raise Http404("No such date.") from None
    accounts = accounts_visible(user=request.user, tenant=request.tenant, need="report")
    lines = reconciliation_for(tenant=request.tenant, account_ids=list(accounts), as_of=as_of)
    breaks_only = request.GET.get("breaks") == "1"
    shown = [line for line in lines if not line.agrees] if breaks_only else lines
    if request.GET.get("format") == "csv":
        out = io.StringIO()
        writer = csvsafe.writer(out)
        writer.writerow(CSV_COLUMNS)
        for line in shown:
            writer.writerow(
                (
                    line.account_number,
                    line.as_of.isoformat(),
                    line.kind,
                    line.key,
                    line.label,
                    line.currency,
                    line.broker.normalize(),
                    line.ledger.normalize(),
                    line.difference.normalize(),
                    "yes" if line.agrees else "no",
                )
            )
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="reconciliation.csv"'
        return response
    return render(
        request,
        "branding/statements/staff_reconciliation.html",
        {
            "lines": shown,
            "breaks": sum(1 for line in lines if not line.agrees),
            "total": len(lines),
            "breaks_only": breaks_only,
            "as_of": as_of,
            "can_import": request.user.has_perm("ledger.add_brokerstatement"),
        },
    )
