"""Client portal records kept in the tenant's schema: secure messages with the tenant's staff,
and money movements that staff must act on (deposit notices, withdrawal requests)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

MONEY = {"max_digits": 20, "decimal_places": 2}


class MessageThread(models.Model):
    """A conversation between one client and the tenant's staff. Read stamps per side give the
    unread counts: messages from the other side sent after the side's last read."""

    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="message_threads"
    )
    subject = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField()
    client_read_at = models.DateTimeField(null=True, blank=True)
    staff_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at"]
        indexes = [models.Index(fields=["client", "-last_message_at"])]

    def __str__(self) -> str:
        return self.subject


class Message(models.Model):
    thread = models.ForeignKey(MessageThread, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_staff = models.BooleanField()
    body = models.TextField(max_length=5000)
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["thread", "from_staff", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.thread_id}: {self.body[:40]}"


class WithdrawalRequest(models.Model):
    """A client's request to withdraw cash. Booked through the ledger only after a staff member
    approves it in the Broker Portal."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending approval"
        BOOKED = "booked", "Approved and booked"
        REJECTED = "rejected", "Rejected"

    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="withdrawal_requests"
    )
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(max_length=3)
    destination = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)
    journal_entry_id = models.BigIntegerField(null=True, blank=True)
    # The form's one-time token: a POST retried after a lost response (a dropped connection, a
    # server killed after the commit) finds the request it made instead of making a second.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["requested_by", "idempotency_key"], name="withdrawal_idempotency_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="withdrawal_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="booked") | Q(journal_entry_id__isnull=False),
                name="withdrawal_booked_has_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} from {self.account_id}"


class DepositNotice(models.Model):
    """A client telling staff that money is on its way; staff credit it when it arrives (in one
    or more credits, `funding.DepositCredit`) or reject it with a reason the client sees."""

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting the money"
        PARTIAL = "partial", "Partly credited"
        CREDITED = "credited", "Credited"
        REJECTED = "rejected", "Rejected"

    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    notified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deposit_notices"
    )
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(max_length=3)
    method = models.CharField(
        max_length=12, choices=[("wire", "Wire"), ("ach", "ACH"), ("check", "Check")]
    )
    reference = models.CharField(max_length=100, blank=True)
    expected_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    credited_amount = models.DecimalField(**MONEY, default=Decimal(0))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(credited_amount__gte=0), name="deposit_credited_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="deposit_rejected_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} to {self.account_id}"

    @property
    def outstanding(self) -> Decimal:
        return max(Decimal(0), self.amount - self.credited_amount)
