from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from branding.selectors import announcements_current
from clientportal.scope import portal_scope
from clientportal.selectors import entries_recent, portal_valuation

TOP_POSITIONS = 10
RECENT_ACTIVITY = 8


@login_required
def home(request):
    scope = portal_scope(request)
    context = {"portal": scope, "announcements": announcements_current(limit=3)}
    if scope.selected:
        valuation = portal_valuation(tenant=request.tenant, accounts=scope.selected)
        top = sorted(valuation.positions, key=lambda r: abs(r.value.market_value), reverse=True)
        recent = entries_recent(
            tenant=request.tenant, accounts=scope.selected, limit=RECENT_ACTIVITY
        )
        context |= {
            "valuation": valuation.total,
            "top_positions": top[:TOP_POSITIONS],
            "position_count": len(valuation.positions),
            "recent_activity": recent,
        }
    return render(request, "clientportal/dashboard.html", context)
