"""Fetch-and-check for applications and documents reached from request input: the same 404 for
"does not exist", "another tenant's" and "not yours to see"."""

import uuid

from django.core import signing
from django.db import connection
from django.http import Http404

from tenants.roles import COMPLIANCE_OFFICER, ONBOARDING_OFFICER, has_role

from .models import Application, ApplicationDocument, BulkImport
from .services.applications import EDITABLE_STATES
from .services.links import RESUME_MAX_AGE_S, RESUME_SALT

REVIEWER_ROLES = (ONBOARDING_OFFICER, COMPLIANCE_OFFICER)


def _in_tenant(tenant) -> None:
    if tenant is None or connection.schema_name != tenant.schema_name:
        raise Http404("No such application.")


def access_application(*, user, tenant, application_id) -> Application:
    """An application of `tenant` for a reviewer (Onboarding or Compliance Officer)."""
    _in_tenant(tenant)
    if not has_role(user, *REVIEWER_ROLES):
        raise Http404("No such application.")
    try:
        return Application.objects.select_related("assigned_to", "account", "user").get(
            pk=int(application_id)
        )
    except (Application.DoesNotExist, TypeError, ValueError):
        raise Http404("No such application.") from None


def access_document(*, user, tenant, document_id) -> ApplicationDocument:
    _in_tenant(tenant)
    if not has_role(user, *REVIEWER_ROLES):
        raise Http404("No such document.")
    try:
        return ApplicationDocument.objects.select_related("application").get(pk=int(document_id))
    except (ApplicationDocument.DoesNotExist, TypeError, ValueError):
        raise Http404("No such document.") from None


def access_own_application(*, tenant, public_id, editable: bool = True) -> Application:
    """The self-service applicant's own application, named by the id kept in their session."""
    _in_tenant(tenant)
    try:
        application = Application.objects.get(public_id=uuid.UUID(str(public_id)))
    except (Application.DoesNotExist, ValueError, TypeError):
        raise Http404("No such application.") from None
    if application.source != Application.Source.SELF_SERVICE:
        raise Http404("No such application.")
    if editable and application.state not in EDITABLE_STATES:
        raise Http404("No such application.")
    return application


def access_resume_token(*, tenant, token: str) -> Application:
    """The application a resume link names, if the link is genuine, unexpired and for this
    tenant."""
    try:
        payload = signing.loads(token, salt=RESUME_SALT, max_age=RESUME_MAX_AGE_S)
    except signing.BadSignature:
        raise Http404("This link is invalid or has expired.") from None
    if payload.get("t") != getattr(tenant, "schema_name", None):
        raise Http404("This link is invalid or has expired.")
    return access_own_application(tenant=tenant, public_id=payload.get("a"), editable=False)


def access_bulk_import(*, user, tenant, bulk_import_id) -> BulkImport:
    _in_tenant(tenant)
    if not has_role(user, *REVIEWER_ROLES):
        raise Http404("No such import.")
    try:
        return BulkImport.objects.get(pk=int(bulk_import_id))
    except (BulkImport.DoesNotExist, TypeError, ValueError):
        raise Http404("No such import.") from None
