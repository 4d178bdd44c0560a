"""Acceptance coverage of the disclosure documents, for the staff who chase the missing: per
document, the clients of its region, how many accepted its current version, and who did not."""

from django.shortcuts import render
from django.utils import timezone

from compliance.actions import read_view
from compliance.disclosures import disclosure_coverage
from tenants.roles import COMPLIANCE_OFFICER, role_required

from .selectors import clients_with_country
from .services.workflow import REVIEWER_ROLES


@read_view
def disclosure_coverage_view(request):
    role_required(
        request.user,
        *REVIEWER_ROLES,
        COMPLIANCE_OFFICER,
        refusal="Only onboarding and compliance staff may see this.",
    )
    rows = disclosure_coverage(clients=clients_with_country(), today=timezone.now().date())
    return render(request, "onboarding/admin/disclosure_coverage.html", {"rows": rows})
