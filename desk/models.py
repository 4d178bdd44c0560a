"""What the desk keeps in the tenant's schema: the thresholds of the exception reports, and
the acknowledgements staff leave on exceptions."""

from django.db import models
from django.db.models import Q
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting


@register_setting(icon="warning")
class ExceptionSettings(BaseGenericSetting):
    """The tenant's thresholds (Broker Portal → Settings): when a waiting item becomes an
    exception."""

    deposit_notice_days = models.PositiveSmallIntegerField(
        default=3, help_text="Deposit notices not credited after this many days."
    )
    withdrawal_wait_hours = models.PositiveSmallIntegerField(
        default=24, help_text="Withdrawal requests waiting longer than this many hours."
    )
    application_stuck_days = models.PositiveSmallIntegerField(
        default=5, help_text="Applications left in one state longer than this many days."
    )
    kyc_review_months = models.PositiveSmallIntegerField(
        default=12, help_text="Customer due diligence older than this many months is due."
    )
    dormant_days = models.PositiveSmallIntegerField(
        default=365, help_text="Open accounts without any activity for this many days."
    )

    class Meta:
        verbose_name = "Exception settings"

    def __str__(self) -> str:
        return "Exception settings"


class ExceptionAcknowledgement(models.Model):
    """A staff member's note that an exception is known and handled. The exception is named by
    its kind and a key that changes when the situation does (the account and currency, the
    request id), so the same exception coming back later is not hidden by an old note."""

    kind = models.CharField(max_length=32)
    key = models.CharField(max_length=128)
    note = models.CharField(max_length=500)
    acknowledged_by_id = models.BigIntegerField(null=True, blank=True)
    acknowledged_by_username = models.CharField(max_length=150, blank=True)
    acknowledged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-acknowledged_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="exception_ack_unique"),
            models.CheckConstraint(condition=~Q(note=""), name="exception_ack_has_note"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


class ExceptionsEmailSent(models.Model):
    """The day's exceptions e-mail went to this staff member: the task run again (a worker
    killed mid-batch, its message redelivered) skips whom it already e-mailed that day."""

    user_id = models.BigIntegerField()
    day = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["user_id", "day"], name="exceptions_email_once_a_day")
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} on {self.day}"
