"""Disclosures the client must accept (compliance.disclosures): the list with their texts and one
accept per document version. Shown after login (the dashboard sends the client here while one
is pending); funding and trading are refused until they are accepted."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from clientportal.scope import portal_page
from compliance.disclosures import disclosures_for, disclosures_pending
from compliance.services import client_ip
from compliance.services.disclosures import disclosure_accept
from onboarding.selectors import client_country


@portal_page
def disclosures(request):
    country = client_country(user=request.user)
    today = timezone.now().date()
    pending = disclosures_pending(user=request.user, country=country, today=today)
    context = {
        "pending": pending,
        "accepted": [p for p in disclosures_for(country=country, today=today) if p not in pending],
    }
    return render(request, "clientportal/disclosures.html", context)


@login_required
@require_POST
def disclosure_accept_view(request, page_id: int):
    country = client_country(user=request.user)
    today = timezone.now().date()
    page = next((p for p in disclosures_for(country=country, today=today) if p.pk == page_id), None)
    if page is None:  # another tenant's page, another region's or not in force: all alike
        raise Http404("No such disclosure.")
    disclosure_accept(user=request.user, page=page, ip=client_ip(request))
    messages.success(request, f"Accepted: {page.title} (version {page.version or '-'}).")
    return redirect("clientportal:disclosures")
