"""Writes of the onboarding app, split by subdomain; import from here."""

from .applications import (
    application_create,
    application_draft_start,
    application_draft_update,
    application_submit,
)
from .approval import application_approve
from .bulk import bulk_import
from .checks import application_checks_run, check_override, checks_blocking
from .documents import document_upload
from .holder import holder_address_change
from .links import application_resume_link, application_resume_token
from .watchlist import watchlist_replace
from .workflow import (
    application_information_request,
    application_reject,
    application_review_start,
    application_transition,
    application_withdraw,
)

__all__ = [
    "holder_address_change",
    "application_approve",
    "application_checks_run",
    "application_create",
    "application_draft_start",
    "application_draft_update",
    "application_information_request",
    "application_reject",
    "application_resume_token",
    "application_resume_link",
    "application_review_start",
    "application_submit",
    "application_transition",
    "application_withdraw",
    "bulk_import",
    "check_override",
    "checks_blocking",
    "document_upload",
    "watchlist_replace",
]
