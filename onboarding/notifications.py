"""E-mails to applicants, in the tenant's name. Called after commit (never inside the
transaction that changed the application), through the Celery task in tasks.py."""

from django.db import connection

SUBJECTS = {
    "submitted": "We received your account application",
    "needs_information": "Your account application needs more information",
    "rejected": "Your account application",
    "withdrawn": "Your account application was withdrawn",
    "opened": "Your account is open",
    "started": "Continue your account application",
}


def applicant_notify_on_commit(
    *, application_id: int, event: str, reason: str = "", link: str = ""
) -> None:
    """Enqueue the e-mail for `event` once the current transaction commits, in this tenant."""
    from tenants.queue import task_enqueue_on_commit

    from .tasks import applicant_email_send

    task_enqueue_on_commit(
        applicant_email_send,
        application_id=application_id,
        event=event,
        reason=reason,
        link=link,
    )


def sender_name() -> str:
    """The tenant's name as its brand gives it for e-mails, else the tenant's own name."""
    from branding.selectors import brand_current

    brand = brand_current()
    return brand.email_sender_name or brand.display_name or connection.tenant.name


def applicant_email_build(*, application, event: str, reason: str = "", link: str = ""):
    """The applicant's e-mail for `event`, in the tenant's brand (text and HTML)."""
    from branding.emails import branded_email

    name = sender_name()
    context = {
        "application": application,
        "tenant_name": name,
        "event": event,
        "reason": reason,
        "link": link,
    }
    return branded_email(
        template="onboarding/email/applicant",
        subject=f"{name}: {SUBJECTS[event]}",
        to=[application.email],
        context=context,
    )
