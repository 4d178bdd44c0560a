from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.functional import SimpleLazyObject

from branding.selectors import announcements_current
from clientportal.scope import portal_scope
from clientportal.selectors import FIGURES_CACHE_SECONDS, dashboard_figures, dashboard_figures_key

TOP_POSITIONS = 10
RECENT_ACTIVITY = 8


@login_required
def home(request):
    scope = portal_scope(request)
    context = {"portal": scope, "announcements": announcements_current(limit=3)}
    if scope.selected:
        shown = {"tenant": request.tenant, "accounts": scope.selected}
        shown |= {"top": TOP_POSITIONS, "recent": RECENT_ACTIVITY}
        key = dashboard_figures_key(**shown)
        # The rendered figures are cached under the same key: read only when not.
        context |= {
            "figures": SimpleLazyObject(lambda: dashboard_figures(**shown, key=key)),
            "figures_key": key,
            "figures_seconds": FIGURES_CACHE_SECONDS,
        }
    return render(request, "clientportal/dashboard.html", context)
