"""Writes of the outbox and the webhooks: recording an event inside the caller's transaction,
registering endpoints, and delivering one event to one endpoint."""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from .models import KINDS, Event, WebhookDelivery, WebhookEndpoint

SIGNATURE_HEADER = "Webhook-Signature"
TOLERANCE_S = 300


def _tenant_lock() -> None:
    """Event ids are taken in commit order within a tenant: the lock is held until the caller's
    transaction ends, so no event with a smaller id can commit after one with a larger id (a
    reader resuming after id n would otherwise skip it for good)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"events:{connection.schema_name}"]
        )


def event_record(*, kind: str, subject: str, account_id: int | None = None, data=None) -> Event:
    """Write the event in the current transaction (call it last in the service, after the
    change itself); after commit its webhooks are sent."""
    if kind not in KINDS:
        raise ValueError(f"Unknown event kind {kind!r}.")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("event_record runs inside the transaction of the change it reports.")
    _tenant_lock()
    payload = json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))
    event = Event.objects.create(kind=kind, subject=subject, account_id=account_id, data=payload)
    from tenants.queue import task_enqueue_on_commit

    from .tasks import webhooks_fan_out

    task_enqueue_on_commit(webhooks_fan_out, event_id=event.pk)
    return event


def event_body(event: Event) -> bytes:
    return json.dumps(
        {
            "id": str(event.pk),
            "kind": event.kind,
            "created_at": event.created_at.isoformat(),
            "subject": event.subject,
            "account_id": event.account_id,
            "data": event.data,
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()


def signature_header(*, secret: str, body: bytes, timestamp: int) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>` (Stripe's scheme): the
    timestamp is signed with the body, so a receiver can refuse old replays."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def signature_verify(*, secret: str, body: bytes, header: str, now: float | None = None) -> bool:
    """What a receiver does: recompute and compare in constant time, within the tolerance."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > TOLERANCE_S:
        return False
    expected = signature_header(secret=secret, body=body, timestamp=timestamp)
    return hmac.compare_digest(expected, header)


def url_checked(url: str) -> str:
    parts = urlsplit(url)
    allowed = ("https",) if settings.WEBHOOK_HTTPS_ONLY else ("https", "http")
    if parts.scheme not in allowed or not parts.hostname:
        raise ValidationError(f"A webhook URL is {' or '.join(allowed)}://host/path.")
    return url


@transaction.atomic
def deliveries_create(*, event: Event) -> list[WebhookDelivery]:
    """The event's deliveries, one per active endpoint that wants it; idempotent: a fan-out
    run again (a worker killed mid-task, the message redelivered) adds none for an endpoint
    that has one, and returns those still never attempted, so the ones the killed run created
    but did not hand on are sent too. The event row's lock serialises two runs."""
    Event.objects.select_for_update().filter(pk=event.pk).first()
    served = set(WebhookDelivery.objects.filter(event=event).values_list("endpoint_id", flat=True))
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(active=True)
        if e.wants(event.kind) and e.pk not in served
    ]
    WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(endpoint=e, event=event) for e in endpoints]
    )
    return list(
        WebhookDelivery.objects.filter(
            event=event, status=WebhookDelivery.Status.PENDING, attempts=0
        ).order_by("id")
    )


@transaction.atomic
def delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """POST the event once. Returns the delivery (status delivered, or still pending with the
    answer recorded); None when there is nothing (left) to send.

    The delivery's row is locked for the attempt (skipped if another task holds it), so the
    same delivery handed on twice (a fan-out run again) is not POSTed by two tasks at once;
    a worker killed during the POST leaves the row pending and the redelivered task POSTs
    again, with the same `Webhook-Id` (at least once: receivers drop a repeated id)."""
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("endpoint", "event")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return None
    endpoint = delivery.endpoint
    if not endpoint.active:
        return None
    body = event_body(delivery.event)
    request = urllib.request.Request(  # noqa: S310 - scheme checked at registration
        url_checked(endpoint.url),
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "BrokerPortal-Webhooks/1",
            "Webhook-Id": str(delivery.pk),
            "Webhook-Event-Id": str(delivery.event_id),
            SIGNATURE_HEADER: signature_header(
                secret=endpoint.secret, body=body, timestamp=int(time.time())
            ),
        },
    )
    code, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_S) as answer:  # noqa: S310
            code = answer.status
    except urllib.error.HTTPError as refused:
        code, error = refused.code, f"HTTP {refused.code}"
    except (urllib.error.URLError, OSError) as failed:
        error = str(getattr(failed, "reason", failed))[:300]
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = code
    delivery.last_error = error
    ok = code is not None and 200 <= code < 300
    if ok:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
    delivery.save()
    _endpoint_health(endpoint=endpoint, ok=ok, final=delivery.status != "pending")
    return delivery


def _endpoint_health(*, endpoint: WebhookEndpoint, ok: bool, final: bool) -> None:
    """Consecutive failed deliveries disable the endpoint (each retry is not a failure; a
    delivery that ran out of attempts is)."""
    if ok:
        if endpoint.consecutive_failures:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
        return
    if not final:
        return
    failures = endpoint.consecutive_failures + 1
    updates = {"consecutive_failures": failures}
    if failures >= settings.WEBHOOK_DISABLE_AFTER:
        updates.update(active=False, disabled_at=timezone.now())
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(**updates)
