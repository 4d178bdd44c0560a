"""The daily e-mail of the exception reports to the roles that own them (Celery beat, then one
task per tenant, run in the tenant's schema by tenant-schemas-celery)."""

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from .exceptions import KINDS, exceptions_report
from .models import ExceptionsEmailSent

ITEMS_PER_KIND = 20


@shared_task(acks_late=True)
def exceptions_email_all_tenants() -> int:
    """From beat: one `exceptions_email_send` per active tenant."""
    from tenants.models import Tenant

    sent = 0
    for tenant in Tenant.objects.exclude(schema_name="public").filter(status="active"):
        with tenant_context(tenant):
            exceptions_email_send.delay()
        sent += 1
    return sent


@shared_task(acks_late=True)
def exceptions_email_send() -> int:
    """E-mail each staff member the open exceptions of the kinds their roles own (the first
    ITEMS_PER_KIND of each, with the count); nobody is e-mailed about nothing. Returns the
    number of messages sent.

    Once a day per person: each message sent is recorded (`ExceptionsEmailSent`), and a run
    again the same day (a worker killed mid-batch, the message redelivered: the task is
    acknowledged late) e-mails only those not yet reached. Only the message in flight at the
    kill can go twice."""
    from branding.emails import branded_email

    tenant = connection.tenant
    report = exceptions_report(tenant=tenant)
    today = timezone.localdate()
    sent = 0
    reached = ExceptionsEmailSent.objects.filter(day=today).values("user_id")
    staff = (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .exclude(email="")
        .exclude(pk__in=reached)
        .order_by("pk")
        .prefetch_related("groups")
    )
    for user in staff:
        roles = {g.name for g in user.groups.all()}
        sections = [
            {"title": kind.title, "count": len(items), "items": items[:ITEMS_PER_KIND]}
            for code, kind in KINDS.items()
            if roles & set(kind.owners) and (items := report.open_items(code))
        ]
        if not sections:
            continue
        total = sum(s["count"] for s in sections)
        branded_email(
            template="desk/email/exceptions",
            subject=f"{total} open exception{'s' if total != 1 else ''} today",
            to=[user.email],
            context={"sections": sections, "user": user},
        ).send()
        ExceptionsEmailSent.objects.bulk_create(
            [ExceptionsEmailSent(user_id=user.pk, day=today)], ignore_conflicts=True
        )
        sent += 1
    return sent
