from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from branding.selectors import announcements_current
from clientportal.scope import portal_scope
from clientportal.selectors import dashboard_figures

TOP_POSITIONS = 10
RECENT_ACTIVITY = 8


@login_required
def home(request):
    scope = portal_scope(request)
    context = {"portal": scope, "announcements": announcements_current(limit=3)}
    if scope.selected:
        figures = dashboard_figures(
            tenant=request.tenant,
            accounts=scope.selected,
            top=TOP_POSITIONS,
            recent=RECENT_ACTIVITY,
        )
        context |= {
            "valuation": figures.total,
            "top_positions": figures.top_positions,
            "position_count": figures.position_count,
            "recent_activity": figures.recent,
        }
    return render(request, "clientportal/dashboard.html", context)
