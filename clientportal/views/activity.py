from datetime import date, timedelta

from django.shortcuts import render
from django.utils import timezone

from branding.statements.confirmations import confirmation_dates_for
from branding.statements.gains import gains_years_for
from branding.statements.selectors import statements_for
from clientportal.scope import portal_page
from ledger.selectors import activity_for

from .common import csv_response

KINDS = (("trade", "Trades"), ("cash", "Cash transactions"))
DEFAULT_DAYS = 90


def _date(value: str, default: date) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return default


@portal_page
def activity(request):
    scope = request.portal
    today = timezone.localdate()
    start = _date(request.GET.get("start"), today - timedelta(days=DEFAULT_DAYS))
    end = _date(request.GET.get("end"), today)
    kind = request.GET.get("kind", "")
    symbol = request.GET.get("symbol", "").strip().upper()
    rows = activity_for(tenant=request.tenant, account_ids=scope.selected_ids, start=start, end=end)
    if kind == "trade":
        rows = [r for r in rows if r.kind == "trade"]
    elif kind == "cash":
        rows = [r for r in rows if r.kind != "trade" and not r.symbol]
    if symbol:
        rows = [r for r in rows if r.symbol.upper() == symbol]
    if request.GET.get("format") == "csv":
        return csv_response(
            "activity.csv",
            [
                "trade_date",
                "settle_date",
                "account",
                "kind",
                "symbol",
                "quantity",
                "price",
                "currency",
                "amount",
                "commission",
                "memo",
            ],
            (
                [
                    r.trade_date,
                    r.settle_date,
                    r.account_number,
                    r.kind,
                    r.symbol,
                    r.quantity,
                    "" if r.price is None else r.price,
                    r.currency,
                    r.amount,
                    r.commission,
                    r.memo,
                ]
                for r in rows
            ),
        )
    context = {
        "rows": rows,
        "start": start,
        "end": end,
        "kind": kind,
        "symbol": symbol,
        "kinds": KINDS,
    }
    return render(request, "clientportal/activity.html", context)


@portal_page
def statements(request):
    """Issued statements of the selected accounts (branding.statements), newest first."""
    scope = request.portal
    documents = statements_for(tenant=request.tenant, account_ids=scope.selected_ids)[:200]
    context = {
        "documents": documents,
        "confirmations": confirmation_dates_for(
            tenant=request.tenant, account_ids=scope.selected_ids
        ),
        "gains_years": gains_years_for(tenant=request.tenant, account_ids=scope.selected_ids),
    }
    return render(request, "clientportal/statements.html", context)
