from celery import shared_task

from .models import Application
from .notifications import applicant_email_build


@shared_task
def applicant_email_send(*, application_id: int, event: str, reason: str = "", link: str = ""):
    """Idempotent enough to retry: it only reads the application and sends one message."""
    application = Application.objects.filter(pk=application_id).first()
    if application is None or not application.email:
        return 0
    message = applicant_email_build(application=application, event=event, reason=reason, link=link)
    return message.send()
