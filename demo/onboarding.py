"""Demo applications for the demo tenants: a small watch list and applications in several states,
made through the services like real ones. Idempotent: nothing is added once applications exist."""

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import tenant_context

from compliance.disclosures import disclosures_shown
from onboarding.models import Application
from onboarding.services import (
    application_create,
    application_information_request,
    application_review_start,
    application_submit,
    document_upload,
    watchlist_replace,
)
from tenants.roles import COMPLIANCE_OFFICER, ONBOARDING_OFFICER

# The smallest well-formed PDF header an upload needs to pass content sniffing.
DEMO_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
WATCHLIST_CSV = b"name,date_of_birth\nViktor Blacklist,1970-05-01\nMara Sanctioned,\n"
APPLICANTS = (
    # first, last, date of birth, tax id, documents, final step
    ("Lena", "Fischer", "1988-04-12", "536-31-1201", True, "submitted"),
    ("Viktor", "Blacklist", "1970-05-01", "536-31-1202", True, "in_review"),
    ("Omar", "Haddad", "1992-09-30", "536-31-1203", False, "needs_information"),
    ("Sofia", "Rossi", "1979-01-17", "536-31-1204", False, "draft"),
)


def _staff(role: str):
    return get_user_model().objects.filter(groups__name=role, is_active=True).order_by("pk").first()


def _data(first: str, last: str, dob: str, tax_id: str, domain: str) -> dict:
    return {
        "applicant_type": "individual",
        "first_name": first,
        "last_name": last,
        "date_of_birth": dob,
        "citizenship": "US",
        "tax_residency": "US",
        "tax_id": tax_id,
        "email": f"{first.lower()}.{last.lower()}@applicant.{domain}",
        "phone": "+1 212 555 0100",
        "address_line1": "200 Park Avenue",
        "city": "New York",
        "postal_code": "10166",
        "country": "US",
        "employment_status": "employed",
        "annual_income": "95000",
        "net_worth": "350000",
        "liquid_net_worth": "120000",
        "objectives": "growth",
        "experience": "stocks:4",
        "trading_permissions": "stocks",
        "base_currency": "USD",
        "margin_type": "cash",
        "disclosures_version": "2026-01",
    }


def onboarding_demo_seed(*, tenant) -> None:
    with tenant_context(tenant):
        officer, compliance = _staff(ONBOARDING_OFFICER), _staff(COMPLIANCE_OFFICER)
        if officer is None or compliance is None or Application.objects.exists():
            return
        watchlist_replace(actor=compliance, data=WATCHLIST_CSV, source="demo list")
        domain = tenant.get_primary_domain().domain.split(".")[0] + ".example"
        for first, last, dob, tax_id, documents, step in APPLICANTS:
            application = application_create(
                actor=officer, data=_data(first, last, dob, tax_id, domain)
            )
            if documents:
                for kind in ("identity", "proof_of_address"):
                    document_upload(
                        application=application,
                        kind=kind,
                        upload=SimpleUploadedFile(f"{kind}.pdf", DEMO_PDF),
                    )
            if step == "draft":
                continue
            # The demo applicants accept what their country's clients are shown.
            shown = disclosures_shown(country=application.country, today=timezone.localdate())
            application = application_submit(application=application, disclosures_accepted=shown)
            if step in ("in_review", "needs_information"):
                application = application_review_start(application=application, actor=officer)
            if step == "needs_information":
                application_information_request(
                    application=application,
                    actor=officer,
                    reason="Please upload a proof of identity and a proof of address.",
                )
