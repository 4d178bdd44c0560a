"""The task outbox's relay: send the tasks written by `tenants.queue.task_enqueue_on_commit`.

A task is written to `TaskOutbox` in the transaction of the change that wants it, then sent
right after the commit; if the broker does not answer then, the row stays and the relay sends it
later (the beat task `tenants.tasks.task_outbox_relay`, `manage.py task_outbox_relay`, and every
later successful send). This is the transactional outbox pattern (Richardson, *Microservices
Patterns*, ch. 3.3.2): no task is lost while the broker is down, and none is sent for a
transaction that rolled back.

Delivery is at least once: a relay that dies between the send and marking the row sent sends it
again, under the same Celery task id (`outbox-<id>`); the tasks themselves are idempotent.
Concurrent relays do not send one row twice: each takes its rows `FOR UPDATE SKIP LOCKED`.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import TaskOutbox

logger = logging.getLogger(__name__)

RELAY_BATCH = 200
# Publishing gives up quickly: a broker that is down must not hold the web request that
# committed; the relay retries later.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def _publish(row: TaskOutbox) -> None:
    # The project's app (brokerportal/__init__.py creates it at start-up), found without
    # importing the project package: tenants imports no higher package.
    from celery import current_app as app

    with schema_context(row.schema_name):  # tenant-schemas-celery stamps the schema on send
        app.send_task(
            row.task,
            args=row.args,
            kwargs=row.kwargs,
            task_id=row.task_id,
            retry=True,
            retry_policy=PUBLISH_RETRY,
        )


def _send_locked(row: TaskOutbox) -> bool:
    """Publish a row the caller holds locked and record the outcome; True once sent."""
    try:
        _publish(row)
    except Exception as exc:  # noqa: BLE001 - any broker failure leaves the row for the relay
        row.attempts += 1
        row.last_error = f"{type(exc).__name__}: {exc}"[:300]
        row.save(update_fields=["attempts", "last_error"])
        logger.warning("task %s (outbox %s) not sent: %s", row.task, row.pk, row.last_error)
        return False
    row.sent_at = timezone.now()
    row.attempts += 1
    row.last_error = ""
    row.save(update_fields=["sent_at", "attempts", "last_error"])
    return True


def outbox_send(*, row_id: int) -> bool:
    """Send one row now (right after the commit that wrote it); then, if the broker took it,
    whatever older rows a broker outage left behind."""
    with transaction.atomic():
        row = (
            TaskOutbox.objects.select_for_update(skip_locked=True)
            .filter(pk=row_id, sent_at__isnull=True)
            .first()
        )
        if row is None:
            return False  # sent already, or being sent by a relay
        sent = _send_locked(row)
    if sent and TaskOutbox.objects.filter(sent_at__isnull=True, pk__lt=row_id).exists():
        outbox_relay()
    return sent


def outbox_relay(*, batch: int = RELAY_BATCH) -> int:
    """Send the unsent rows in order, a batch per transaction, until none is left or the
    broker refuses one; returns how many were sent."""
    sent = 0
    while True:
        with transaction.atomic():
            rows = list(
                TaskOutbox.objects.select_for_update(skip_locked=True)
                .filter(sent_at__isnull=True)
                .order_by("id")[:batch]
            )
            if not rows:
                return sent
            for row in rows:
                if not _send_locked(row):
                    return sent  # the broker is down: the rest waits for the next relay
                sent += 1


def outbox_pending() -> int:
    return TaskOutbox.objects.filter(sent_at__isnull=True).count()
