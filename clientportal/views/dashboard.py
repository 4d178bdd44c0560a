from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from branding.selectors import announcements_current
from clientportal.scope import portal_scope
from clientportal.selectors import portal_valuation
from ledger.selectors import activity_for

TOP_POSITIONS = 10
RECENT_ACTIVITY = 8
RECENT_DAYS = 90


@login_required
def home(request):
    scope = portal_scope(request)
    context = {"portal": scope, "announcements": announcements_current(limit=3)}
    if scope.selected:
        valuation = portal_valuation(tenant=request.tenant, accounts=scope.selected)
        top = sorted(valuation.positions, key=lambda r: abs(r.value.market_value), reverse=True)
        since = timezone.localdate() - timedelta(days=RECENT_DAYS)
        activity = activity_for(tenant=request.tenant, account_ids=scope.selected_ids, start=since)
        context |= {
            "valuation": valuation.total,
            "top_positions": top[:TOP_POSITIONS],
            "position_count": len(valuation.positions),
            "recent_activity": activity[:RECENT_ACTIVITY],
        }
    return render(request, "clientportal/dashboard.html", context)
