from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from branding.selectors import announcements_current
from clientportal.scope import portal_page
from clientportal.selectors import FIGURES_CACHE_SECONDS, dashboard_figures, dashboard_figures_key
from compliance.disclosures import disclosures_pending
from onboarding.selectors import client_country
from trading.selectors import orders_for

TOP_POSITIONS = 10
RECENT_ACTIVITY = 8
PENDING_ORDERS = 5


@portal_page
def home(request):
    scope = request.portal
    pending = disclosures_pending(
        user=request.user,
        country=client_country(user=request.user),
        today=timezone.now().date(),
    )
    if pending and not request.session.get("disclosures_shown"):
        # Shown once after login; the dashboard keeps a notice until they are accepted.
        request.session["disclosures_shown"] = True
        return redirect("clientportal:disclosures")
    context = {
        "announcements": announcements_current(limit=3),
        "disclosures_pending": pending,
    }
    if scope.selected:
        context["pending_orders"] = orders_for(
            accounts=scope.selected, state="open", limit=PENDING_ORDERS
        )
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
