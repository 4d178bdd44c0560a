"""Links that bring a self-service applicant back to their application."""

from django.core import signing
from django.db import connection

from tenants.links import tenant_base_url

from ..models import Application

RESUME_SALT = "onboarding.resume"
RESUME_MAX_AGE_S = 30 * 24 * 3600


def application_resume_token(application: Application) -> str:
    """A signed, expiring token naming the application and the tenant it belongs to."""
    return signing.dumps(
        {"a": str(application.public_id), "t": connection.schema_name}, salt=RESUME_SALT
    )


def application_resume_link(application: Application) -> str:
    return f"{tenant_base_url()}/apply/resume/{application_resume_token(application)}/"
