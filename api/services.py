"""Writes of the API's own settings: webhook endpoints (registered, enabled, disabled) and
manual redelivery, audited. The outbox and delivery themselves are `events.services`."""

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from compliance.services.audit import audit_record
from events.models import KINDS, WebhookDelivery, WebhookEndpoint
from events.services import url_checked
from events.tasks import webhook_deliver
from tenants.queue import task_enqueue_on_commit


@transaction.atomic
def webhook_endpoint_create(
    *, actor, url: str, kinds: list[str] | None = None, description: str = ""
) -> tuple[WebhookEndpoint, str]:
    unknown = sorted(set(kinds or []) - set(KINDS))
    if unknown:
        raise ValidationError(f"Unknown event kinds: {', '.join(unknown)}.")
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(
        url=url_checked(url),
        kinds=list(kinds or []),
        description=description,
        secret=secret,
        created_by=actor,
    )
    endpoint.full_clean(exclude=["created_by"])  # None: made by the system
    endpoint.save()
    audit_record(
        actor=actor,
        action="webhook.create",
        target=f"webhook:{endpoint.pk}",
        details={"url": url, "kinds": endpoint.kinds},
    )
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_set_active(
    *, actor, endpoint: WebhookEndpoint, active: bool
) -> WebhookEndpoint:
    endpoint.active = active
    endpoint.disabled_at = None if active else timezone.now()
    endpoint.consecutive_failures = 0 if active else endpoint.consecutive_failures
    endpoint.save(update_fields=["active", "disabled_at", "consecutive_failures"])
    audit_record(
        actor=actor,
        action="webhook.enable" if active else "webhook.disable",
        target=f"webhook:{endpoint.pk}",
    )
    return endpoint


def delivery_redeliver(*, actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """A manual redelivery: a new delivery of the same event to the same endpoint."""
    with transaction.atomic():
        again = WebhookDelivery.objects.create(endpoint=delivery.endpoint, event=delivery.event)
        task_enqueue_on_commit(webhook_deliver, delivery_id=again.pk)
    return again
