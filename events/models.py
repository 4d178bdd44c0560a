"""The outbox, webhook endpoints and their delivery log, in the tenant's schema."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

KINDS = (
    "account.opened",
    "account.restricted",
    "application.state_changed",
    "deposit.notified",
    "deposit.booked",
    "withdrawal.requested",
    "withdrawal.approved",
    "withdrawal.rejected",
    "journal.booked",
    "execution.booked",
    "allocation.booked",
    "allocation.reversed",
    "statement.ready",
    "exception.acknowledged",
    "margin_call.opened",
    "margin_call.met",
    "intraday_deficit.arisen",
    "day_trade.restricted",
    "day_trade.lifted",
)


class Event(models.Model):
    """One change a program may care about. Ids increase in commit order within a tenant
    (`events.services.event_record` takes a per-tenant lock), so a reader that resumes after
    the last id it saw misses nothing."""

    kind = models.CharField(max_length=40, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The ledger account the event is about, if any: who may read the event follows from it
    # (a plain reference: the ledger lives in the public schema).
    account_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    subject = models.CharField(max_length=100)  # "withdrawal:12"
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.pk} {self.kind} {self.subject}"


class WebhookEndpoint(models.Model):
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # Shown once at creation; kept to sign (HMAC needs the secret itself).
    secret = models.CharField(max_length=100)
    kinds = ArrayField(models.CharField(max_length=40), default=list, blank=True)  # [] = all
    active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    def wants(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds


class WebhookDelivery(models.Model):
    """One event to one endpoint: every attempt is counted, the last answer kept."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(delivered_at__isnull=False),
                name="webhookdelivery_delivered_at",
            )
        ]

    def __str__(self) -> str:
        return f"event {self.event_id} → {self.endpoint_id}: {self.status}"
