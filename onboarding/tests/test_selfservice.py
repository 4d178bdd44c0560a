"""The self-service form on the tenant's host: steps, resume link, documents, submission."""

import re

import pytest
from django.core import mail
from django_tenants.utils import tenant_context

from compliance.disclosures import disclosure_content_hash, disclosures_set_label
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


def fill_in_steps(client, email="grace@example.com", **contact):
    """Walk every step of the self-service form and upload the documents, up to the review."""
    response = client.post("/apply/", {"email": email})
    assert response.status_code == 302 and response["Location"] == "/apply/step/identity/"
    for slug, data in STEP_DATA.items():
        if slug == "contact":
            data = dict(data, **contact)
        response = client.post(f"/apply/step/{slug}/", data)
        assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == "/apply/documents/"
    for kind, content in (("identity", PDF_BYTES), ("proof_of_address", PNG_BYTES)):
        response = client.post(
            "/apply/documents/", {"kind": kind, "file": upload(f"{kind}.pdf", content)}
        )
        assert response.status_code == 302


def fill_in_application(client, email="grace@example.com"):
    """Walk the whole self-service form; returns the review page's response after submission."""
    fill_in_steps(client, email)
    return review_submit(client)


def review_submit(client):
    """Submit the review page as a browser does: with the disclosures' hashes it was shown."""
    shown = re.search(
        r'name="shown" value="([^"]*)"', client.get("/apply/review/").content.decode()
    )
    return client.post("/apply/review/", {"disclosures": "on", "shown": shown.group(1)})


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
        # the disclosures in force for the applicant's country are recorded with their versions
        # and the hashes of the texts shown, the same records every client accepts
        assert application.disclosures_acknowledged == [
            {
                "page": page.pk,
                "title": "Customer agreement",
                "version": "7",
                "sha256": disclosure_content_hash(page),
                "ip": "127.0.0.1",
            }
        ]
        assert application.disclosures_version == disclosures_set_label(
            application.disclosures_acknowledged
        )
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
    assert review_submit(device)["Location"] == "/apply/done/"
    with tenant_context(tenant_a):
        application.refresh_from_db()
        assert application.state == Application.State.SUBMITTED
        assert application.documents.count() == 3


def test_a_version_published_after_the_form_was_shown_is_asked_for_again(tenant_a):
    # given an applicant on the review page, shown version 1 of the US terms
    page = _disclosure_page(tenant_a, title="US terms", slug="us-terms", region="US", version="1")
    client = tenant_client(tenant_a)
    fill_in_steps(client)
    review = client.get("/apply/review/").content.decode()
    shown = re.search(r'name="shown" value="([^"]*)"', review).group(1)
    with tenant_context(tenant_a):
        assert shown == f"{page.pk}:{disclosure_content_hash(page)}"
    # when version 2 is published before they submit
    with tenant_context(tenant_a):
        page.version = "2"
        page.body = "<p>New terms.</p>"
        page.save_revision().publish()
    response = client.post("/apply/review/", {"disclosures": "on", "shown": shown})
    # then nothing is submitted and the page asks again, showing version 2
    assert response.status_code == 200
    assert "changed since they were shown" in response.content.decode()
    assert "(version 2)" in response.content.decode()
    with tenant_context(tenant_a):
        assert Application.objects.get(email="grace@example.com").state == "draft"
    # and accepting what is shown now submits
    assert review_submit(client)["Location"] == "/apply/done/"
    with tenant_context(tenant_a):
        application = Application.objects.get(email="grace@example.com")
        assert [d["version"] for d in application.disclosures_acknowledged] == ["2"]


def test_an_eu_applicant_accepts_the_eu_texts_not_the_us_ones(tenant_a):
    # given EU and US pages; an applicant whose address is in Germany
    eu = _disclosure_page(tenant_a, title="MiFID costs", slug="mifid", region="EU", version="3")
    _disclosure_page(tenant_a, title="US margin", slug="us-margin", region="US", version="1")
    client = tenant_client(tenant_a)
    fill_in_steps(client, "eu@example.com", country="DE", postal_code="10115", city="Berlin")
    # when they open the review page and submit
    review = client.get("/apply/review/").content.decode()
    response = review_submit(client)
    # then only the EU text was shown and is recorded as accepted
    assert "MiFID costs" in review and "US margin" not in review
    assert response["Location"] == "/apply/done/"
    with tenant_context(tenant_a):
        application = Application.objects.get(email="eu@example.com")
        assert [(d["page"], d["sha256"]) for d in application.disclosures_acknowledged] == [
            (eu.pk, disclosure_content_hash(eu))
        ]


def test_submitting_without_accepting_is_refused(tenant_a):
    # given an applicant at the review page with a US text in force
    _disclosure_page(tenant_a, title="US terms", slug="us-t", region="US", version="1")
    client = tenant_client(tenant_a)
    fill_in_steps(client)
    shown = re.search(
        r'name="shown" value="([^"]*)"', client.get("/apply/review/").content.decode()
    ).group(1)
    # when they submit without ticking the box, or with the box but without the texts
    unticked = client.post("/apply/review/", {"shown": shown})
    untexted = client.post("/apply/review/", {"disclosures": "on", "shown": ""})
    # then nothing is submitted
    assert unticked.status_code == untexted.status_code == 200
    assert "must be accepted before submitting" in untexted.content.decode()
    with tenant_context(tenant_a):
        application = Application.objects.get(email="grace@example.com")
        assert (application.state, application.disclosures_acknowledged) == ("draft", [])
