"""The self-service form on the tenant's host: steps, resume link, documents, submission."""

import re

import pytest
from django.core import mail
from django_tenants.utils import tenant_context

from onboarding.models import Application
from tests.support.tenants import tenant_client

from .factories import EXE_BYTES, PDF_BYTES, PNG_BYTES, upload

pytestmark = pytest.mark.django_db

STEP_DATA = {
    "identity": {
        "applicant_type": "individual",
        "first_name": "Grace",
        "last_name": "Hopper",
        "date_of_birth": "1986-12-09",
        "citizenship": "US",
        "tax_residency": "US",
        "tax_id": "536-22-1234",
    },
    "contact": {
        "phone": "+1 202 555 0199",
        "address_line1": "7 Navy Yard",
        "city": "Arlington",
        "postal_code": "22202",
        "country": "US",
    },
    "finances": {
        "employment_status": "employed",
        "annual_income": "90000",
        "net_worth": "300000",
        "liquid_net_worth": "100000",
        "objectives": ["growth"],
        "experience_stocks": "6",
    },
    "account": {"trading_permissions": ["stocks"], "base_currency": "USD", "margin_type": "cash"},
}


def fill_in_application(client, email="grace@example.com"):
    """Walk the whole self-service form; returns the review page's response after submission."""
    response = client.post("/apply/", {"email": email})
    assert response.status_code == 302 and response["Location"] == "/apply/step/identity/"
    for slug, data in STEP_DATA.items():
        response = client.post(f"/apply/step/{slug}/", data)
        assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == "/apply/documents/"
    for kind, content in (("identity", PDF_BYTES), ("proof_of_address", PNG_BYTES)):
        response = client.post(
            "/apply/documents/", {"kind": kind, "file": upload(f"{kind}.pdf", content)}
        )
        assert response.status_code == 302
    return client.post("/apply/review/", {"disclosures": "on"})


def _disclosure_page(tenant, **fields):
    from wagtail.models import Page

    from branding.pages import DisclosurePage

    with tenant_context(tenant):
        root = Page.get_first_root_node()
        return root.add_child(instance=DisclosurePage(body="<p>Terms.</p>", **fields))


def test_applicant_fills_in_every_step_and_submits(tenant_a, django_capture_on_commit_callbacks):
    # given a visitor on the tenant's host, which publishes a US and a UK disclosure
    page = _disclosure_page(
        tenant_a, title="Customer agreement", slug="ca", region="US", version="7"
    )
    _disclosure_page(tenant_a, title="UK terms", slug="uk", region="GB", version="2")
    client = tenant_client(tenant_a)
    # when they fill in every step and submit
    with django_capture_on_commit_callbacks(execute=True):
        response = fill_in_application(client)
    # then the application is submitted with what they typed, cleaned
    assert response.status_code == 302 and response["Location"] == "/apply/done/"
    with tenant_context(tenant_a):
        application = Application.objects.get(email="grace@example.com")
        assert application.state == "submitted"
        assert (application.tax_id, application.phone) == ("536221234", "+12025550199")
        assert application.experience == {"stocks": 6}
        assert sorted(application.documents.values_list("kind", flat=True)) == [
            "identity",
            "proof_of_address",
        ]
        assert application.checks_failed is False
        # the disclosures shown for the applicant's country are recorded with their versions
        assert application.disclosures_acknowledged == [
            {"page": page.pk, "title": "Customer agreement", "version": "7"}
        ]
    assert [m.subject for m in mail.outbox] == [
        "Tenant A Securities: Continue your account application",
        "Tenant A Securities: We received your account application",
    ]
    assert client.get("/apply/done/").status_code == 200


def test_step_errors_are_shown_on_the_field_and_nothing_saved(tenant_a):
    client = tenant_client(tenant_a)
    client.post("/apply/", {"email": "bad@example.com"})
    data = dict(STEP_DATA["identity"], tax_id="12")
    response = client.post("/apply/step/identity/", data)
    assert response.status_code == 200
    assert "tax id is not a valid tax id for US" in response.content.decode()
    with tenant_context(tenant_a):
        assert Application.objects.get(email="bad@example.com").first_name == ""


def test_executable_renamed_pdf_is_refused_on_the_form(tenant_a):
    client = tenant_client(tenant_a)
    client.post("/apply/", {"email": "exe@example.com"})
    response = client.post(
        "/apply/documents/", {"kind": "identity", "file": upload("passport.pdf", EXE_BYTES)}
    )
    assert response.status_code == 200
    assert "passport.pdf is not a PDF, PNG or JPEG file (judged by its content)." in (
        response.content.decode()
    )
    with tenant_context(tenant_a):
        assert not Application.objects.get(email="exe@example.com").documents.exists()


def test_resume_link_continues_on_another_device_but_not_on_another_tenant(
    tenant_a, tenant_b, django_capture_on_commit_callbacks
):
    # given an applicant who started and got the resume e-mail
    with django_capture_on_commit_callbacks(execute=True):
        tenant_client(tenant_a).post("/apply/", {"email": "resume@example.com"})
    link = re.search(r"https?://[^/]+(/apply/resume/\S+/)", mail.outbox[0].body).group(1)
    # when they open it on a fresh device of the same tenant, they continue
    other_device = tenant_client(tenant_a)
    response = other_device.get(link)
    assert response.status_code == 302 and response["Location"] == "/apply/step/identity/"
    assert other_device.get("/apply/step/contact/").status_code == 200
    # and on another tenant's host the same link is a 404
    assert tenant_client(tenant_b).get(link).status_code == 404
    # and without a session there is nothing to edit
    assert tenant_client(tenant_a).get("/apply/step/identity/").status_code == 404


def test_applicant_asked_for_information_gets_the_link_back_and_resubmits(
    tenant_a, django_capture_on_commit_callbacks
):
    from onboarding.services import application_information_request, application_review_start
    from onboarding.tests.factories import staff_user
    from tenants.roles import ONBOARDING_OFFICER

    # given a submitted self-service application that the officer sends back
    client = tenant_client(tenant_a)
    fill_in_application(client, email="info@example.com")
    with tenant_context(tenant_a):
        officer = staff_user(ONBOARDING_OFFICER)
        application = Application.objects.get(email="info@example.com")
        application = application_review_start(application=application, actor=officer)
        with django_capture_on_commit_callbacks(execute=True):
            application_information_request(
                application=application, actor=officer, reason="Your bill is unreadable."
            )
    # when the applicant follows the link in the e-mail on a new device
    message = mail.outbox[-1]
    assert message.subject == "Tenant A Securities: Your account application needs more information"
    assert "Your bill is unreadable." in message.body
    link = re.search(r"https?://[^/]+(/apply/resume/\S+/)", message.body).group(1)
    device = tenant_client(tenant_a)
    assert device.get(link)["Location"] == "/apply/step/identity/"
    # then they can add a document and submit again
    device.post(
        "/apply/documents/", {"kind": "proof_of_address", "file": upload("b.png", PNG_BYTES)}
    )
    assert device.post("/apply/review/", {"disclosures": "on"})["Location"] == "/apply/done/"
    with tenant_context(tenant_a):
        application.refresh_from_db()
        assert application.state == Application.State.SUBMITTED
        assert application.documents.count() == 3
