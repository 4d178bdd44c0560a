"""Broker Portal screens: queue, detail and actions, document download, bulk upload and report;
each scoped to the tenant and to reviewers."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from onboarding.models import Application
from onboarding.services import application_create, application_submit, document_upload
from tenants.roles import ADVISOR, ONBOARDING_OFFICER
from tests.support.tenants import login, tenant_client

from .factories import PDF_BYTES, PNG_BYTES, application_data, staff_user, upload
from .test_bulk import csv_file, rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(tenant_a):
    with tenant_context(tenant_a):
        officer = staff_user(ONBOARDING_OFFICER)
        application = application_create(actor=officer, data=application_data(last_name="Queue"))
        document = document_upload(
            application=application, kind="identity", upload=upload("id.pdf", PDF_BYTES)
        )
        application = application_submit(application=application, disclosures_accepted=[])
    return officer, application, document


def test_queue_lists_and_filters_applications(tenant_a, setup):
    officer, application, _ = setup
    client = login(tenant_client(tenant_a), officer, tenant_a)
    response = client.get("/broker/onboarding/?state=submitted&failed=yes")
    assert response.status_code == 200
    assert f"/broker/onboarding/{application.pk}/" in response.content.decode()
    response = client.get("/broker/onboarding/?state=in_review")
    assert f"/broker/onboarding/{application.pk}/" not in response.content.decode()


def test_detail_shows_checks_and_actions_move_the_application(tenant_a, setup):
    officer, application, _ = setup
    client = login(tenant_client(tenant_a), officer, tenant_a)
    page = client.get(f"/broker/onboarding/{application.pk}/").content.decode()
    assert "Missing document: proof of address." in page
    response = client.post(f"/broker/onboarding/{application.pk}/review_start/")
    assert response.status_code == 302
    # approval is blocked by the missing document: the message says so, nothing changes
    response = client.post(f"/broker/onboarding/{application.pk}/approve/", follow=True)
    assert "Approval is blocked by failed checks: [documents] Missing document" in (
        response.content.decode()
    )
    with tenant_context(tenant_a):
        application.refresh_from_db()
        assert application.state == Application.State.IN_REVIEW
        assert application.assigned_to_id == officer.pk


def test_document_download_for_reviewers_only(tenant_a, setup):
    officer, _, document = setup
    client = login(tenant_client(tenant_a), officer, tenant_a)
    response = client.get(f"/broker/onboarding/documents/{document.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    with tenant_context(tenant_a):
        advisor = staff_user(ADVISOR)
    other = login(tenant_client(tenant_a), advisor, tenant_a)
    assert other.get(f"/broker/onboarding/documents/{document.pk}/").status_code == 404
    assert other.get(f"/broker/onboarding/{setup[1].pk}/").status_code == 404


def test_another_tenant_gets_404_for_the_same_ids(tenant_a, tenant_b, setup):
    # given a reviewer of tenant B
    _, application, document = setup
    with tenant_context(tenant_b):
        officer_b = staff_user(ONBOARDING_OFFICER)
        assert not Application.objects.filter(pk=application.pk).exists()
    client = login(tenant_client(tenant_b), officer_b, tenant_b)
    # when they ask for tenant A's application and document ids on their host
    # then both are 404
    assert client.get(f"/broker/onboarding/{application.pk}/").status_code == 404
    assert client.get(f"/broker/onboarding/documents/{document.pk}/").status_code == 404


def test_bulk_upload_page_and_report_download(tenant_a, setup):
    officer, _, _ = setup
    client = login(tenant_client(tenant_a), officer, tenant_a)
    content = csv_file(rows(2, prefix="WEB")).read()
    response = client.post(
        "/broker/onboarding/bulk/", {"file": SimpleUploadedFile("web.csv", content)}
    )
    assert response.status_code == 302
    detail = client.get(response["Location"])
    assert "2 applications read; 2 created, 0 already existed." in detail.content.decode()
    report = client.get(response["Location"] + "report.csv")
    assert report["Content-Type"] == "text/csv; charset=utf-8"
    lines = report.content.decode().splitlines()
    assert [line.split(",")[1:3] for line in lines[1:]] == [
        ["WEB-0", "created"],
        ["WEB-1", "created"],
    ]


def test_reviewer_adds_the_missing_document_then_approval_goes_through(tenant_a, setup):
    officer, application, _ = setup
    client = login(tenant_client(tenant_a), officer, tenant_a)
    client.post(f"/broker/onboarding/{application.pk}/review_start/")
    response = client.post(
        f"/broker/onboarding/{application.pk}/documents/",
        {"kind": "proof_of_address", "file": upload("bill.png", PNG_BYTES)},
    )
    assert response.status_code == 302
    client.post(f"/broker/onboarding/{application.pk}/approve/")
    with tenant_context(tenant_a):
        application.refresh_from_db()
        assert application.state == Application.State.OPENED
        assert application.account is not None


def test_watchlist_upload_is_for_compliance_officers(tenant_a, setup):
    from onboarding.models import WatchListEntry
    from tenants.roles import COMPLIANCE_OFFICER

    officer, _, _ = setup
    with tenant_context(tenant_a):
        compliance = staff_user(COMPLIANCE_OFFICER)
    listing = b"name,date_of_birth\nIvan Listed,1960-03-04\nNo Birthday,\n"
    # an onboarding officer is refused and the list stays empty
    response = login(tenant_client(tenant_a), officer, tenant_a).post(
        "/broker/onboarding/watchlist/",
        {"file": SimpleUploadedFile("list.csv", listing)},
        follow=True,
    )
    assert "Only a Compliance Officer may upload the watch list." in response.content.decode()
    with tenant_context(tenant_a):
        assert WatchListEntry.objects.count() == 0
    # a compliance officer replaces it; a bad date refuses the whole file with its row
    client = login(tenant_client(tenant_a), compliance, tenant_a)
    response = client.post(
        "/broker/onboarding/watchlist/",
        {"file": SimpleUploadedFile("list.csv", listing)},
        follow=True,
    )
    assert "The watch list now holds 2 names." in response.content.decode()
    response = client.post(
        "/broker/onboarding/watchlist/",
        {"file": SimpleUploadedFile("bad.csv", b"name,date_of_birth\nX Y,1960-02-31\n")},
        follow=True,
    )
    assert "row 2: date_of_birth is not a date (YYYY-MM-DD)" in response.content.decode()
    with tenant_context(tenant_a):
        assert sorted(WatchListEntry.objects.values_list("name", flat=True)) == [
            "Ivan Listed",
            "No Birthday",
        ]
