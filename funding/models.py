"""Funding operations of a tenant's staff: credits of clients' deposit notices and journals
(cash or positions moved between two of the tenant's accounts), with the tenant's settings.

Tenant tables; they point at the shared ledger (accounts, instruments, journal entries), never
the other way round. Every write goes through `funding.services`, every booking through the
ledger's services and so `journal_post`.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

MONEY = {"max_digits": 20, "decimal_places": 2}
QUANTITY = {"max_digits": 28, "decimal_places": 8}
PRICE = {"max_digits": 28, "decimal_places": 10}


@register_setting(icon="cog")
class FundingSettings(BaseGenericSetting):
    """The firm's funding policy: when an uncredited deposit notice becomes an exception, and
    above which value a journal needs a second person's approval (four eyes)."""

    deposit_stale_days = models.PositiveIntegerField(
        default=3,
        help_text="Deposit notices not credited this many days after they were sent are "
        "exceptions.",
    )
    journal_approval_limit = models.DecimalField(
        **MONEY,
        default=Decimal("10000.00"),
        validators=[MinValueValidator(Decimal(0))],
        help_text="Journals worth more than this (in USD) wait for a second person's approval; "
        "the maker cannot approve them.",
    )

    class Meta:
        verbose_name = "Funding settings"


class DepositCredit(models.Model):
    """Money received and credited against a client's deposit notice: one cash deposit entry
    in the ledger. A notice may be credited in parts."""

    notice = models.ForeignKey(
        "clientportal.DepositNotice", on_delete=models.PROTECT, related_name="credits"
    )
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    value_date = models.DateField()
    bank_reference = models.CharField(max_length=100, blank=True)
    # The form's token: the same submission twice credits once.
    idempotency_key = models.CharField(max_length=200, unique=True)
    entry = models.OneToOneField("ledger.JournalEntry", on_delete=models.PROTECT, related_name="+")
    credited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    credited_at = models.DateTimeField()

    class Meta:
        ordering = ["credited_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="deposit_credit_positive")
        ]

    def __str__(self) -> str:
        return f"{self.amount} on notice {self.notice_id}"


class JournalBatch(models.Model):
    """A CSV file of journals uploaded at once; its journals are created all or none."""

    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64, unique=True)
    row_count = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.filename


class Journal(models.Model):
    """Cash or a position moved from one of the tenant's accounts to another. Booked at once
    within the tenant's approval limit, else when a second person approves it; a booked journal
    is corrected by its reversal, never edited."""

    class Kind(models.TextChoices):
        CASH = "cash", "Cash"
        POSITION = "position", "Position"

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting approval"
        BOOKED = "booked", "Booked"
        REJECTED = "rejected", "Rejected"
        REVERSED = "reversed", "Reversed"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    status = models.CharField(max_length=8, choices=Status.choices)
    from_account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    to_account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(**QUANTITY, null=True, blank=True)  # cash journals
    instrument = models.ForeignKey(
        "ledger.Instrument", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = models.DecimalField(**QUANTITY, null=True, blank=True)  # position journals
    price = models.DecimalField(**PRICE, null=True, blank=True)  # unit cost carried over
    # What the limit is compared with: the value in USD at the day's FX rate (None: no rate).
    value_usd = models.DecimalField(**MONEY, null=True, blank=True)
    memo = models.CharField(max_length=300, blank=True)
    # The form's token or the batch row: the same submission twice creates one journal.
    request_key = models.CharField(max_length=200, unique=True)
    batch = models.ForeignKey(
        JournalBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="journals"
    )
    maker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(max_length=300, blank=True)
    entry = models.OneToOneField(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reversal_entry = models.OneToOneField(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reversed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_account=models.F("to_account")), name="journal_two_accounts"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="cash", amount__gt=0, instrument__isnull=True, quantity__isnull=True)
                    | Q(
                        kind="position",
                        amount__isnull=True,
                        instrument__isnull=False,
                        quantity__gt=0,
                        price__gte=0,
                    )
                ),
                name="journal_cash_or_position",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "rejected"]) | Q(entry__isnull=False),
                name="journal_booked_has_entry",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"JNL-{self.pk}"

    @property
    def needs_approval(self) -> bool:
        return self.status == self.Status.PENDING
