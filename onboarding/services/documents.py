"""Applicants' documents: PDF, PNG or JPEG only, judged by their content (magic bytes), never by
their name; a size limit; stored per tenant outside the public media tree."""

import hashlib

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from compliance.services import audit_record

from ..models import Application, ApplicationDocument
from .applications import EDITABLE_STATES
from .workflow import State, reviewer_require

DOCUMENT_MAX_BYTES = getattr(settings, "ONBOARDING_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)
ALLOWED_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpeg"}
STAFF_STATES = (*EDITABLE_STATES, State.SUBMITTED, State.IN_REVIEW)


def content_type_sniff(head: bytes) -> str | None:
    """The MIME type the bytes really are, if one we accept; the file name plays no part."""
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        return None
    return kind.mime


@transaction.atomic
def document_upload(
    *,
    application: Application,
    kind: str,
    upload: UploadedFile,
    actor=None,
    ip: str | None = None,
) -> ApplicationDocument:
    staff = actor is not None and getattr(actor, "is_authenticated", False)
    if staff:
        reviewer_require(actor)
    allowed_states = STAFF_STATES if staff else EDITABLE_STATES
    if application.state not in allowed_states:
        raise ValidationError(
            f"Documents cannot be added to an application that is {State(application.state).label}."
        )
    if kind not in ApplicationDocument.Kind.values:
        raise ValidationError(f"Unknown document kind {kind!r}.")
    if upload.size is None or upload.size > DOCUMENT_MAX_BYTES:
        raise ValidationError(
            f"The document is larger than {DOCUMENT_MAX_BYTES // (1024 * 1024)} MB."
        )
    upload.seek(0)
    head = upload.read(262)
    content_type = content_type_sniff(head)
    if content_type is None:
        raise ValidationError(
            f"{upload.name} is not a PDF, PNG or JPEG file (judged by its content)."
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    document = ApplicationDocument(
        application=application,
        kind=kind,
        original_name=(upload.name or "document")[:200],
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor if staff else None,
    )
    document.file.save(ALLOWED_TYPES[content_type], upload, save=False)
    try:
        document.save()
        audit_record(
            actor=actor,
            action="application.document_upload",
            target=f"application:{application.pk}",
            details={
                "kind": kind,
                "content_type": content_type,
                "size": upload.size,
                "sha256": document.sha256,
                "by": actor.get_username() if staff else f"applicant {application.email}",
            },
            ip=ip,
        )
    except BaseException:
        document.file.storage.delete(document.file.name)  # no orphan file without its row
        raise
    return document
