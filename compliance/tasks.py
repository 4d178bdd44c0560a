"""Celery tasks of the compliance app: thin calls into its services."""

import datetime as dt

from celery import shared_task
from django.utils import timezone

from compliance.services.anchors import audit_anchors_record_all


@shared_task(acks_late=True)
def audit_anchor_daily(through: str | None = None) -> int:
    """Anchor the heads of every audit chain for the days just closed (idempotent)."""
    day = dt.date.fromisoformat(through) if through else timezone.now().date() - dt.timedelta(1)
    return audit_anchors_record_all(through=day)


@shared_task(acks_late=True)
def access_reviews_open_due() -> int:
    """Open the current period's access review in every tenant that has none yet (idempotent)."""
    from django_tenants.utils import tenant_context

    from compliance.services.access_reviews import access_review_open
    from tenants.models import Tenant

    opened = 0
    for tenant in Tenant.objects.exclude(schema_name="public"):
        with tenant_context(tenant):
            access_review_open(tenant=tenant)
            opened += 1
    return opened
