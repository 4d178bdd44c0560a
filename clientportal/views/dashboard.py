from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from branding.selectors import announcements_current
from clientportal.charts import Series, line_chart_svg
from clientportal.scope import portal_page
from clientportal.selectors import FIGURES_CACHE_SECONDS, dashboard_figures, dashboard_figures_key
from clientportal.views.performance import PERIOD_LABELS
from compliance.disclosures import disclosures_pending
from ledger.selectors import PERIODS, nav_series_for, period_range
from onboarding.selectors import client_country
from trading.selectors import orders_for

TOP_POSITIONS = 10
RECENT_ACTIVITY = 8
PENDING_ORDERS = 5

NAV_RANGE_DEFAULT = "1M"


def nav_chart(*, tenant, accounts, code: str, today) -> dict:
    """The NAV of `accounts` (one base currency) over the named period, as a server-rendered SVG
    line and the sentence that is its text alternative (WCAG 2.2, 1.1.1 Non-text Content)."""
    chart = {"range": code, "svg": "", "summary": ""}
    bases = {a.base_currency for a in accounts}
    if len(bases) != 1:
        chart["summary"] = "The NAV chart is shown per account when base currencies differ."
        return chart
    start, end = period_range(code, today=today)
    points = nav_series_for(
        tenant=tenant, account_ids=[a.pk for a in accounts], start=start, end=end
    )
    if len(points) < 2:
        chart["summary"] = "Not enough NAV history in this range for a chart."
        return chart
    base = bases.pop()
    (first_day, first), (last_day, last) = points[0], points[-1]
    navs = [nav for _, nav in points]
    summary = (
        f"Net liquidation value from {first:,.2f} {base} on {first_day:%-d %b %Y} to "
        f"{last:,.2f} {base} on {last_day:%-d %b %Y} ({last - first:+,.2f} {base}, "
        f"{len(points)} daily values; low {min(navs):,.2f}, high {max(navs):,.2f})."
    )
    chart["summary"] = summary
    chart["svg"] = line_chart_svg(
        [Series(f"NAV, {base}", [float(nav) for nav in navs])],
        x_labels=[first_day.isoformat(), last_day.isoformat()],
        title=summary,
        unit="",
        with_zero=False,
        decimals=0,
    )
    return chart


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
        code = request.GET.get("range", NAV_RANGE_DEFAULT)
        code = code if code in PERIODS else NAV_RANGE_DEFAULT
        context["nav_chart"] = nav_chart(
            tenant=request.tenant, accounts=scope.selected, code=code, today=timezone.localdate()
        )
        context["nav_ranges"] = PERIOD_LABELS
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
