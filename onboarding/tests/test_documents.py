"""Documents: judged by content, size-limited, stored per tenant outside public media."""

import os

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from compliance.models import AuditRecord
from onboarding.models import ApplicationDocument
from onboarding.services import application_create, document_upload
from onboarding.services.documents import DOCUMENT_MAX_BYTES
from tenants.roles import ONBOARDING_OFFICER

from .factories import EXE_BYTES, JPEG_BYTES, PDF_BYTES, PNG_BYTES, application_data, staff_user
from .factories import upload as file_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def application(in_tenant_a):
    return application_create(actor=staff_user(ONBOARDING_OFFICER), data=application_data())


@pytest.mark.parametrize(
    ("content", "expected"),
    [(PDF_BYTES, "application/pdf"), (PNG_BYTES, "image/png"), (JPEG_BYTES, "image/jpeg")],
)
def test_pdf_png_jpeg_are_accepted_by_content(application, content, expected):
    # given a file named without any extension
    # when uploaded
    document = document_upload(
        application=application, kind="identity", upload=file_upload("scan", content)
    )
    # then its type comes from its bytes and it lives under the tenant's private root
    assert document.content_type == expected
    assert document.size == len(content)
    path = document.file.path
    private_root = str(settings.MEDIA_ROOT).rstrip("/") + "-private"
    assert path.startswith(os.path.join(private_root, "tenant_a") + os.sep)
    assert not path.startswith(str(settings.MEDIA_ROOT) + os.sep)
    with open(path, "rb") as stored:
        assert stored.read() == content
    with pytest.raises(ValueError, match="no public URL"):
        document.file.url  # noqa: B018


def test_executable_renamed_pdf_is_refused(application):
    # given a Windows executable named passport.pdf and sent as application/pdf
    fake = file_upload("passport.pdf", EXE_BYTES, "application/pdf")
    # when uploaded
    with pytest.raises(ValidationError) as refused:
        document_upload(application=application, kind="identity", upload=fake)
    # then it is refused by content and nothing is stored or audited
    assert refused.value.messages == [
        "passport.pdf is not a PDF, PNG or JPEG file (judged by its content)."
    ]
    assert ApplicationDocument.objects.count() == 0
    assert not AuditRecord.objects.filter(action="application.document_upload").exists()


def test_oversized_document_is_refused(application):
    big = file_upload("big.pdf", PDF_BYTES + b"0" * DOCUMENT_MAX_BYTES)
    with pytest.raises(ValidationError) as refused:
        document_upload(application=application, kind="identity", upload=big)
    assert refused.value.messages == ["The document is larger than 10 MB."]
    assert ApplicationDocument.objects.count() == 0


def test_each_tenant_stores_documents_under_its_own_directory(tenant_b):
    from django_tenants.utils import tenant_context

    with tenant_context(tenant_b):
        application = application_create(
            actor=staff_user(ONBOARDING_OFFICER), data=application_data()
        )
        document = document_upload(
            application=application, kind="identity", upload=file_upload("id", PDF_BYTES)
        )
        private_root = str(settings.MEDIA_ROOT).rstrip("/") + "-private"
        assert document.file.path.startswith(os.path.join(private_root, "tenant_b") + os.sep)
