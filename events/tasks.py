"""Webhook delivery: at least once, with exponential backoff (Celery retries)."""

from celery import shared_task
from django.conf import settings

from .models import Event, WebhookDelivery


@shared_task
def webhooks_fan_out(*, event_id: int) -> int:
    from .services import deliveries_create

    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        return 0
    deliveries = deliveries_create(event=event)
    for delivery in deliveries:
        webhook_deliver.delay(delivery_id=delivery.pk)
    return len(deliveries)


@shared_task(bind=True, max_retries=None)
def webhook_deliver(self, *, delivery_id: int) -> str:
    """One attempt; a failed one is retried after WEBHOOK_RETRY_BASE_S × 2^(attempt-1)
    seconds, until WEBHOOK_MAX_ATTEMPTS."""
    from .services import delivery_attempt

    delivery = delivery_attempt(delivery_id=delivery_id)
    if delivery is None:
        return "skipped"
    if delivery.status == WebhookDelivery.Status.PENDING:
        if self.request.is_eager:
            # In-process tasks (development, tests): the next attempt now; a worker waits.
            return webhook_deliver(delivery_id=delivery_id)
        raise self.retry(countdown=settings.WEBHOOK_RETRY_BASE_S * 2 ** (delivery.attempts - 1))
    return delivery.status
